// The few shapes every Mull dashboard is made of: a Prometheus datasource variable, namespace and
// policy filters, and time-series panels of PromQL queries, laid out two to a row.
import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";

// Grafana's own variable syntax, not a JS template.
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable reference
export const datasource = { type: "prometheus", uid: "${datasource}" };

/** `{namespace=~"$namespace", policy=~"$policy"}` plus extra matchers. */
export function sel(...extra: string[]): string {
  return `{${['namespace=~"$namespace"', 'policy=~"$policy"', ...extra].join(", ")}}`;
}

/** A query: PromQL and the legend of its series. */
export type Query = [expr: string, legend: string];

export interface PanelOptions {
  unit?: string;
  description?: string;
  min?: number;
  max?: number;
  span?: number;
}

export function timeseries(
  title: string,
  queries: Query[],
  o: PanelOptions = {},
): TimeseriesBuilder {
  const panel = new TimeseriesBuilder()
    .title(title)
    .datasource(datasource)
    .span(o.span ?? 12)
    .height(8)
    .unit(o.unit ?? "short")
    .fillOpacity(10)
    .lineWidth(1);
  if (o.description) panel.description(o.description);
  if (o.min !== undefined) panel.min(o.min);
  if (o.max !== undefined) panel.max(o.max);
  queries.forEach(([expr, legend], i) => {
    panel.withTarget(
      new DataqueryBuilder()
        .expr(expr)
        .legendFormat(legend)
        .refId(String.fromCharCode(65 + i)),
    );
  });
  return panel;
}

/**
 * A dashboard with the datasource, namespace and policy variables. `policyFrom` is a metric that
 * carries both labels, for the variables' label_values() queries.
 */
export function dashboard(
  uid: string,
  title: string,
  description: string,
  policyFrom: string,
): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["mull"])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh("30s")
    .time({ from: "now-6h", to: "now" })
    .timezone("browser")
    .withVariable(
      new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"),
    )
    .withVariable(
      new QueryVariableBuilder("namespace")
        .label("Namespace")
        .datasource(datasource)
        .query(`label_values(${policyFrom}, namespace)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".*"),
    )
    .withVariable(
      new QueryVariableBuilder("policy")
        .label("Policy")
        .datasource(datasource)
        .query(`label_values(${policyFrom}{namespace=~"$namespace"}, policy)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".*"),
    );
}

export const row = (title: string) => new RowBuilder(title);

/** `rate(metric{selector}[$__rate_interval])` summed by the given labels. */
export function rateBy(by: string[], metric: string, selector = sel()): string {
  const grouping = by.length ? ` by (${by.join(", ")})` : "";
  return `sum${grouping} (rate(${metric}${selector}[$__rate_interval]))`;
}

/** A quantile of a histogram, by the given labels. */
export function quantile(q: number, by: string[], histogram: string, selector = sel()): string {
  return `histogram_quantile(${q}, ${rateBy(["le", ...by], `${histogram}_bucket`, selector)})`;
}
