// `{name}` placeholders, filled in one pass: text that a value brings in is never read again, so
// a problem that itself contains "{attempts}" stays as written.
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}
