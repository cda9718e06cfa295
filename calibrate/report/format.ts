// Numbers as the report prints them, shared by the markdown and the plots' titles.

export function percent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** "71.2% (95% CI 65.0–77.1%)". */
export function withCi(x: number, ci: readonly [number, number]): string {
  return `${percent(x)} (95% CI ${(ci[0] * 100).toFixed(1)}–${percent(ci[1])})`;
}

/** "≥ 4.0×" when best-of-N never reached compute-optimal's accuracy within the budgets run. */
export function efficiency(e: { value: number; isLowerBound: boolean }): string {
  return `${e.isLowerBound ? "≥ " : ""}${e.value.toFixed(1)}×`;
}

export function rounded(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}
