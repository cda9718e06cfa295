// A progress bar with an ETA on stderr. On a terminal it redraws one line in place; elsewhere
// (CI logs, a pipe) it prints a line every tenth of the way, so logs stay short.
import type { MeasureProgress } from "./measure.ts";

export interface Progress {
  // One more item done (or `n`).
  tick(n?: number): void;
  // Where the work stands: `done` of the total, and a short note (e.g. cache hits, failures).
  update(done: number, note?: string): void;
  // Ends the bar (a newline on a terminal).
  done(): void;
}

export interface ProgressOptions {
  out?: Pick<NodeJS.WriteStream, "write"> & { isTTY?: boolean };
  // Milliseconds, for the ETA (tests inject a clock).
  now?: () => number;
}

const WIDTH = 30;
// A terminal is redrawn at most this often: a fast run must not spend its time printing.
const REDRAW_MS = 100;

export function progressBar(label: string, total: number, options: ProgressOptions = {}): Progress {
  const out = options.out ?? process.stderr;
  const now = options.now ?? Date.now;
  const started = now();
  let count = 0;
  let note = "";
  let lastDecile = -1;
  let lastDraw = Number.NEGATIVE_INFINITY;
  const line = () => {
    const fraction = total === 0 ? 1 : Math.min(1, count / total);
    const eta = etaText(now() - started, count, total);
    const tail = [`${count}/${total}`, eta, note].filter((s) => s !== "").join("  ");
    if (!out.isTTY) return `${label.padEnd(24)} ${Math.floor(fraction * 100)}%  ${tail}`;
    const filled = Math.round(fraction * WIDTH);
    return `${label.padEnd(24)} ${"█".repeat(filled)}${"░".repeat(WIDTH - filled)} ${tail}`;
  };
  const draw = (force = false) => {
    const fraction = total === 0 ? 1 : count / total;
    if (out.isTTY) {
      const t = now();
      if (!force && t - lastDraw < REDRAW_MS && count < total) return;
      lastDraw = t;
      // Clear to the end of the line: the note may have got shorter.
      out.write(`\r${line()}\x1b[K`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      out.write(`${line()}\n`);
    }
  };
  draw(true);
  return {
    tick(n = 1) {
      count += n;
      draw();
    },
    update(done, next) {
      count = done;
      if (next !== undefined) note = next;
      draw();
    },
    done() {
      if (out.isTTY) {
        draw(true);
        out.write("\n");
      }
    },
  };
}

// "ETA 1m05s" from the pace so far; empty before anything is done or once everything is.
export function etaText(elapsedMs: number, done: number, total: number): string {
  if (done <= 0 || done >= total) return "";
  const left = Math.round(((elapsedMs / done) * (total - done)) / 1000);
  return `ETA ${duration(left)}`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

// measure.ts's onProgress as one bar per phase, its note the cache's share and the losses.
export function measureProgress(
  options: ProgressOptions = {},
): (progress: MeasureProgress) => void {
  const labels = { probe: "probe + oracle", grid: "grid cells" };
  let phase: MeasureProgress["phase"] | undefined;
  let bar: Progress | undefined;
  return (p) => {
    if (p.phase !== phase) {
      bar?.done();
      phase = p.phase;
      bar = progressBar(labels[p.phase], p.total, options);
    }
    const { fresh, cached, failed, retried } = p.counts;
    const seen = fresh + cached;
    const share = seen === 0 ? 0 : Math.round((100 * cached) / seen);
    bar?.update(p.done, `cached ${share}%  failed ${failed}  retried ${retried}`);
    if (p.done === p.total) {
      bar?.done();
      bar = undefined;
    }
  };
}
