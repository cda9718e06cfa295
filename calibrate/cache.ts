// The sample cache (`--cache DIR`): caching decorators around the engine's Proposer and Verifier
// (router/engine/backend.ts), over one node:sqlite file, so an interrupted calibration resumes
// without asking the backends again and a wider grid reuses what a narrower one drew.
//
// A proposer sample is stored under a hash of the request as the router renders it (the model,
// the prompt or chat messages of the policy's format, max_tokens, temperature, top_p, top_k,
// the stop string) and its own seed. vLLM draws choice i of a call with seed s as a child
// request with seed s + i (router/engine/seeds.ts), so a sample is the same whichever call drew
// it: best-of-16's rounds of 2 and best-of-64's rounds of 8 share their first 16 samples. A
// call is answered from the cache when all its samples are there; when only its first j are,
// the backend is asked for the rest alone (seed s + j, n − j). Greedy calls (temperature 0, one
// sample given n times) are stored whole instead.
//
// A PRM score is stored per solution, under a hash of (model, the input text of the policy's
// verifier format, the positive label's index). The verifier's token count is per call, so each
// solution keeps a share of its call's tokens by input length (exact for the call that drew them).
//
// A changed model name, format or sampling setting changes the hash: never a stale hit. Every
// call's rows are committed as one transaction as soon as the answer arrives, in WAL mode, so a
// killed run leaves every finished call in the file and nothing half-written.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { splitByWeight } from "../router/backends/vllm-proposer.ts";
import type {
  Completion,
  GenerateRequest,
  GenerateResult,
  Proposer,
  ScoreRequest,
  ScoreResult,
  Verifier,
} from "../router/engine/backend.ts";
import type { ProposerFormat, VerifierFormat } from "../router/formats/index.ts";
import { chatPrompt, completionPrompt } from "../router/formats/prompt.ts";

// Bumped when what a key covers changes, so an old file is never read with new meanings.
const SCHEMA_VERSION = 1;
export const CACHE_FILE = "samples.sqlite";

// Samples (or solutions) served from the cache, asked of the backend, and backend calls made.
export interface Tally {
  hits: number;
  misses: number;
  calls: number;
}

export const emptyTally = (): Tally => ({ hits: 0, misses: 0, calls: 0 });

export interface CacheStats {
  proposer: Tally;
  verifier: Tally;
}

// The share of samples and scored solutions that came from the cache.
export function hitRate(stats: CacheStats): number {
  const hits = stats.proposer.hits + stats.verifier.hits;
  const all = hits + stats.proposer.misses + stats.verifier.misses;
  return all === 0 ? 0 : hits / all;
}

export interface ProposerIdentity {
  model: string;
  format: ProposerFormat;
}

export interface VerifierIdentity {
  model: string;
  format: VerifierFormat;
}

interface SampleRow {
  text: string;
  finished: number;
  truncated: number;
  completion_tokens: number;
  prompt_tokens: number;
}

// One stored sample, with its call's prompt tokens.
interface Sample {
  completion: Completion;
  promptTokens: number;
}

interface Scored {
  stepScores: number[];
  tokens: number;
}

interface ScoreRow {
  step_scores: string;
  tokens: number;
}

export class SampleCache {
  readonly path: string;
  readonly stats: CacheStats = { proposer: emptyTally(), verifier: emptyTally() };
  readonly #db: DatabaseSync;
  readonly #getSample: StatementSync;
  readonly #putSample: StatementSync;
  readonly #getScore: StatementSync;
  readonly #putScore: StatementSync;
  // Samples and scores being drawn by a call in flight, by key: a call that needs one waits for
  // it (e.g. the probe of one problem in several grid cells at once) instead of asking again.
  readonly #inflight = new Map<string, Promise<unknown>>();

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, CACHE_FILE);
    this.#db = new DatabaseSync(this.path);
    this.#db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000",
    );
    const version = (this.#db.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version;
    if (version !== 0 && version !== SCHEMA_VERSION) {
      this.#db.close();
      throw new Error(
        `${this.path} is a sample cache of another version (${version}, this is ${SCHEMA_VERSION}); use another --cache directory`,
      );
    }
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS samples (
        key TEXT PRIMARY KEY, text TEXT NOT NULL, finished INTEGER NOT NULL,
        truncated INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS scores (
        key TEXT PRIMARY KEY, step_scores TEXT NOT NULL, tokens INTEGER NOT NULL) WITHOUT ROWID;
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
    this.#getSample = this.#db.prepare(
      "SELECT text, finished, truncated, completion_tokens, prompt_tokens FROM samples WHERE key = ?",
    );
    this.#putSample = this.#db.prepare("INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?, ?, ?)");
    this.#getScore = this.#db.prepare("SELECT step_scores, tokens FROM scores WHERE key = ?");
    this.#putScore = this.#db.prepare("INSERT OR REPLACE INTO scores VALUES (?, ?, ?)");
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  // Rows stored, for reports and tests.
  get size(): { samples: number; scores: number } {
    const count = (table: string) =>
      (this.#db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { samples: count("samples"), scores: count("scores") };
  }

  // `tally` counts this decorator's traffic on its own too (e.g. one grid cell's).
  proposer(inner: Proposer, id: ProposerIdentity, tally?: Tally): Proposer {
    return { generate: (request) => this.#generate(inner, id, request, tally) };
  }

  verifier(inner: Verifier, id: VerifierIdentity, tally?: Tally): Verifier {
    return { score: (request) => this.#score(inner, id, request, tally) };
  }

  async #generate(
    inner: Proposer,
    id: ProposerIdentity,
    request: GenerateRequest,
    tally: Tally | undefined,
  ): Promise<GenerateResult> {
    const count = (field: keyof Tally, n: number) => {
      this.stats.proposer[field] += n;
      if (tally) tally[field] += n;
    };
    const base = renderedRequest(id, request);
    // Greedy: one sample repeated n times, its tokens on the first; stored as the whole call.
    if (request.temperature === 0) {
      const key = hash({ ...base, seed: request.seed, n: request.n });
      const row = this.#getSample.get(key) as SampleRow | undefined;
      if (row !== undefined) {
        count("hits", request.n);
        return JSON.parse(row.text) as GenerateResult;
      }
      const pending = this.#inflight.get(key) as Promise<GenerateResult> | undefined;
      if (pending) {
        const shared = await pending;
        count("hits", request.n);
        return shared;
      }
      count("misses", request.n);
      count("calls", 1);
      return this.#flight([key], inner.generate(request), (fresh) => {
        this.#putSample.run(key, JSON.stringify(fresh), 1, 0, 0, fresh.promptTokens);
        return [fresh];
      }).then(([fresh]) => fresh as GenerateResult);
    }
    const keys = Array.from({ length: request.n }, (_, i) =>
      hash({ ...base, seed: request.seed + i }),
    );
    // The leading samples stored, or being drawn by a call in flight; the backend is asked for
    // the rest alone.
    const have: Sample[] = [];
    for (const key of keys) {
      const row = this.#getSample.get(key) as SampleRow | undefined;
      if (row !== undefined) {
        have.push({ completion: toCompletion(row), promptTokens: row.prompt_tokens });
        continue;
      }
      const pending = this.#inflight.get(key) as Promise<Sample> | undefined;
      if (pending === undefined) break;
      have.push(await pending);
    }
    count("hits", have.length);
    if (have.length === keys.length) {
      // vLLM counts the prompt once per call; every sample of a prompt stores the same count.
      return {
        promptTokens: have[0]?.promptTokens ?? 0,
        completions: have.map((h) => h.completion),
      };
    }
    const first = have.length;
    const rest = keys.slice(first);
    count("misses", rest.length);
    count("calls", 1);
    const call = inner.generate({ ...request, seed: request.seed + first, n: rest.length });
    const drawn = await this.#flight(rest, call, (fresh) =>
      rest.map((key, i) => {
        const c = fresh.completions[i];
        if (c === undefined)
          throw new Error(
            `the proposer returned ${fresh.completions.length} of ${rest.length} samples`,
          );
        this.#putSample.run(
          key,
          c.text,
          c.finished ? 1 : 0,
          c.truncated ? 1 : 0,
          c.completionTokens,
          fresh.promptTokens,
        );
        return { completion: c, promptTokens: fresh.promptTokens };
      }),
    );
    return {
      // The prompt was sent (and counted) by this call.
      promptTokens: drawn[0]?.promptTokens ?? 0,
      completions: [...have, ...drawn].map((h) => h.completion),
    };
  }

  async #score(
    inner: Verifier,
    id: VerifierIdentity,
    request: ScoreRequest,
    tally: Tally | undefined,
  ): Promise<ScoreResult> {
    const count = (field: keyof Tally, n: number) => {
      this.stats.verifier[field] += n;
      if (tally) tally[field] += n;
    };
    const inputs = request.solutions.map((steps) => id.format.input(request.problem, steps));
    const keys = inputs.map((input) =>
      hash({ v: SCHEMA_VERSION, model: id.model, input, positive: id.format.positiveIndex }),
    );
    const scored: (Scored | Promise<Scored> | undefined)[] = keys.map((key) => {
      const row = this.#getScore.get(key) as ScoreRow | undefined;
      if (row !== undefined) {
        return { stepScores: JSON.parse(row.step_scores) as number[], tokens: row.tokens };
      }
      return this.#inflight.get(key) as Promise<Scored> | undefined;
    });
    // Solutions neither stored nor being scored (a solution twice in one call is asked once).
    const missing: number[] = [];
    const asked = new Map<string, number>();
    for (const [i, s] of scored.entries()) {
      if (s !== undefined) continue;
      const key = keys[i] as string;
      if (!asked.has(key)) {
        asked.set(key, missing.length);
        missing.push(i);
      }
    }
    count("hits", keys.length - missing.length);
    if (missing.length > 0) {
      count("misses", missing.length);
      count("calls", 1);
      const missingKeys = missing.map((i) => keys[i] as string);
      const call = inner.score({
        ...request,
        solutions: missing.map((i) => request.solutions[i] as string[]),
      });
      const fresh = this.#flight(missingKeys, call, (result) => {
        const shares = splitByWeight(
          result.tokens,
          missing.map((i) => (inputs[i] as string).length),
        );
        return missingKeys.map((key, j) => {
          const stepScores = result.stepScores[j];
          if (stepScores === undefined) throw new Error("the verifier returned too few results");
          this.#putScore.run(key, JSON.stringify(stepScores), shares[j] ?? 0);
          return { stepScores, tokens: shares[j] ?? 0 };
        });
      });
      for (const [i, s] of scored.entries()) {
        const j = s === undefined ? asked.get(keys[i] as string) : undefined;
        if (j !== undefined) scored[i] = fresh.then((all) => all[j] as Scored);
      }
    }
    const all = await Promise.all(scored as (Scored | Promise<Scored>)[]);
    return {
      stepScores: all.map((s) => s.stepScores),
      tokens: all.reduce((sum, s) => sum + s.tokens, 0),
    };
  }

  // One backend call for `keys`: its answer stored in one transaction (store returns one entry
  // per key), and each key's entry awaitable by other calls while it is in flight.
  #flight<R, T>(
    keys: readonly string[],
    call: Promise<R>,
    store: (result: R) => T[],
  ): Promise<T[]> {
    const stored = call.then((result) => {
      let entries: T[] = [];
      this.#transaction(() => {
        entries = store(result);
      });
      return entries;
    });
    for (const [i, key] of keys.entries()) {
      const entry = stored.then((entries) => entries[i] as T);
      // Awaited by whoever shares it; a failure is the caller's to report, not unhandled here.
      entry.catch(() => {});
      this.#inflight.set(key, entry);
    }
    const forget = () => {
      for (const key of keys) this.#inflight.delete(key);
    };
    stored.then(forget, forget);
    return stored;
  }

  #transaction(write: () => void): void {
    // Closed by an abort that ended the run while this call was answered: nothing to keep.
    if (!this.#db.isOpen) return;
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      write();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

// What router/backends/vllm-proposer.ts puts in the body for this request, less the seed and n.
function renderedRequest(id: ProposerIdentity, request: GenerateRequest) {
  const f = id.format;
  return {
    v: SCHEMA_VERSION,
    model: id.model,
    ...(f.mode === "chat"
      ? { chat: chatPrompt(f, request.prompt) }
      : { prompt: completionPrompt(f, request.prompt) }),
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    top_p: f.topP,
    top_k: f.topK,
    stop: request.stopAtStepEnd ? [f.stepDelimiter] : null,
  };
}

function hash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("base64url");
}

function toCompletion(row: SampleRow): Completion {
  return {
    text: row.text,
    finished: row.finished === 1,
    ...(row.truncated === 1 ? { truncated: true } : {}),
    completionTokens: row.completion_tokens,
  };
}
