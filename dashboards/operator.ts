// Operator: the control loop (reconciles, writes, queue, watches), what it asked of the cluster
// per pool (replicas desired and ready, GPUs against the budget), what the planner decided
// (demand, levels in force), alerts applied, and who leads.
import { operator, operatorProcess } from "./metrics.ts";
import { dashboard, quantile, rateBy, row, sel, timeseries } from "./panels.ts";

export function operatorDashboard() {
  const replicas = operator("poolReplicas");
  const gpus = operator("policyGpus");
  // The control-loop metrics describe the operator process, not one policy: no policy filter.
  // Per-policy gauges are taken with max, not sum: a former leader may still export its last
  // values beside the new leader's.
  const any = "{}";
  return dashboard(
    "mull-operator",
    "Mull / Operator",
    "The TestTimePolicy operator: reconciles, writes, pools, GPUs, planner levels, alerts and leadership.",
    replicas,
  )
    .withRow(row("Control loop"))
    .withPanel(
      timeseries(
        "Reconciles by result",
        [[rateBy(["result"], operator("reconciles"), any), "{{result}}"]],
        {
          unit: "ops",
        },
      ),
    )
    .withPanel(
      timeseries(
        "Reconcile duration",
        [0.5, 0.95].map((q) => [
          quantile(q, [], operator("reconcileDuration"), any),
          `p${q * 100}`,
        ]),
        { unit: "s" },
      ),
    )
    .withPanel(
      timeseries(
        "API writes by verb and kind",
        [[rateBy(["verb", "kind"], operator("writes"), any), "{{verb}} {{kind}}"]],
        {
          unit: "ops",
          description: "A no-op resync writes nothing: a steady non-zero line is a bug.",
        },
      ),
    )
    .withPanel(
      timeseries("Queue, watch restarts, memory", [
        [`max(${operator("queueDepth")})`, "queue depth"],
        [
          `sum by (informer) (increase(${operator("informerRestarts")}[$__rate_interval]))`,
          "restarts {{informer}}",
        ],
        [
          `max by (pod) (${operatorProcess("process_resident_memory_bytes")}) / 2^20`,
          "RSS MiB {{pod}}",
        ],
      ]),
    )
    .withPanel(
      timeseries("Leader", [[`max by (pod) (${operator("leader")})`, "{{pod}}"]], {
        min: 0,
        max: 1,
        description: "1 on the replica holding the Lease; exactly one should.",
      }),
    )
    .withRow(row("Pools"))
    .withPanel(
      timeseries("Replicas desired and ready per pool", [
        [
          `max by (namespace, policy, bin, role) (${replicas}${sel('state="desired"')})`,
          "{{policy}} b{{bin}} {{role}} desired",
        ],
        [
          `max by (namespace, policy, bin, role) (${replicas}${sel('state="ready"')})`,
          "{{policy}} b{{bin}} {{role}} ready",
        ],
      ]),
    )
    .withPanel(
      timeseries(
        "GPUs against budget",
        [
          [
            `max by (namespace, policy) (${gpus}${sel('kind="requested"')})`,
            "{{policy}} requested",
          ],
          [`max by (namespace, policy) (${gpus}${sel('kind="budget"')})`, "{{policy}} budget"],
          [`max by (namespace, policy) (${gpus}${sel('kind="pending"')})`, "{{policy}} pending"],
        ],
        { description: "Pending: GPUs of pods the scheduler cannot place." },
      ),
    )
    .withRow(row("Planner and alerts"))
    .withPanel(
      timeseries(
        "Demand per bin",
        [
          [
            `max by (namespace, policy, bin) (${operator("demand")}${sel()})`,
            "{{policy}} b{{bin}}",
          ],
        ],
        {
          unit: "reqps",
        },
      ),
    )
    .withPanel(
      timeseries(
        "Levels in force",
        [
          [
            `max by (policy, bin) (${operator("binMaxLevel")}${sel()})`,
            "{{policy}} b{{bin}} max level",
          ],
        ],
        { description: "The highest strategy-table level (0-based) the planner lets routers use." },
      ),
    )
    .withPanel(
      timeseries("Planner decisions by reason", [
        [
          `sum by (reason) (increase(${operator("plannerDecisions")}[$__rate_interval]))`,
          "{{reason}}",
        ],
      ]),
    )
    .withPanel(
      timeseries("Alerts applied", [
        [
          `sum by (source, action, result) (increase(${operator("alerts")}[$__rate_interval]))`,
          "{{source}} {{action}} {{result}}",
        ],
      ]),
    );
}
