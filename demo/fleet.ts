// `mull demo --fleet`: the control loop, live. Brings up the e2e control plane (building it on
// first use) and nats-server, runs the operator in planner mode on the bus, a router on the bus,
// and a simulated vLLM replica for every Running pod (e2e/sim-pods.ts), then plays a demand trace
// whose difficulty mix shifts and shows, every second (off a terminal, less often), the replicas
// per bin and role, the levels in force, GPUs against the budget and accuracy. A control plane
// and nats-server already up are reused; only what it started is torn down on exit, Ctrl-C
// included.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { bins as e2eBins, missingBins } from "../e2e/bins.ts";
import { clusterDown, clusterUp } from "../e2e/cluster/cluster.ts";
import { freePort, isListening } from "../e2e/cluster/ports.ts";
import { natsDown, natsUp } from "../e2e/nats/nats.ts";
import { type SimPods, simPods } from "../e2e/sim-pods.ts";
import { Router } from "../proto/gen/mull/v1/router_pb.ts";
import { createClient } from "../router/grpc/adapter.ts";
import { judgeAnswer, makeDataset } from "../sim/dataset.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const node = join(repo, "node_modules/.bin/node");
// A fresh namespace per run: the last run's may still be terminating.
const NS = `mull-demo-fleet-${Date.now().toString(36)}`;
const POLICY = "fleet";

interface Phase {
  name: string;
  /** Requests in flight per bin (bin 1 = easiest). */
  workers: [number, number, number];
}

const PHASES: Phase[] = [
  { name: "mostly easy", workers: [4, 1, 0] },
  { name: "even mix (over budget)", workers: [2, 2, 2] },
  { name: "mostly hard", workers: [0, 1, 4] },
  { name: "idle", workers: [0, 0, 0] },
];

// biome-ignore lint/suspicious/noExplicitAny: the policy YAML and its status, read loosely
type Doc = any;

function policy(): Doc {
  const d = parse(readFileSync(join(repo, "examples/policy.yaml"), "utf8"));
  d.metadata = { name: POLICY, namespace: NS };
  // Small capacities so that the simulated load asks for every pool's maximum; 2 replicas per
  // pool on 3 bins would need 12 GPUs, the budget is 8: the planner must choose.
  d.spec.scaling = { mode: "planner", targetUtilization: 0.7, stabilizationSeconds: 20 };
  d.spec.proposer.capacityTokensPerSecond = 3000;
  d.spec.verifier.capacityTokensPerSecond = 3000;
  d.spec.budget.gpus = 8;
  d.spec.difficulty.estimator = "hint";
  for (const b of d.spec.bins) {
    b.proposer = { minReplicas: 1, maxReplicas: 2 };
    b.verifier = { minReplicas: 1, maxReplicas: 2 };
  }
  return d;
}

export async function runFleetDemo(o: { phaseSeconds: number; seed: number }): Promise<number> {
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  let finishing = false;
  const finish = async () => {
    if (finishing) return;
    finishing = true;
    say("tearing down…");
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => {});
  };
  const onSignal = () => {
    void finish().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (missingBins().length > 0) {
      say(
        "building the control plane from upstream Go modules (kube-apiserver, etcd, kwok, nats-server, …)\n" +
          "the first build takes 15–25 minutes on 2 cores; later runs reuse ~/.cache/mull-e2e",
      );
      const build = spawnSync("bash", [join(repo, "e2e/build.sh")], { stdio: "inherit" });
      if (build.status !== 0) throw new Error("e2e/build.sh failed");
    }
    say("starting the control plane and nats-server…");
    const up = await clusterUp({ startedBy: "cli" });
    if (up.started) cleanup.push(() => clusterDown());
    const bus = await natsUp({ startedBy: "cli" });
    if (bus.started) cleanup.push(() => natsDown());
    const url = bus.state.url;
    const kc = new KubeConfig();
    kc.loadFromFile(up.state.kubeconfig);
    const env = { ...process.env, KUBECONFIG: up.state.kubeconfig };
    const kubectl = (args: string[], input?: string) => {
      const r = spawnSync(e2eBins.kubectl, args, { env, input, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(repo, "crds")]);
    kubectl(["wait", "--for=condition=Established", "crd/testtimepolicies.mull.dev"]);
    kubectl(["apply", "-f", "-"], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n`);
    say(`namespace ${NS}`);
    cleanup.push(() => kubectl(["delete", "namespace", NS, "--wait=false"]));

    const start = (args: string[]): ChildProcess => {
      const child = spawn(node, [join(repo, "bin/mull.ts"), ...args], {
        stdio: ["ignore", "ignore", "ignore"],
        env,
      });
      // Named so that whoever runs the demo (and its test) can check none outlives it.
      say(`started mull ${args[0]} (pid ${child.pid})`);
      cleanup.push(
        () =>
          new Promise((r) => {
            if (child.exitCode !== null) return r(undefined);
            child.once("exit", r);
            child.kill("SIGTERM");
          }),
      );
      return child;
    };
    start([
      "operator",
      `--kubeconfig=${up.state.kubeconfig}`,
      `--namespace=${NS}`,
      "--leader-elect=false",
      "--metrics-port=0",
      `--nats=${url}`,
      "--planner-interval=1",
      "--demand-window=10",
    ]);
    kubectl(["apply", "-f", "-"], JSON.stringify(policy()));
    const sims: SimPods = await simPods({
      kubeConfig: kc,
      namespace: NS,
      policy: POLICY,
      natsUrl: url,
    });
    cleanup.push(() => sims.stop());
    const port = await freePort();
    start([
      "router",
      `--nats=${url}`,
      `--bucket=${sims.bucket}`,
      `--policies=${NS}/${POLICY}`,
      "--report-interval=1",
      "--host=127.0.0.1",
      `--port=${port}`,
      "--metrics-port=-1",
    ]);
    for (let i = 0; !(await isListening(port)); i++) {
      if (i > 600) throw new Error("the router did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    const client = createClient(Router, `127.0.0.1:${port}`);
    cleanup.push(() => client.close());

    const datasets = [1, 2, 3].map((b) =>
      makeDataset({
        count: 400,
        seed: o.seed + b,
        minDifficulty: (b - 1) / 3,
        maxDifficulty: b / 3,
      }),
    );
    let phase = 0;
    let stop = false;
    const tally = { answered: 0, correct: 0, phaseAnswered: 0, phaseCorrect: 0 };
    let next = 0;
    const worker = async (bin: number, slot: number) => {
      while (!stop) {
        const current = PHASES[phase];
        if (!current || slot >= (current.workers[bin - 1] ?? 0)) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        const data = datasets[bin - 1] ?? [];
        const item = data[next++ % data.length];
        if (!item) continue;
        const r = await client
          .solve(
            { policy: `${NS}/${POLICY}`, prompt: item.problem, difficultyHint: bin },
            { timeoutMs: 60_000 },
          )
          .catch(() => undefined);
        if (!r) {
          await new Promise((res) => setTimeout(res, 250));
          continue;
        }
        const ok = judgeAnswer(item.answer, r.answer);
        tally.answered++;
        tally.phaseAnswered++;
        if (ok) {
          tally.correct++;
          tally.phaseCorrect++;
        }
      }
    };
    const workers = [1, 2, 3].flatMap((bin) => [0, 1, 2, 3].map((slot) => worker(bin, slot)));
    cleanup.push(async () => {
      stop = true;
      await Promise.all(workers);
    });

    const custom = kc.makeApiClient(CustomObjectsApi);
    const readPolicy = async () =>
      (await custom
        .getNamespacedCustomObject({
          group: "mull.dev",
          version: "v1alpha1",
          namespace: NS,
          plural: "testtimepolicies",
          name: POLICY,
        })
        .catch(() => undefined)) as Doc;
    // The first frame should show the fleet, not question marks: on a busy machine the operator's
    // first status can lag the router's start by seconds.
    say("waiting for the operator's first status…");
    for (let i = 0; ; i++) {
      const s = (await readPolicy())?.status;
      if (s?.gpus?.budget !== undefined && (s.bins ?? []).length === 3) break;
      if (i > 1200) throw new Error("the operator wrote no status for the policy in 120 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const tty = process.stdout.isTTY;
    const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : "–");
    const render = async (left: number) => {
      const p = await readPolicy();
      const limited = (p?.status?.conditions ?? []).find((c: Doc) => c.type === "BudgetLimited");
      const lines = [
        `mull demo --fleet   phase ${phase + 1}/${PHASES.length}: ${PHASES[phase]?.name} (${left} s left)`,
        `GPUs ${p?.status?.gpus?.requested ?? "?"} requested of ${p?.status?.gpus?.budget ?? "?"}   BudgetLimited=${limited?.status ?? "?"} ${limited?.status === "True" ? `(${limited.message})` : ""}`,
        "bin  demand    proposer desired/ready  verifier desired/ready  level (max)   reason",
        ...(p?.status?.bins ?? []).map((b: Doc) =>
          [
            String(b.bin).padEnd(4),
            `${(b.requestsPerSecond ?? 0).toFixed(2)}/s`.padEnd(9),
            `${b.proposer.desiredReplicas}/${b.proposer.readyReplicas}`.padEnd(23),
            `${b.verifier.desiredReplicas}/${b.verifier.readyReplicas}`.padEnd(23),
            `${b.level ?? "-"} (${b.maxLevel ?? "top"})`.padEnd(13),
            b.proposer.reason ?? "",
          ].join(" "),
        ),
        `accuracy: this phase ${pct(tally.phaseCorrect, tally.phaseAnswered)} of ${tally.phaseAnswered}, overall ${pct(tally.correct, tally.answered)} of ${tally.answered}`,
      ];
      process.stdout.write(tty ? `\x1b[H\x1b[2J${lines.join("\n")}\n` : `${lines.join("\n")}\n\n`);
    };
    for (phase = 0; phase < PHASES.length; phase++) {
      tally.phaseAnswered = 0;
      tally.phaseCorrect = 0;
      for (let s = o.phaseSeconds; s > 0; s--) {
        // Off a terminal, a frame at each phase's start and every 10 s, so short phases show too.
        if (tty || s === o.phaseSeconds || s % 10 === 0) await render(s);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    phase = PHASES.length - 1;
    await render(0);
    await finish();
    return 0;
  } catch (err) {
    say(`mull demo --fleet: ${(err as Error).message}`);
    await finish();
    return 1;
  }
}
