// Structured JSON logs, one object per line on stdout: {"ts","level","msg",...fields}.
export type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  with(fields: Record<string, unknown>): Logger;
}

export function errorMessage(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as {
      code?: unknown;
      body?: unknown;
      message?: unknown;
      cause?: { code?: unknown };
    };
    if (typeof e.code === "number" && e.body !== undefined) {
      // ApiException: the body carries the API server's own Status message.
      const body = typeof e.body === "string" ? safeParse(e.body) : e.body;
      const message = (body as { message?: string } | undefined)?.message;
      return `HTTP ${e.code}: ${message ?? String(e.body).slice(0, 300)}`;
    }
    if (e.cause?.code) return `${String(e.message)} (${String(e.cause.code)})`;
    if (typeof e.message === "string") return e.message;
  }
  return String(err);
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

export function createLogger(
  level: Level = "info",
  base: Record<string, unknown> = {},
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const emit = (l: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[l] < order[level]) return;
    write(
      `${JSON.stringify({ ts: new Date().toISOString(), level: l, msg, ...base, ...fields })}\n`,
    );
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    with: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}
