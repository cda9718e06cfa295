// Deterministic fakes of the engine's backend interfaces, for unit tests of the search.
//
// The fake problem has a known right answer. A solution is `steps` steps; each sampled step
// "slips" with probability `slip` (temperature 0 never slips while slip < 0.5), and once a path
// has slipped its final answer is one of `wrongAnswers`. Revision prompts slip less with each
// earlier attempt they carry. The fake PRM prefers sound steps, with deterministic noise.
// Like vLLM, a sample depends only on (prompt, seed + sample index), max_tokens truncates, and
// stopAtStepEnd stops after one step. A virtual clock advances per call, for deadline tests.

import { completionPrompt, type ProposerFormat, proposerFormat } from "../../formats/prompt.ts";
import type {
  Completion,
  GenerateRequest,
  GenerateResult,
  Proposer,
  ScoreRequest,
  ScoreResult,
  Verifier,
} from "../backend.ts";

export interface FakeProblem {
  answer: string;
  // How a sound solution writes the answer: equivalent surface forms, picked per sample, so the
  // vote must see through them as it would with a real model.
  answerForms: string[];
  wrongAnswers: string[];
  steps: number;
  slip: number;
  // Each earlier attempt in a revision prompt multiplies the slip probability by this.
  revisionGain: number;
  // Chance that the PRM scores a step the wrong way round.
  prmNoise: number;
}

export const DEFAULT_PROBLEM: FakeProblem = {
  answer: "\\frac{1}{2}",
  answerForms: ["\\frac{1}{2}", "0.5", "\\dfrac12", "1/2", "\\tfrac{1}{2}"],
  wrongAnswers: ["2", "1/3", "0.25", "3/4", "1", "5"],
  steps: 4,
  slip: 0.15,
  revisionGain: 0.6,
  prmNoise: 0.1,
};

export interface FakeClock {
  now: number;
}

export interface FakeOptions {
  problem?: Partial<FakeProblem>;
  // The format prompts are rendered in for the log and the sample hash (default: Mull's own).
  format?: ProposerFormat;
  // Virtual milliseconds each proposer / verifier call takes.
  proposerMs?: number;
  verifierMs?: number;
  clock?: FakeClock;
  // Fail every call from this (0-based) proposer call on.
  failProposerFrom?: number;
}

export interface GenerateLog {
  // The prompt as completion text in the fake's format.
  prompt: string;
  n: number;
  maxTokens: number;
  temperature: number;
  seed: number;
  stopAtStepEnd: boolean;
  completionTokens: number;
}

const tokensOf = (text: string) => Math.ceil(text.length / 4);

export class FakeProposer implements Proposer {
  readonly calls: GenerateLog[] = [];
  readonly problem: FakeProblem;
  readonly #format: ProposerFormat;
  readonly #options: FakeOptions;

  constructor(options: FakeOptions = {}) {
    this.problem = { ...DEFAULT_PROBLEM, ...options.problem };
    this.#format = options.format ?? proposerFormat(undefined);
    this.#options = options;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    request.signal.throwIfAborted();
    if (this.#options.clock) this.#options.clock.now += this.#options.proposerMs ?? 0;
    const text = completionPrompt(this.#format, request.prompt);
    if (this.calls.length >= (this.#options.failProposerFrom ?? Infinity)) {
      this.calls.push({ ...log(request, text), completionTokens: 0 });
      throw new Error("connect ECONNREFUSED 10.0.0.7:8000");
    }
    const prefix = request.prompt.steps.filter((s) => s.trim() !== "");
    const attempts = request.prompt.attempts.length;
    const completions = Array.from({ length: request.n }, (_, i) =>
      this.#sample(request, text, prefix, attempts, i),
    );
    const completionTokens = completions.reduce((s, c) => s + c.completionTokens, 0);
    this.calls.push({ ...log(request, text), completionTokens });
    return { completions, promptTokens: tokensOf(text) };
  }

  get generatedTokens(): number {
    return this.calls.reduce((s, c) => s + c.completionTokens, 0);
  }

  #sample(
    request: GenerateRequest,
    prompt: string,
    prefix: string[],
    attempts: number,
    index: number,
  ): Completion {
    const p = this.problem;
    const slip = p.slip * p.revisionGain ** attempts;
    const steps = [...prefix];
    let slipped = prefix.some((s) => s.includes("slip"));
    const added: string[] = [];
    while (steps.length < p.steps) {
      const j = steps.length + 1;
      // Choice i of seed s is choice 0 of seed s + i, as in vLLM.
      const seed = request.seed + index;
      const u = unit(`${seed}|${prompt.length}|${j}|${prompt}`);
      const slipsHere = request.temperature === 0 ? slip >= 0.5 : u < slip;
      slipped ||= slipsHere;
      const flavour = Math.floor(unit(`flavour|${seed}|${j}`) * 1000);
      let text = `Step ${j}: ${slipsHere ? "slip" : slipped ? "carry" : "sound"} #${flavour}.`;
      if (j === p.steps) {
        const wrong =
          p.wrongAnswers[Math.floor(unit(steps.join("|") + text) * p.wrongAnswers.length)] ?? "0";
        const forms = p.answerForms.length > 0 ? p.answerForms : [p.answer];
        const right = forms[Math.floor(unit(`form|${seed}|${text}`) * forms.length)] ?? p.answer;
        text += ` The answer is $\\boxed{${slipped ? wrong : right}}$.`;
      }
      steps.push(text);
      added.push(text);
      if (request.stopAtStepEnd) break;
    }
    const finished = steps.length >= p.steps;
    const delimiter = this.#format.stepDelimiter;
    // Like vLLM with include_stop_str_in_output: a step that stopped on the delimiter keeps it.
    let text = added.join(delimiter) + (finished ? "" : delimiter);
    if (tokensOf(text) > request.maxTokens) {
      text = text.slice(0, request.maxTokens * 4);
      // vLLM's "length": the end of a whole-solution call, a truncated step on a step call.
      return {
        text,
        finished: !request.stopAtStepEnd,
        truncated: true,
        completionTokens: tokensOf(text),
      };
    }
    return { text, finished, completionTokens: tokensOf(text) };
  }
}

export class FakeVerifier implements Verifier {
  readonly calls: ScoreRequest[] = [];
  readonly #noise: number;
  readonly #options: FakeOptions;

  constructor(options: FakeOptions = {}) {
    this.#noise = options.problem?.prmNoise ?? DEFAULT_PROBLEM.prmNoise;
    this.#options = options;
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    request.signal.throwIfAborted();
    if (this.#options.clock) this.#options.clock.now += this.#options.verifierMs ?? 0;
    this.calls.push(request);
    const stepScores = request.solutions.map((steps) => steps.map((s, j) => this.#stepScore(s, j)));
    const tokens = request.solutions.reduce(
      (sum, steps) => sum + tokensOf(request.problem) + steps.reduce((s, x) => s + tokensOf(x), 0),
      0,
    );
    return { stepScores, tokens };
  }

  #stepScore(step: string, j: number): number {
    const sound = step.includes("sound");
    const u = unit(`prm|${j}|${step}`);
    const flipped = unit(`noise|${j}|${step}`) < this.#noise;
    const good = sound !== flipped;
    return good ? 0.7 + 0.28 * u : 0.05 + 0.35 * u;
  }
}

export function fakeBackends(options: FakeOptions = {}) {
  return { proposer: new FakeProposer(options), verifier: new FakeVerifier(options) };
}

function log(r: GenerateRequest, prompt: string): Omit<GenerateLog, "completionTokens"> {
  return {
    prompt,
    n: r.n,
    maxTokens: r.maxTokens,
    temperature: r.temperature,
    seed: r.seed,
    stopAtStepEnd: r.stopAtStepEnd,
  };
}

// A deterministic number in [0, 1) from a string (FNV-1a, then a 32-bit mix).
export function unit(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
