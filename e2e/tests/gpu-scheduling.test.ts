// The real kube-scheduler against nvidia.com/gpu capacity: what fits runs, the rest stays Pending
// with the scheduler's own reason, and freed GPUs are handed to a Pending pod. Each test has its
// own GPU pool, so tests running at the same time never compete for GPUs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AppsV1Api, CoreV1Api, type V1Deployment, type V1Pod } from "@kubernetes/client-node";
import {
  cluster,
  GPU_RESOURCE,
  type GpuPool,
  gpuPool,
  kubectl,
  namespace,
  podRequest,
  waitFor,
} from "../fixture.ts";

function gpuDeployment(name: string, replicas: number, gpus: number, pool: GpuPool): V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector: pool.nodeSelector,
          tolerations: pool.tolerations,
          containers: [
            {
              name: "worker",
              // kwok plays kubelet: the image is never pulled.
              image: "registry.invalid/gpu-worker:0",
              resources: {
                requests: { [GPU_RESOURCE]: String(gpus) },
                limits: { [GPU_RESOURCE]: String(gpus) },
              },
            },
          ],
        },
      },
    },
  };
}

const isReady = (p: V1Pod) =>
  p.status?.phase === "Running" &&
  (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** Why the scheduler left a pod Pending, or undefined if it has not said yet. */
const unschedulable = (p: V1Pod) =>
  p.status?.phase === "Pending" && !p.spec?.nodeName
    ? (p.status.conditions ?? []).find(
        (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable",
      )?.message
    : undefined;

interface Settled {
  ready: V1Pod[];
  pending: V1Pod[];
}

/** Waits until the app's live pods are exactly `ready` Running+Ready and `pending` unschedulable. */
async function settle(
  core: CoreV1Api,
  ns: string,
  app: string,
  want: { ready: number; pending: number },
): Promise<Settled> {
  let last = "";
  try {
    return await waitFor(`${app}: ${want.ready} ready, ${want.pending} pending`, async () => {
      const pods = (
        await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })
      ).items.filter((p) => !p.metadata?.deletionTimestamp);
      const ready = pods.filter(isReady);
      const pending = pods.filter((p) => unschedulable(p) !== undefined);
      last = pods
        .map((p) => `${p.metadata?.name} ${p.status?.phase} node=${p.spec?.nodeName ?? "-"}`)
        .join("; ");
      const exact =
        pods.length === want.ready + want.pending &&
        ready.length === want.ready &&
        pending.length === want.pending;
      return exact ? { ready, pending } : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}; pods: ${last}`);
  }
}

test("a Deployment asking for more GPUs than the nodes hold runs only what fits", async (t) => {
  const c = await cluster();
  const core = c.kubeConfig.makeApiClient(CoreV1Api);
  const apps = c.kubeConfig.makeApiClient(AppsV1Api);
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });

  // 4 replicas × 3 GPUs = 12 > 8 GPUs. Per node only one 3-GPU replica fits (the spare GPU on
  // each node cannot be pooled), so exactly 2 run although 8 GPUs could hold 2.67 replicas.
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: gpuDeployment("trainer", 4, 3, pool),
  });
  const { ready, pending } = await settle(core, ns, "trainer", { ready: 2, pending: 2 });

  const nodes = ready.map((p) => p.spec?.nodeName);
  assert.deepEqual(new Set(nodes), new Set(pool.nodes), "one running replica per pool node");
  for (const p of ready) assert.equal(podRequest(p), 3);
  for (const p of pending) {
    assert.match(unschedulable(p) ?? "", /Insufficient nvidia\.com\/gpu/);
  }

  const d = await apps.readNamespacedDeployment({ name: "trainer", namespace: ns });
  assert.equal(d.status?.readyReplicas, 2);
  assert.equal(d.status?.unavailableReplicas, 2);
});

test("scaling a Deployment down frees GPUs and a Pending pod gets scheduled", async (t) => {
  const c = await cluster();
  const core = c.kubeConfig.makeApiClient(CoreV1Api);
  const apps = c.kubeConfig.makeApiClient(AppsV1Api);
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });

  // "big" takes every GPU of the pool; "waiting" then cannot be placed anywhere.
  await apps.createNamespacedDeployment({ namespace: ns, body: gpuDeployment("big", 2, 4, pool) });
  await settle(core, ns, "big", { ready: 2, pending: 0 });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: gpuDeployment("waiting", 1, 4, pool),
  });
  const before = await settle(core, ns, "waiting", { ready: 0, pending: 1 });
  assert.match(unschedulable(before.pending[0] as V1Pod) ?? "", /Insufficient nvidia\.com\/gpu/);

  await kubectl(["-n", ns, "scale", "deployment/big", "--replicas=1"]);

  const big = await settle(core, ns, "big", { ready: 1, pending: 0 });
  const waiting = await settle(core, ns, "waiting", { ready: 1, pending: 0 });
  const waitingNode = waiting.ready[0]?.spec?.nodeName;
  assert.ok(waitingNode && pool.nodes.includes(waitingNode), "scheduled onto the pool");
  assert.notEqual(waitingNode, big.ready[0]?.spec?.nodeName, "on the node big released");
});
