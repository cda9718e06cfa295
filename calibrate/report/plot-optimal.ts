// The headline: compute-optimal (cross-validated, probe charged) against best-of-N at each budget,
// with the 95% interval of the compute-optimal accuracy.
import type { ReportInput } from "./input.ts";
import { accuracyScale, generationsX, type Plot, vegaLiteSchema } from "./plot.ts";
import { plotConfig } from "./render.ts";

export const optimalSeries = "compute-optimal (CV, probe charged)";
export const bestOfNSeries = "best-of-N";

export function optimalPlot(input: ReportInput): Plot {
  const rows = input.overall.flatMap((o) => [
    {
      series: optimalSeries,
      generations: o.generations,
      accuracy: o.optimal,
      low: o.optimalCi95[0],
      high: o.optimalCi95[1],
    },
    { series: bestOfNSeries, generations: o.budget, accuracy: o.bestOfN },
  ]);
  const title = "Compute-optimal against best-of-N";
  const x = generationsX;
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    legend: { labelLimit: 320, orient: "bottom" },
  } as const;
  return {
    file: "optimal-vs-best-of-n.svg",
    title,
    spec: {
      $schema: vegaLiteSchema,
      config: plotConfig,
      title: {
        text: title,
        subtitle: `${input.dataset.problems} problems; compute-optimal is ${input.folds}-fold cross-validated, bars are its 95% intervals`,
      },
      width: 420,
      height: 280,
      data: { values: rows },
      layer: [
        {
          name: "intervals",
          transform: [{ filter: `datum.series === '${optimalSeries}'` }],
          mark: { type: "rule", strokeWidth: 1.5 },
          encoding: {
            x,
            y: { field: "low", type: "quantitative", scale: accuracyScale },
            y2: { field: "high" },
            color,
          },
        },
        {
          name: "curves",
          mark: { type: "line", strokeWidth: 2 },
          encoding: {
            x,
            y: {
              field: "accuracy",
              type: "quantitative",
              scale: accuracyScale,
              axis: { format: "%" },
              title: "accuracy",
            },
            color,
          },
        },
        {
          name: "budgets",
          mark: { type: "point", filled: true, size: 40 },
          encoding: {
            x,
            y: { field: "accuracy", type: "quantitative", scale: accuracyScale },
            color,
          },
        },
      ],
    },
  };
}
