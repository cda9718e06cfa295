// The chart's KEDA wiring (keda.*): off by default; on, the operator gets --keda-port and a named
// container port, a Service selects every operator replica, and with networkPolicy.enabled KEDA's
// namespace may reach the port. The committed ScaledObject example points at that Service.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { repoRoot as repo } from "../cluster/state.ts";
import { helm } from "../fixture.ts";

const chart = join(repo, "charts/mull");
// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects, inspected freely
type Doc = any;

async function render(sets: string[]): Promise<Doc[]> {
  const args = ["template", "mull", chart, "--namespace", "mull"];
  for (const s of sets) args.push("--set", s);
  return parseAllDocuments((await helm(args)).stdout)
    .map((d) => d.toJS())
    .filter((d) => d && typeof d === "object");
}

test("chart: the KEDA external scaler is off by default; on, it has its port, Service and ingress", async () => {
  await helm(["lint", "--strict", chart, "--set", "keda.enabled=true,networkPolicy.enabled=true"]);
  const off = await render([]);
  assert.ok(
    !off.some((d) => d.metadata.name === "mull-operator-keda"),
    "nothing for KEDA by default",
  );
  const offArgs: string[] = off.find((d) => d.kind === "Deployment").spec.template.spec
    .containers[0].args;
  assert.ok(!offArgs.some((a) => a.startsWith("--keda-port")));

  const on = await render([
    "keda.enabled=true",
    "keda.port=9443",
    "keda.service.port=9090",
    "networkPolicy.enabled=true",
  ]);
  const container = on.find((d) => d.kind === "Deployment" && d.metadata.name === "mull-operator")
    .spec.template.spec.containers[0];
  assert.ok(container.args.includes("--keda-port=9443"));
  assert.ok(container.args.includes("--bind-address=0.0.0.0"), "KEDA reaches the pod's address");
  assert.deepEqual(
    container.ports.find((p: Doc) => p.name === "keda"),
    { name: "keda", containerPort: 9443, protocol: "TCP" },
  );
  const service = on.find((d) => d.kind === "Service" && d.metadata.name === "mull-operator-keda");
  assert.ok(service, "the KEDA Service");
  assert.deepEqual(service.spec.ports, [
    { name: "keda", port: 9090, targetPort: "keda", protocol: "TCP", appProtocol: "grpc" },
  ]);
  assert.equal(service.spec.selector["app.kubernetes.io/component"], "operator");
  const policy = on.find(
    (d) => d.kind === "NetworkPolicy" && d.metadata.name === "mull-operator-keda",
  );
  assert.deepEqual(policy.spec.ingress, [
    {
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } } }],
      ports: [{ port: 9443, protocol: "TCP" }],
    },
  ]);

  // The example's scalerAddress is this Service (release mull in namespace mull, default port).
  const defaults = await render(["keda.enabled=true"]);
  const svc = defaults.find(
    (d) => d.kind === "Service" && d.metadata.name === "mull-operator-keda",
  );
  const examples = parseAllDocuments(
    readFileSync(join(repo, "examples/keda-scaledobject.yaml"), "utf8"),
  ).map((d) => d.toJS());
  for (const so of examples) {
    for (const trigger of so.spec.triggers) {
      assert.equal(
        trigger.metadata.scalerAddress,
        `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:${svc.spec.ports[0].port}`,
      );
    }
  }

  await assert.rejects(helm(["template", "mull", chart, "--set", "keda.port=0"]), /keda\/port/);
  await assert.rejects(helm(["template", "mull", chart, "--set", "keda.typo=1"]), /typo/);
});
