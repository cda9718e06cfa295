// Writes report.md and its SVG plots into the output directory; returns the paths written.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ReportInput } from "./input.ts";
import { reportMarkdown } from "./markdown.ts";
import type { Plot } from "./plot.ts";
import { accuracyPlots } from "./plot-accuracy.ts";
import { difficultyPlot } from "./plot-difficulty.ts";
import { optimalPlot } from "./plot-optimal.ts";
import { renderSvg } from "./render.ts";

export const reportFile = "report.md";

/** Every plot of the report, in the order report.md shows them. */
export function reportPlots(input: ReportInput): Plot[] {
  return [optimalPlot(input), ...accuracyPlots(input), difficultyPlot(input)];
}

export async function writeReport(outDir: string, input: ReportInput): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const plots = reportPlots(input);
  const written: string[] = [];
  for (const plot of plots) {
    const path = join(outDir, plot.file);
    await writeFile(path, await renderSvg(plot.spec));
    written.push(path);
  }
  const report = join(outDir, reportFile);
  await writeFile(report, reportMarkdown(input, plots));
  written.push(report);
  return written;
}
