// How well the probe ranks problems: the serve-time difficulty estimate (mean PRM score of the
// probe samples) against the oracle pass@1, coloured by the bin the probe put each problem in;
// dashed lines mark the bins' thresholds. Without any oracle pass@1 (--oracle-samples 0) the
// plot shows each bin's probe scores instead.
import type { ReportInput } from "./input.ts";
import { accuracyScale, type Plot, vegaLiteSchema } from "./plot.ts";
import { plotConfig } from "./render.ts";

export function difficultyPlot(input: ReportInput): Plot {
  const measured = input.difficulty.filter((d) => d.oraclePass1 !== null);
  const missing = input.difficulty.length - measured.length;
  const withOracle = measured.length > 0;
  const thresholds = input.bins.flatMap((b) =>
    b.threshold === null ? [] : [{ bin: b.bin, threshold: b.threshold }],
  );
  const title = withOracle
    ? "Probe difficulty against oracle pass@1"
    : "Probe difficulty per bin (no oracle pass@1 measured)";
  const subtitle = withOracle
    ? `${measured.length} problems${missing > 0 ? ` (${missing} without oracle pass@1, not shown)` : ""}; dashed: bin thresholds`
    : `${input.difficulty.length} problems; dashed: bin thresholds`;
  const x = {
    field: "probeScore",
    type: "quantitative",
    scale: accuracyScale,
    title: `probe score (mean PRM score of ${input.probeSamples} samples)`,
  } as const;
  const y = withOracle
    ? ({
        field: "oraclePass1",
        type: "quantitative",
        scale: accuracyScale,
        axis: { format: "%" },
        title: "oracle pass@1",
      } as const)
    : ({ field: "bin", type: "ordinal", title: "bin" } as const);
  return {
    file: "difficulty.svg",
    title,
    spec: {
      $schema: vegaLiteSchema,
      config: plotConfig,
      title: { text: title, subtitle },
      width: 420,
      height: withOracle ? 320 : Math.max(60, 40 * input.bins.length),
      layer: [
        {
          name: "thresholds",
          data: { values: thresholds },
          mark: { type: "rule", strokeDash: [4, 4], color: "#888" },
          encoding: { x: { ...x, field: "threshold" } },
        },
        {
          name: "problems",
          data: { values: withOracle ? measured : input.difficulty },
          mark: { type: "point", filled: true, size: 30, opacity: 0.7 },
          encoding: {
            x,
            y,
            color: { field: "bin", type: "ordinal", title: "bin", scale: { scheme: "viridis" } },
            tooltip: [{ field: "problemId" }],
          },
        },
      ],
    },
  };
}
