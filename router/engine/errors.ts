// Errors the engine raises on purpose. Each carries the status a transport should answer with,
// so the gRPC shell maps them without knowing why they happened.

import type { UsageCounts } from "./usage.ts";

export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "RESOURCE_EXHAUSTED"
  | "DEADLINE_EXCEEDED"
  | "UNAVAILABLE"
  | "CANCELLED"
  // The policy snapshot cannot serve the request (e.g. no strategy table for the bin).
  | "FAILED_PRECONDITION"
  | "INTERNAL";

export class EngineError extends Error {
  readonly code: ErrorCode;
  // What the request had spent when it failed (a cancelled or timed-out search still cost the
  // fleet its finished calls), so a transport can account it.
  usage?: UsageCounts;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "EngineError";
    this.code = code;
  }
}

export const invalidArgument = (message: string) => new EngineError("INVALID_ARGUMENT", message);
export const notFound = (message: string) => new EngineError("NOT_FOUND", message);
export const unavailable = (message: string) => new EngineError("UNAVAILABLE", message);
export const failedPrecondition = (message: string) =>
  new EngineError("FAILED_PRECONDITION", message);
