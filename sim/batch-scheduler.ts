// A replica's batching engine, as vLLM's continuous batching looks from outside: up to
// maxRunning sequences decode together, each at min(seqTokensPerSecond, tokensPerSecond / batch)
// tokens/s, so one sequence is fast and a full batch is slow per sequence but fast in total.
// Sequences beyond the batch wait in a queue. Time advances by events (the next sequence to
// finish), not by polling, and no timer is left behind when the replica is idle.

export interface SpeedConfig {
  // Aggregate decode throughput of the replica; 0 means instant (no simulated latency).
  tokensPerSecond: number;
  // The fastest a single sequence decodes (batch of one).
  seqTokensPerSecond: number;
  // vLLM's --max-num-seqs: sequences decoding at once; the rest wait.
  maxRunning: number;
  // Prompt tokens cost this many times less than generated ones (prefill is parallel).
  prefillFactor: number;
  // KV-cache capacity in tokens, for vllm:kv_cache_usage_perc.
  kvCacheTokens: number;
}

export const DEFAULT_SPEED: SpeedConfig = {
  tokensPerSecond: 4000,
  seqTokensPerSecond: 120,
  maxRunning: 64,
  prefillFactor: 20,
  kvCacheTokens: 200_000,
};

export const INSTANT: SpeedConfig = { ...DEFAULT_SPEED, tokensPerSecond: 0 };

// `speed` scales the throughput of the default replica; 0 is instant.
export function speedConfig(speed: number, overrides: Partial<SpeedConfig> = {}): SpeedConfig {
  return {
    ...DEFAULT_SPEED,
    tokensPerSecond: DEFAULT_SPEED.tokensPerSecond * speed,
    seqTokensPerSecond: DEFAULT_SPEED.seqTokensPerSecond * speed,
    ...overrides,
  };
}

export interface SequenceWork {
  promptTokens: number;
  // Generated tokens (0 for a pooling input, which is prefill only).
  outputTokens: number;
}

interface Sequence {
  remaining: number;
  promptTokens: number;
  outputTokens: number;
  done: number;
  group: Group;
}

interface Group {
  left: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class BatchScheduler {
  #speed: SpeedConfig;
  #running: Sequence[] = [];
  #waiting: Sequence[] = [];
  #last = performance.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(speed: SpeedConfig) {
    this.#speed = speed;
  }

  get running(): number {
    return this.#running.length;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  get kvCacheUsage(): number {
    let tokens = 0;
    for (const s of this.#running) tokens += s.promptTokens + s.done;
    return Math.min(1, tokens / this.#speed.kvCacheTokens);
  }

  // Resolves when every sequence has been processed; rejects (and frees the batch slots) when
  // the signal aborts, as vLLM aborts a request whose client went away.
  run(work: readonly SequenceWork[], signal?: AbortSignal): Promise<void> {
    if (this.#speed.tokensPerSecond <= 0 || work.length === 0) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const group: Group = { left: work.length, resolve, reject };
      this.#advance();
      for (const w of work) {
        this.#waiting.push({
          remaining: w.outputTokens + w.promptTokens / this.#speed.prefillFactor,
          promptTokens: w.promptTokens,
          outputTokens: w.outputTokens,
          done: 0,
          group,
        });
      }
      signal?.addEventListener("abort", () => this.#drop(group, signal.reason), { once: true });
      this.#settle();
    });
  }

  // Rejects everything in flight (the replica is going away).
  close(reason: unknown = new Error("replica stopped")): void {
    const groups = new Set([...this.#running, ...this.#waiting].map((s) => s.group));
    for (const g of groups) this.#drop(g, reason);
  }

  #rate(): number {
    const n = Math.max(1, this.#running.length);
    return Math.min(this.#speed.seqTokensPerSecond, this.#speed.tokensPerSecond / n);
  }

  #advance(): void {
    const now = performance.now();
    const progress = ((now - this.#last) / 1000) * this.#rate();
    this.#last = now;
    for (const s of this.#running) {
      s.remaining -= progress;
      s.done = Math.min(s.outputTokens, s.done + progress);
    }
  }

  #drop(group: Group, reason: unknown): void {
    if (group.left <= 0) return;
    group.left = 0;
    this.#advance();
    this.#running = this.#running.filter((s) => s.group !== group);
    this.#waiting = this.#waiting.filter((s) => s.group !== group);
    group.reject(reason);
    this.#settle();
  }

  // Retires finished sequences, admits waiting ones, and sets the timer for the next finish.
  #settle(): void {
    const finished = this.#running.filter((s) => s.remaining <= 1e-6);
    this.#running = this.#running.filter((s) => s.remaining > 1e-6);
    while (this.#running.length < this.#speed.maxRunning && this.#waiting.length > 0) {
      const next = this.#waiting.shift();
      if (next) this.#running.push(next);
    }
    for (const s of finished) {
      s.group.left--;
      if (s.group.left === 0) s.group.resolve();
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running.length === 0) return;
    const soonest = Math.min(...this.#running.map((s) => s.remaining));
    const ms = Math.max(1, (soonest / this.#rate()) * 1000);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#advance();
      this.#settle();
    }, ms);
  }
}
