// helm (our build) installs a chart into the real cluster and uninstalls it without leftovers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { cluster, helm, namespace } from "../fixture.ts";

const chart = fileURLToPath(new URL("../fixtures/chart", import.meta.url));

const notFound = (p: Promise<unknown>) =>
  p.then(
    () => false,
    (e: { code?: number }) => e.code === 404,
  );

test("helm install deploys a chart and helm uninstall removes it", async (t) => {
  const c = await cluster();
  const core = c.kubeConfig.makeApiClient(CoreV1Api);
  const apps = c.kubeConfig.makeApiClient(AppsV1Api);
  const ns = await namespace(t);

  await helm([
    "install",
    "hello",
    chart,
    "--namespace",
    ns,
    "--set",
    "greeting=hi from e2e",
    "--wait",
    "--timeout=3m",
  ]);

  const releases = JSON.parse((await helm(["list", "-n", ns, "-o", "json"])).stdout) as {
    name: string;
    status: string;
  }[];
  assert.deepEqual(
    releases.map((r) => [r.name, r.status]),
    [["hello", "deployed"]],
  );
  const cm = await core.readNamespacedConfigMap({ name: "hello-config", namespace: ns });
  assert.equal(cm.data?.greeting, "hi from e2e");
  // --wait returned, so kwok has made the pod Ready.
  const d = await apps.readNamespacedDeployment({ name: "hello-app", namespace: ns });
  assert.equal(d.status?.readyReplicas, 1);

  await helm(["uninstall", "hello", "--namespace", ns, "--wait", "--timeout=3m"]);

  assert.ok(await notFound(core.readNamespacedConfigMap({ name: "hello-config", namespace: ns })));
  assert.ok(await notFound(apps.readNamespacedDeployment({ name: "hello-app", namespace: ns })));
  const after = JSON.parse((await helm(["list", "-n", ns, "-a", "-o", "json"])).stdout);
  assert.deepEqual(after, []);
  // Helm's release record (a Secret) is gone too.
  const secrets = await core.listNamespacedSecret({ namespace: ns, labelSelector: "owner=helm" });
  assert.equal(secrets.items.length, 0);
});
