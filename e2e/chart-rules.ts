// The chart's Prometheus rules as rule groups, rendered by the real helm with the given values
// (for instance alerts.rules.<alert> overrides that make a scaling alert fire within seconds on a
// loopback fleet): exactly the groups the PrometheusRule carries, ready for
// startPrometheus({ ruleGroups }). The alert webhook is on, so the mull-scaling group is there.
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "./cluster/state.ts";
import { helm } from "./fixture.ts";

export interface RuleGroup {
  name: string;
  rules: Array<{
    alert?: string;
    record?: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }>;
}

export async function chartRuleGroups(sets: string[] = []): Promise<RuleGroup[]> {
  const args = ["template", "mull", join(repoRoot, "charts/mull")];
  args.push("--show-only", "templates/prometheusrule.yaml");
  for (const s of ["prometheusRule.enabled=true", "alerts.enabled=true", "alerts.auth.token=e2e"]) {
    args.push("--set", s);
  }
  for (const s of sets) args.push("--set", s);
  const [rule] = parseAllDocuments((await helm(args)).stdout).map((d) => d.toJS());
  return rule.spec.groups as RuleGroup[];
}
