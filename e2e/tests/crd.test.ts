// The apiserver, not our code, enforces a CRD's structural schema and its CEL rules.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ApiException, CustomObjectsApi } from "@kubernetes/client-node";
import { cluster, kubectl, namespace, waitFor } from "../fixture.ts";

const crdFile = fileURLToPath(new URL("../fixtures/widget-crd.yaml", import.meta.url));
const CRD = "widgets.e2e.mull.dev";

function widget(name: string, minReplicas: unknown, maxReplicas: unknown): string {
  return JSON.stringify({
    apiVersion: "e2e.mull.dev/v1",
    kind: "Widget",
    metadata: { name },
    spec: { minReplicas, maxReplicas },
  });
}

test("a CRD's CEL rule rejects a bad object with the rule's message", async (t) => {
  const c = await cluster();
  const ns = await namespace(t);
  await kubectl(["apply", "-f", crdFile]);
  // Cluster-scoped: removed after the test (its Widgets go with it).
  t.after(() => kubectl(["delete", "crd", CRD, "--wait=false"], { check: false }));
  await kubectl(["wait", "--for=condition=Established", `crd/${CRD}`, "--timeout=120s"]);

  // Established can precede the type showing up in discovery, which kubectl relies on: retry.
  const good = await waitFor("kubectl to know the Widget kind", () =>
    kubectl(["-n", ns, "apply", "-f", "-"], { input: widget("good", 1, 3) }),
  );
  assert.match(good.stdout, /widget\.e2e\.mull\.dev\/good created/);

  const bad = await kubectl(["-n", ns, "apply", "-f", "-"], {
    input: widget("bad", 5, 2),
    check: false,
  });
  assert.notEqual(bad.code, 0, "the apiserver must refuse min > max");
  assert.match(bad.stderr, /minReplicas must not exceed maxReplicas/);

  // The same through client-node: a 422 whose status names the field and carries the message.
  const custom = c.kubeConfig.makeApiClient(CustomObjectsApi);
  const err = await custom
    .createNamespacedCustomObject({
      group: "e2e.mull.dev",
      version: "v1",
      namespace: ns,
      plural: "widgets",
      body: JSON.parse(widget("bad2", 4, 1)),
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
  assert.equal(err.code, 422);
  assert.match(String(err.body), /minReplicas must not exceed maxReplicas/);

  // The structural schema too: a string where an integer belongs.
  const typed = await kubectl(["-n", ns, "apply", "-f", "-"], {
    input: widget("typed", "one", 2),
    check: false,
  });
  assert.notEqual(typed.code, 0);
  assert.match(typed.stderr, /spec\.minReplicas/);

  const list = await kubectl(["-n", ns, "get", "widgets", "-o", "name"]);
  assert.equal(list.stdout.trim(), "widget.e2e.mull.dev/good");
});
