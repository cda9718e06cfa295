// Errors to gRPC statuses. EngineErrors carry their status by name; anything else is a bug in
// the router and answers INTERNAL (with the message, so the report is useful) without taking
// the process down.
import { type ServiceError, status } from "@grpc/grpc-js";
import { EngineError } from "../engine/errors.ts";

export interface GrpcStatus {
  code: status;
  details: string;
}

// The status message travels as an HTTP/2 trailer; a client resets the whole connection (every
// stream on it) when a header block exceeds its limit (grpc-js: 16 KB by default). Messages that
// quote input are already cut (engine/echo.ts); this bounds everything else, e.g. a backend's
// error text.
export const MAX_STATUS_DETAILS_CHARS = 2_000;

function toStatus(error: unknown): GrpcStatus {
  if (error instanceof EngineError) {
    return { code: status[error.code], details: bounded(error.message) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: bounded(`internal error: ${message}`) };
}

function bounded(details: string): string {
  if (details.length <= MAX_STATUS_DETAILS_CHARS) return details;
  return `${details.slice(0, MAX_STATUS_DETAILS_CHARS)}… (${details.length} characters)`;
}

export function toServiceError(error: unknown): Partial<ServiceError> {
  const { code, details } = toStatus(error);
  return Object.assign(new Error(details), { code, details });
}

// The status name ("OK", "NOT_FOUND", ...) for metrics labels and logs.
export function statusName(code: status): string {
  return status[code] ?? String(code);
}
