// Issue 4, e2e 8: pools that need more GPUs than the nodes have leave pods Pending, and the
// policy's conditions say so (with the scheduler's reason and a count).
import assert from "node:assert/strict";
import { test } from "node:test";
import { gpuPool, namespace, waitFor } from "../fixture.ts";
import {
  applyDoc,
  condition,
  getJson,
  installCrd,
  policyDoc,
  startOperator,
} from "./operator-harness.ts";

test("operator: pods Pending for lack of GPUs show in BudgetLimited and Degraded", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  await startOperator(t, { namespace: ns });
  // 3 bins x (4 + 4) GPUs = 24 requested, within the 24-GPU budget, but the nodes have only 8.
  await applyDoc(
    ns,
    policyDoc("big", pool, (d) => {
      d.spec.proposer.gpus = 4;
      d.spec.verifier.gpus = 4;
      d.spec.budget.gpus = 24;
    }),
  );
  // 6 pods of 4 GPUs on 8 GPUs: 2 fit, 4 stay Pending. Wait for the whole picture, not the first
  // Pending pod: the scheduler and the status catch up pod by pod.
  const { policy, pending } = await waitFor(
    "4 pods Pending and BudgetLimited=True for lack of GPUs",
    async () => {
      const p = await getJson(["-n", ns, "get", "ttp", "big"]);
      const pods = (await getJson(["-n", ns, "get", "pods", "-l", "mull.dev/policy=big"])).items;
      const waiting = pods.filter(
        (x: { status: { phase: string } }) => x.status.phase === "Pending",
      );
      const limited = condition(p, "BudgetLimited")?.reason === "InsufficientGPUs";
      return limited && waiting.length >= 4 && (p.status?.gpus?.pending ?? 0) >= 16
        ? { policy: p, pending: waiting }
        : undefined;
    },
    { timeoutMs: 120_000 },
  );
  assert.equal(pending.length, 4, "exactly the pods that do not fit are Pending");
  assert.equal(condition(policy, "BudgetLimited").status, "True");
  assert.match(
    condition(policy, "BudgetLimited").message,
    /\d+ pod\(s\) Pending for lack of nvidia.com\/gpu/,
  );
  const degraded = condition(policy, "Degraded");
  assert.equal(degraded.status, "True");
  assert.equal(degraded.reason, "InsufficientGPUs");
  assert.match(degraded.message, /Insufficient nvidia.com\/gpu/);
  assert.equal(condition(policy, "Ready").status, "False");
  assert.equal(policy.status.gpus.pending, 16);

  // Over budget is reported too, before any pod is even created.
  await applyDoc(
    ns,
    policyDoc("big", pool, (d) => {
      d.spec.proposer.gpus = 4;
      d.spec.verifier.gpus = 4;
      d.spec.budget.gpus = 8;
    }),
  );
  await waitFor("BudgetLimited=OverBudget", async () => {
    const p = await getJson(["-n", ns, "get", "ttp", "big"]);
    const c = condition(p, "BudgetLimited");
    return c?.reason === "OverBudget" && /request 24 GPUs, budget is 8/.test(c.message);
  });
  await waitFor("a budget Warning event", async () =>
    (await getJson(["-n", ns, "get", "events"])).items.some(
      (e: { type: string; reason: string }) =>
        e.type === "Warning" && e.reason === "InsufficientGPUs",
    ),
  );
});
