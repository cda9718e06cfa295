import type { TopLevelSpec } from "vega-lite";

/** One SVG of the report: its file name in the output directory, its caption, its spec. */
export interface Plot {
  file: string;
  title: string;
  spec: TopLevelSpec;
}

export const vegaLiteSchema = "https://vega.github.io/schema/vega-lite/v6.json";

/** Generations double from budget to budget, so a log-2 axis spaces them evenly, as the paper's. */
export const generationsAxis = { type: "log" as const, base: 2 };

export const accuracyScale = { domain: [0, 1] };
