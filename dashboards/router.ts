// Router: what clients asked and got (requests, codes, latency), where the requests went (bins,
// strategies), what they cost (generations, tokens per role), how searches ended (early stops,
// partial answers), and how the backends behaved (errors and ejections per endpoint).
import { router } from "./metrics.ts";
import { dashboard, quantile, rateBy, row, sel, timeseries } from "./panels.ts";

export function routerDashboard() {
  const requests = router("requests");
  const duration = router("duration");
  const bySelector = (m: string, by: string[]) => rateBy(by, m);
  // Backend and admission metrics have no policy label: filter them by namespace only.
  const ns = '{namespace=~"$namespace"}';
  return dashboard(
    "mull-router",
    "Mull / Router",
    "The mull router: requests, latency, bins, strategies, cost, outcomes and backends.",
    requests,
  )
    .withRow(row("Requests"))
    .withPanel(
      timeseries("Requests by code", [[bySelector(requests, ["code"]), "{{code}}"]], {
        unit: "reqps",
      }),
    )
    .withPanel(
      timeseries(
        "Latency",
        [0.5, 0.95, 0.99].map((q) => [quantile(q, [], duration), `p${q * 100}`]),
        { unit: "s" },
      ),
    )
    .withPanel(
      timeseries("Errors by code", [[rateBy(["code"], requests, sel('code!="OK"')), "{{code}}"]], {
        unit: "reqps",
      }),
    )
    .withPanel(
      timeseries(
        "In flight and queued",
        [
          [`sum(${router("inFlight")}${ns})`, "in flight"],
          [`sum(${router("queued")}${ns})`, "queued"],
          [quantile(0.95, [], router("queueWait"), ns), "queue wait p95 (s)"],
        ],
        { description: "All slots busy while requests queue: the router is at capacity." },
      ),
    )
    .withRow(row("Bins and strategies"))
    .withPanel(
      timeseries(
        "Requests by difficulty bin",
        [[bySelector(router("bin"), ["bin"]), "bin {{bin}}"]],
        {
          unit: "reqps",
        },
      ),
    )
    .withPanel(
      timeseries(
        "Queue wait by difficulty bin",
        [[quantile(0.95, ["bin"], router("binQueueWait")), "p95 bin {{bin}}"]],
        {
          unit: "s",
          description:
            "What a bin's requests waited before their search ran (a slot, or a replica of a bin scaled to zero): the scaling alert MullBinQueueWaitHigh reads its mean.",
        },
      ),
    )
    .withPanel(
      timeseries("Requests by strategy", [[bySelector(requests, ["strategy"]), "{{strategy}}"]], {
        unit: "reqps",
      }),
    )
    .withPanel(
      timeseries(
        "Generations by strategy",
        [[bySelector(router("generations"), ["strategy"]), "{{strategy}}"]],
        { unit: "short", description: "Proposer generations per second." },
      ),
    )
    .withPanel(
      timeseries("Tokens by role", [[bySelector(router("tokens"), ["role"]), "{{role}}"]], {
        unit: "short",
        description: "Tokens per second: proposer prompt + completion, verifier input.",
      }),
    )
    .withRow(row("Outcomes"))
    .withPanel(
      timeseries(
        "Early stops and partial answers",
        [
          [bySelector(router("earlyStops"), ["bin"]), "early stop, bin {{bin}}"],
          [bySelector(router("partials"), ["bin"]), "partial, bin {{bin}}"],
        ],
        { unit: "reqps" },
      ),
    )
    .withPanel(
      timeseries(
        "Config reloads and HTTP front door",
        [
          [rateBy(["result"], router("configReloads"), ns), "reload {{result}}"],
          [rateBy(["route", "code"], router("httpResponses"), ns), "HTTP {{route}} {{code}}"],
        ],
        { unit: "short" },
      ),
    )
    .withRow(row("Backends"))
    .withPanel(
      timeseries(
        "Backend errors by endpoint and reason",
        [
          [
            rateBy(["role", "endpoint", "reason"], router("backendErrors"), ns),
            "{{role}} {{endpoint}} {{reason}}",
          ],
        ],
        {
          unit: "short",
          description: "Failed backend calls per second (retried on another replica).",
        },
      ),
    )
    .withPanel(
      timeseries("Ejected replicas", [
        [`sum by (role, endpoint) (${router("replicaEjected")}${ns})`, "{{role}} {{endpoint}}"],
        [rateBy(["role"], router("ejections"), ns), "ejections/s {{role}}"],
        [rateBy(["role"], router("readmissions"), ns), "readmissions/s {{role}}"],
      ]),
    );
}
