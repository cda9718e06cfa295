// Reaction of the real operator to a demand step, on the e2e control plane and nats-server:
// DemandReports (e2e/demand-publisher.ts, as routers send them) step a bin's rate, and we time
// how long until the operator has written the new replica count into the Deployments, and (with a
// tight GPU budget) until the snapshot the routers read carries the lowered max_level. Baseline in
// the same run: the same replica change made by editing the policy's minReplicas in manual mode,
// i.e. the operator's own watch → reconcile → apply path without the bus, window and planner.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromBinary, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { parse, stringify } from "yaml";
import { freePort, isListening } from "../e2e/cluster/ports.ts";
import { demandLevels, linearLoad, publishDemand } from "../e2e/demand-publisher.ts";
import { cluster, kubectl, nats, waitFor } from "../e2e/fixture.ts";
import { installCrd, type PolicyDoc, policyDoc } from "../e2e/tests/operator-harness.ts";
import { defaultPolicyBucket, policyKey } from "../proto/bus/naming.ts";
import { PolicySnapshotSchema, RouterConfigSchema } from "../proto/gen/mull/v1/fleet_pb.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));

export interface ReactionFigures {
  demandWindowSeconds: number;
  /** Demand step → Deployment replicas written, per step (ms). */
  replicasMs: number[];
  /** minReplicas edit → Deployment replicas written (ms): the baseline. */
  baselineMs: number[];
  /** Demand step → router ConfigMap carries the new max_level (ms). */
  configMapLevelMs: number[];
  /** Demand step → KV snapshot carries the new max_level (ms). */
  kvLevelMs: number[];
}

function doc(name: string, mode: string, gpus: number): PolicyDoc {
  return policyDoc(name, undefined, (d) => {
    d.spec.scaling = { mode, targetUtilization: 0.5, stabilizationSeconds: 0 };
    d.spec.proposer.capacityTokensPerSecond = 1000;
    d.spec.verifier.capacityTokensPerSecond = 1000;
    d.spec.budget.gpus = gpus;
    for (const b of d.spec.bins) {
      b.proposer = { minReplicas: 1, maxReplicas: 4 };
      b.verifier = { minReplicas: 1, maxReplicas: 4 };
    }
  });
}

async function timeUntil(what: string, check: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  await waitFor(what, async () => ((await check()) ? true : undefined), {
    timeoutMs: 180_000,
    intervalMs: 50,
  });
  return performance.now() - t0;
}

export async function measureReaction(
  steps: number,
  demandWindowSeconds: number,
): Promise<ReactionFigures> {
  const c = await cluster();
  const { url } = await nats();
  const ns = `bench-planner-${Date.now().toString(36)}`;
  const apps = c.kubeConfig.makeApiClient(AppsV1Api);
  const core = c.kubeConfig.makeApiClient(CoreV1Api);
  const replicas = async (name: string) =>
    (await apps.readNamespacedDeployment({ name, namespace: ns })).spec?.replicas;
  const cmLevel = async (policy: string) => {
    const cm = await core.readNamespacedConfigMap({ name: `${policy}-router`, namespace: ns });
    const config = fromJson(RouterConfigSchema, parse(cm.data?.["router.yaml"] ?? "") as JsonValue);
    return config.policies[0]?.binTable[0]?.maxLevel;
  };
  const nc = await connect({ servers: url });
  let op: ChildProcess | undefined;
  const publishers: Array<{ stop(): Promise<void> }> = [];
  const figures: ReactionFigures = {
    demandWindowSeconds,
    replicasMs: [],
    baselineMs: [],
    configMapLevelMs: [],
    kvLevelMs: [],
  };
  try {
    await installCrd();
    await kubectl(["create", "namespace", ns]);
    await waitFor("ServiceAccount default", () =>
      kubectl(["-n", ns, "get", "serviceaccount", "default"]),
    );
    const docs = [
      doc("react", "planner", 100),
      doc("manual", "manual", 100),
      doc("tight", "planner", 8),
    ];
    await kubectl(["-n", ns, "apply", "-f", "-"], {
      input: docs.map((d) => stringify(d)).join("---\n"),
    });
    const port = await freePort();
    op = spawn(
      join(repo, "node_modules/.bin/node"),
      [
        join(repo, "bin/mull.ts"),
        "operator",
        `--kubeconfig=${c.kubeconfig}`,
        `--namespace=${ns}`,
        "--leader-elect=false",
        `--metrics-port=${port}`,
        "--bind-address=127.0.0.1",
        `--nats=${url}`,
        `--demand-window=${demandWindowSeconds}`,
        "--log-level=warn",
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    await waitFor("operator metrics port", async () =>
      (await isListening(port)) ? true : undefined,
    );
    await waitFor("pools at minReplicas", async () =>
      (await replicas("react-b1-proposer").catch(() => undefined)) === 1 &&
      (await replicas("manual-b1-proposer").catch(() => undefined)) === 1 &&
      (await replicas("tight-b1-proposer").catch(() => undefined)) === 1
        ? true
        : undefined,
    );
    const kv = await new Kvm(nc).open(defaultPolicyBucket);
    const kvLevel = async (policy: string) => {
      const e = await kv.get(policyKey(ns, policy));
      if (!e || e.length === 0) return undefined;
      return fromBinary(PolicySnapshotSchema, e.value).binTable[0]?.maxLevel;
    };

    const react = await publishDemand({
      natsUrl: url,
      namespace: ns,
      policy: "react",
      levels: demandLevels(doc("react", "planner", 1).spec),
      followCaps: false,
    });
    const tight = await publishDemand({
      natsUrl: url,
      namespace: ns,
      policy: "tight",
      levels: demandLevels(doc("tight", "planner", 1).spec),
      followCaps: false,
    });
    publishers.push(react, tight);
    react.set(1, linearLoad(0.5));
    tight.set(1, linearLoad(0.5));
    // Let the windows fill with the low rate first.
    await new Promise((r) => setTimeout(r, demandWindowSeconds * 1000));

    for (let i = 0; i < steps; i++) {
      // Up: 3 req/s needs 3 + 3 replicas (react) and, on 8 GPUs, level 0 (tight).
      react.set(1, linearLoad(3));
      tight.set(1, linearLoad(3));
      const up = timeUntil(
        "react scaled up",
        async () => (await replicas("react-b1-proposer")) === 3,
      );
      const cmCap = timeUntil(
        "tight capped in the ConfigMap",
        async () => (await cmLevel("tight")) === 0,
      );
      const kvCap = timeUntil("tight capped in KV", async () => (await kvLevel("tight")) === 0);
      figures.replicasMs.push(await up);
      figures.configMapLevelMs.push(await cmCap);
      figures.kvLevelMs.push(await kvCap);
      // Back down (no stabilisation window here) before the next step.
      react.set(1, linearLoad(0.5));
      tight.set(1, linearLoad(0.5));
      await timeUntil("react back down", async () => (await replicas("react-b1-proposer")) === 1);
      await timeUntil("tight uncapped", async () => (await cmLevel("tight")) === undefined);

      // Baseline: the same replica change by editing minReplicas of the manual policy.
      const patch = (min: number) =>
        kubectl([
          "-n",
          ns,
          "patch",
          "ttp",
          "manual",
          "--type=json",
          "-p",
          JSON.stringify([
            { op: "replace", path: "/spec/bins/0/proposer/minReplicas", value: min },
          ]),
        ]);
      // kubectl's own start-up is not the operator's time: time from after the patch returns,
      // plus the time the patch call itself took minus a no-op kubectl of the same kind.
      const p0 = performance.now();
      await patch(3);
      const patched = performance.now();
      const rest = await timeUntil(
        "manual scaled",
        async () => (await replicas("manual-b1-proposer")) === 3,
      );
      const n0 = performance.now();
      await kubectl(["-n", ns, "get", "ttp", "manual", "-o", "name"]);
      const noop = performance.now() - n0;
      figures.baselineMs.push(Math.max(patched - p0 - noop, 0) + rest);
      await patch(1);
      await timeUntil("manual back", async () => (await replicas("manual-b1-proposer")) === 1);
    }
    return figures;
  } finally {
    for (const p of publishers) await p.stop().catch(() => {});
    await nc.close().catch(() => {});
    if (op) {
      op.kill("SIGTERM");
      await new Promise((r) => op?.once("exit", r));
    }
    await kubectl(["delete", "namespace", ns, "--wait=false"], { check: false });
  }
}
