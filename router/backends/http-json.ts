// A JSON POST over fetch, with failures sorted into what the caller can act on: the replica
// could not be reached or broke off (try another one), or it answered with an HTTP error (tell
// the caller what it said).

export class HttpStatusError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(url: string, status: number, body: string) {
    super(`${url} answered HTTP ${status}: ${summarise(body)}`);
    this.name = "HttpStatusError";
    this.status = status;
    this.body = body;
  }
}

// The replica answered 2xx but not with what the API promises.
export class BadResponseError extends Error {
  constructor(url: string, detail: string) {
    super(`${url} sent an unexpected response: ${detail}`);
    this.name = "BadResponseError";
  }
}

export async function postJson(url: string, body: unknown, signal: AbortSignal): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  if (!response.ok) throw new HttpStatusError(url, response.status, text);
  try {
    return JSON.parse(text);
  } catch {
    throw new BadResponseError(url, `not JSON: ${summarise(text)}`);
  }
}

// vLLM puts the reason in {"message": ...} or {"error": {"message": ...}}; keep it short.
function summarise(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: { message?: unknown } };
    const message = parsed.message ?? parsed.error?.message;
    if (typeof message === "string") return message.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 300);
}
