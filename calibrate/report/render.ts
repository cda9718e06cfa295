// Vega-Lite specs to SVG, headless: Vega's "none" renderer lays the scene out without a canvas
// or a DOM, so the plots render the same in CI as on a laptop.
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** The look every plot shares; each plot file sets only its data and encodings. */
export const plotConfig = {
  font: "sans-serif",
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { fontSize: 14, subtitleFontSize: 11, anchor: "start" },
} as const;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
