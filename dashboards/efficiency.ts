// Test-time compute efficiency: what a request costs per difficulty bin (generations, tokens),
// and what the fleet buys with its GPUs: the expected number of correct answers per GPU-hour,
// from the expectedAccuracy the strategy table carries for the level in force in each bin.
import { operator, router } from "./metrics.ts";
import { dashboard, rateBy, row, sel, timeseries } from "./panels.ts";

export function efficiencyDashboard() {
  const solved = router("bin");
  const perBin = (m: string, extra: string[] = []) =>
    rateBy(["namespace", "policy", "bin", ...extra], m);
  // Operator gauges by max: a former leader may still export its last values beside the leader's.
  const accuracy = `max by (namespace, policy, bin) (${operator("binExpectedAccuracy")}${sel()})`;
  const requestedGpus = `max by (namespace, policy) (${operator("policyGpus")}${sel('kind="requested"')})`;
  // Requests/s in each bin times the accuracy of the level in force there: correct answers/s.
  const correct = `sum by (namespace, policy) (${perBin(solved)} * on (namespace, policy, bin) group_left ${accuracy})`;
  return dashboard(
    "mull-efficiency",
    "Mull / Test-time compute efficiency",
    "Generations and tokens per request per bin; expected correct answers per GPU-hour.",
    solved,
  )
    .withRow(row("Cost per request"))
    .withPanel(
      timeseries("Generations per request, by bin", [
        [
          `${perBin(router("generations"))} / on (namespace, policy, bin) ${perBin(solved)}`,
          "{{policy}} b{{bin}}",
        ],
      ]),
    )
    .withPanel(
      timeseries("Tokens per request, by bin and role", [
        [
          `${perBin(router("tokens"), ["role"])} / on (namespace, policy, bin) group_left ${perBin(solved)}`,
          "{{policy}} b{{bin}} {{role}}",
        ],
      ]),
    )
    .withPanel(
      timeseries(
        "Share of requests by bin",
        [
          [
            `${perBin(solved)} / on (namespace, policy) group_left sum by (namespace, policy) (rate(${solved}${sel()}[$__rate_interval]))`,
            "{{policy}} b{{bin}}",
          ],
        ],
        {
          unit: "percentunit",
        },
      ),
    )
    .withPanel(
      timeseries(
        "Early stops per request, by bin",
        [
          [
            `${perBin(router("earlyStops"))} / on (namespace, policy, bin) ${perBin(solved)}`,
            "{{policy}} b{{bin}}",
          ],
        ],
        { unit: "percentunit" },
      ),
    )
    .withRow(row("Accuracy per GPU"))
    .withPanel(
      timeseries(
        "Expected accuracy per GPU-hour",
        [[`3600 * ${correct} / on (namespace, policy) ${requestedGpus}`, "{{policy}}"]],
        {
          description:
            "Expected correct answers per GPU-hour: requests/s per bin × expectedAccuracy of the level in force, over the GPUs the policy requests. Empty when the table carries no expectedAccuracy.",
        },
      ),
    )
    .withPanel(
      timeseries("Expected accuracy of the level in force", [[accuracy, "{{policy}} b{{bin}}"]], {
        unit: "percentunit",
        min: 0,
        max: 1,
      }),
    )
    .withPanel(
      timeseries(
        "Expected accuracy of all answers",
        [
          [
            `${correct} / on (namespace, policy) sum by (namespace, policy) (rate(${solved}${sel()}[$__rate_interval]))`,
            "{{policy}}",
          ],
        ],
        {
          unit: "percentunit",
          min: 0,
          max: 1,
        },
      ),
    );
}
