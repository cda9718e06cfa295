// The cluster's shared GPU pool, seen through our own kubectl build.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { cluster, GPU_RESOURCE, kubectl, POOL_LABEL, versions, waitFor } from "../fixture.ts";

test("kubectl get nodes lists the GPU nodes with their nvidia.com/gpu capacity", async () => {
  const c = await cluster();
  const gpuPath = GPU_RESOURCE.replaceAll(".", "\\.");
  const columns = [
    "NAME:.metadata.name",
    `CAPACITY:.status.capacity.${gpuPath}`,
    `ALLOCATABLE:.status.allocatable.${gpuPath}`,
    "PRODUCT:.metadata.labels.nvidia\\.com/gpu\\.product",
    'READY:.status.conditions[?(@.type=="Ready")].status',
  ].join(",");
  const { stdout } = await kubectl([
    "get",
    "nodes",
    "-l",
    `${POOL_LABEL}=default`,
    "-o",
    `custom-columns=${columns}`,
    "--no-headers",
  ]);
  const rows = stdout
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/));
  assert.equal(rows.length, c.gpu.nodes, `expected ${c.gpu.nodes} GPU nodes:\n${stdout}`);
  for (const [name, capacity, allocatable, product, ready] of rows) {
    assert.match(name ?? "", /^gpu-node-\d+$/);
    assert.equal(capacity, String(c.gpu.gpusPerNode), `${name} capacity`);
    assert.equal(allocatable, String(c.gpu.gpusPerNode), `${name} allocatable`);
    assert.equal(product, c.gpu.product);
    assert.equal(ready, "True", `${name} Ready`);
  }

  // The plain table a human reads shows the same nodes, Ready.
  const table = await kubectl(["get", "nodes", "-l", `${POOL_LABEL}=default`]);
  for (const [name] of rows) assert.match(table.stdout, new RegExp(`${name}\\s+Ready`));
});

test("kubectl and the apiserver are the pinned Kubernetes release", async () => {
  const { stdout } = await kubectl(["version", "-o", "json"]);
  const v = JSON.parse(stdout) as {
    clientVersion: { gitVersion: string };
    serverVersion: { gitVersion: string };
  };
  // Set by build.sh's ldflags; without them both would say v0.0.0.
  assert.equal(v.clientVersion.gitVersion, versions.kubernetes);
  assert.equal(v.serverVersion.gitVersion, versions.kubernetes);
});

// Without a renewed Lease the node controller marks a node NotReady after its grace period and
// turns the pods on it unready for good (kwok readies Pending pods only): rollouts then hang.
test("every GPU node's Lease is renewed, so the node controller never marks it NotReady", async () => {
  const c = await cluster();
  const leases = c.kubeConfig.makeApiClient(CoordinationV1Api);
  const names = Array.from({ length: c.gpu.nodes }, (_, i) => `gpu-node-${i}`);
  const renewed = async (name: string) =>
    (await leases.readNamespacedLease({ name, namespace: "kube-node-lease" })).spec?.renewTime;
  for (const name of names) {
    const first = await renewed(name);
    assert.ok(first, `${name} has a Lease with a renewTime`);
    await waitFor(`${name}'s Lease renewed`, async () => {
      const now = await renewed(name);
      return now !== undefined && new Date(now).getTime() > new Date(first).getTime();
    });
  }
  const events = await kubectl([
    "get",
    "events",
    "-n",
    "default",
    "--field-selector",
    "reason=NodeNotReady",
    "-o",
    "name",
  ]);
  assert.equal(events.stdout.trim(), "", "no node was ever marked NotReady");
});
