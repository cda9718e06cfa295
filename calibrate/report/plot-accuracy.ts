// The paper's figures: per difficulty bin, each strategy's accuracy against the generations it
// spent (the probe included), measured in-sample on all of the bin's problems.
import type { ReportInput } from "./input.ts";
import { accuracyScale, generationsX, type Plot, vegaLiteSchema } from "./plot.ts";
import { plotConfig } from "./render.ts";

export function accuracyPlots(input: ReportInput): Plot[] {
  return input.bins.map((bin) => {
    const title = `Bin ${bin.bin}: accuracy against generations, per strategy`;
    return {
      file: `accuracy-bin-${bin.bin}.svg`,
      title,
      spec: {
        $schema: vegaLiteSchema,
        config: plotConfig,
        title: {
          text: title,
          subtitle: `${bin.problems} problems, in-sample; generations per request include the probe`,
        },
        width: 420,
        height: 280,
        data: { values: bin.candidates },
        encoding: {
          x: generationsX,
          y: {
            field: "accuracy",
            type: "quantitative",
            scale: accuracyScale,
            axis: { format: "%" },
            title: "accuracy",
          },
          color: { field: "label", type: "nominal", title: "strategy" },
        },
        layer: [
          { name: "strategies", mark: { type: "line", strokeWidth: 2 } },
          { name: "measurements", mark: { type: "point", filled: true, size: 40 } },
        ],
      },
    };
  });
}
