// Runs the pure planner (controller/planner) for each reconcile of a policy in planner or external
// mode: reads the demand, restores the planner's state (this process's latest, else the one
// stored in status.planner, so a new leader resumes where the last one stopped), steps it, and
// exports the demand, levels and decisions as metrics. Manual mode does not plan.
import type { BinDemand } from "../controller/planner/demand.ts";
import { type PlannerOutput, step } from "../controller/planner/planner.ts";
import { decodeState } from "../controller/planner/state.ts";
import type { TestTimePolicy } from "../controller/policy/types.ts";
import type { Logger } from "./log.ts";
import type { OperatorMetrics } from "./metrics.ts";

/** Where demand comes from: the bus's sliding window of DemandReports. */
export interface DemandSource {
  /** Demand per bin, or undefined when nothing is known for this policy (the plan holds). */
  demandFor(namespace: string, name: string): readonly BinDemand[] | undefined;
}

export interface PlannerRunnerDeps {
  demand: DemandSource | undefined;
  metrics: OperatorMetrics;
  log: Logger;
  now?: () => Date;
}

export class PlannerRunner {
  private readonly d: PlannerRunnerDeps;
  private readonly series = new Map<string, Array<Record<string, string>>>();
  /**
   * The last plan per policy key, with the uid and generation it was made for. Its state is the
   * newest: the cache may lag this process's own status write.
   */
  private readonly last = new Map<
    string,
    { uid: string; generation: number; out: PlannerOutput }
  >();
  /** Policies due for a new step (the timer ticked, or their demand changed). */
  private readonly due = new Set<string>();

  constructor(deps: PlannerRunnerDeps) {
    this.d = deps;
  }

  /** Asks for a new step at the policy's next reconcile. */
  request(key: string): void {
    this.due.add(key);
  }

  /**
   * The plan for this reconcile. A new step is taken only when one is due (timer, demand change),
   * the spec changed, or there is none yet; other reconciles (a Deployment's status moved, our
   * own status write came back) reuse the last plan, without its decisions. Otherwise every
   * status write would trigger a step that sees a slightly different sliding-window rate, and
   * so another status write.
   */
  plan(policy: TestTimePolicy): PlannerOutput | undefined {
    const { namespace, name, uid = "" } = policy.metadata;
    const key = `${namespace}/${name}`;
    if (policy.spec.scaling.mode === "manual") {
      this.forget(key);
      return undefined;
    }
    const generation = policy.metadata.generation ?? 0;
    // A policy recreated under the same name does not inherit its predecessor's plan.
    const held = this.last.get(key);
    const last = held?.uid === uid ? held : undefined;
    if (last && last.generation === generation && !this.due.has(key)) {
      return { ...last.out, reasons: [] };
    }
    this.due.delete(key);
    let state = last?.out.state;
    if (!state) {
      const restored = decodeState(policy.status?.planner);
      if (restored.error) {
        this.d.log.warn("planner state not restored", { policy: key, error: restored.error });
      }
      state = restored.state;
    }
    const now = (this.d.now?.() ?? new Date()).getTime() / 1000;
    const out = step(state, {
      spec: policy.spec,
      demand: this.d.demand?.demandFor(namespace, name),
      now,
    });
    this.last.set(key, { uid, generation, out });
    this.export(key, policy, out);
    return out;
  }

  /** A policy gone, or turned manual: its state and series go too. */
  forget(key: string): void {
    this.last.delete(key);
    this.due.delete(key);
    for (const labels of this.series.get(key) ?? []) {
      this.removeSeries(labels);
    }
    this.series.delete(key);
  }

  private removeSeries(labels: Record<string, string>): void {
    this.d.metrics.demand.remove(labels);
    this.d.metrics.binMaxLevel.remove(labels);
    this.d.metrics.binExpectedAccuracy.remove(labels);
  }

  /** Leadership lost: whoever leads next writes the state; ours may go stale meanwhile. */
  reset(): void {
    this.last.clear();
  }

  private export(key: string, policy: TestTimePolicy, out: PlannerOutput): void {
    const { namespace, name } = policy.metadata;
    const sets: Array<Record<string, string>> = [];
    for (const l of out.maxLevels) {
      const labels = { namespace, policy: name, bin: String(l.bin) };
      this.d.metrics.demand.set(labels, l.requestsPerSecond ?? 0);
      this.d.metrics.binMaxLevel.set(labels, l.level);
      // The efficiency dashboard weighs each bin's requests by this to count correct answers.
      const accuracy = policy.spec.bins.find((b) => b.bin === l.bin)?.strategies[l.level]
        ?.expectedAccuracy;
      if (accuracy === undefined) this.d.metrics.binExpectedAccuracy.remove(labels);
      else this.d.metrics.binExpectedAccuracy.set(labels, accuracy);
      sets.push(labels);
    }
    const stale = (this.series.get(key) ?? []).filter(
      (old) => !sets.some((s) => s.bin === old.bin),
    );
    for (const labels of stale) this.removeSeries(labels);
    this.series.set(key, sets);
    for (const d of out.reasons) this.d.metrics.plannerDecisions.inc({ reason: d.reason });
  }
}
