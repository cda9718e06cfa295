import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { desiredState } from "./desired/state.ts";
import { maxEventMessage, reconcileEvent } from "./reconcile-event.ts";
import { examplePolicy } from "./testing/sample.ts";

const obj = (kind: string, name: string): KubernetesObject => ({ kind, metadata: { name } });

test("nothing created or pruned: no Event", () => {
  assert.equal(reconcileEvent([], []), undefined);
});

test("a new policy: one Created Event counting every kind and naming each pool once", () => {
  const { objects } = desiredState(examplePolicy());
  const e = reconcileEvent(objects, []);
  assert.equal(e?.reason, "Created");
  assert.equal(
    e?.message,
    "created 6 Deployments, 6 Services and 1 ConfigMap: math-b1-proposer, math-b1-verifier, " +
      "math-b2-proposer, math-b2-verifier, math-b3-proposer, math-b3-verifier, math-router",
  );
});

test("a removed bin: one Pruned Event", () => {
  const e = reconcileEvent(
    [],
    [obj("Deployment", "math-b3-proposer"), obj("Service", "math-b3-proposer")],
  );
  assert.deepEqual(e, {
    reason: "Pruned",
    message: "pruned 1 Deployment and 1 Service no longer in the spec: math-b3-proposer",
  });
});

test("creations and deletions in one reconcile: one Reconciled Event saying both", () => {
  const e = reconcileEvent(
    [obj("Deployment", "m-b4-proposer")],
    [obj("Deployment", "m-b3-proposer")],
  );
  assert.deepEqual(e, {
    reason: "Reconciled",
    message:
      "created 1 Deployment: m-b4-proposer; pruned 1 Deployment no longer in the spec: m-b3-proposer",
  });
});

test("hundreds of objects: the message fits an Event, keeps the counts and says how many names it left out", () => {
  const many = Array.from({ length: 400 }, (_, i) =>
    obj("Deployment", `a-very-long-policy-name-b${i}-proposer`),
  );
  const e = reconcileEvent(many, many.slice(0, 300));
  assert.ok(e);
  assert.ok(e.message.length <= maxEventMessage, `${e.message.length} chars`);
  assert.match(
    e.message,
    /^created 400 Deployments: a-very-long-policy-name-b0-proposer, .* and \d+ more; /,
  );
  assert.match(e.message, /; pruned 300 Deployments no longer in the spec: .* and \d+ more$/);
  const listed = (e.message.split("; ")[0] ?? "").split(", ").length;
  const more = Number(/and (\d+) more;/.exec(e.message)?.[1]);
  assert.equal(listed + more, 400);
});
