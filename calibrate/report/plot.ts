import type { TopLevelSpec } from "vega-lite";

/** One SVG of the report: its file name in the output directory, its caption, its spec. */
export interface Plot {
  file: string;
  title: string;
  spec: TopLevelSpec;
}

export const vegaLiteSchema = "https://vega.github.io/schema/vega-lite/v6.json";

/**
 * The x encoding of every accuracy-against-compute plot. Generations double from budget to
 * budget, so a log-2 axis spaces them evenly, as the paper's.
 */
export const generationsX = {
  field: "generations",
  type: "quantitative",
  scale: { type: "log", base: 2 },
  title: "generations per request",
} as const;

export const accuracyScale = { domain: [0, 1] };
