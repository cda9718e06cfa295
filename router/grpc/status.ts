// Errors to gRPC statuses. EngineErrors carry their status by name; anything else is a bug in
// the router and answers INTERNAL (with the message, so the report is useful) without taking
// the process down.
import { type ServiceError, status } from "@grpc/grpc-js";
import { EngineError } from "../engine/errors.ts";

export interface GrpcStatus {
  code: status;
  details: string;
}

export function toStatus(error: unknown): GrpcStatus {
  if (error instanceof EngineError) return { code: status[error.code], details: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: `internal error: ${message}` };
}

export function toServiceError(error: unknown): Partial<ServiceError> {
  const { code, details } = toStatus(error);
  return Object.assign(new Error(details), { code, details });
}

// The status name ("OK", "NOT_FOUND", ...) for metrics labels and logs.
export function statusName(code: status): string {
  return status[code] ?? String(code);
}
