// Errors as OpenAI's error JSON with fitting HTTP statuses. The status follows the router's own
// code (the one gRPC answers with), so both transports tell a client the same thing: 400 fix the
// request, 401 the key, 404 the model (policy), 429 back off and retry, 503 no backend (or
// shutting down; retry elsewhere), 504 the deadline.
import { EngineError, type ErrorCode } from "../engine/errors.ts";

export interface HttpError {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string } };
  headers: Record<string, string>;
}

const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  // The policy cannot serve the request as asked (e.g. no default budget): the client can fix it.
  FAILED_PRECONDITION: 400,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  // nginx's "client closed request": the client is gone and never reads it, but logs do.
  CANCELLED: 499,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export function httpError(error: unknown): HttpError {
  if (error instanceof EngineError) {
    const status = STATUS[error.code];
    const code = error.code === "NOT_FOUND" ? "model_not_found" : error.code.toLowerCase();
    return errorOf(status, error.message, code);
  }
  const message = error instanceof Error ? error.message : String(error);
  return errorOf(500, `internal error: ${message}`, "internal");
}

export function errorOf(status: number, message: string, code: string): HttpError {
  const type =
    status === 401
      ? "authentication_error"
      : status === 429
        ? "rate_limit_error"
        : status >= 500
          ? "server_error"
          : "invalid_request_error";
  // A client told to back off gets a hint of when to come back.
  const headers: Record<string, string> =
    status === 429 || status === 503 ? { "retry-after": "1" } : {};
  return { status, body: { error: { message, type, param: null, code } }, headers };
}
