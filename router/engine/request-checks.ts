// Bounds on a request's free-text fields, checked before any work: shared by every transport
// (gRPC and the HTTP front door run the engine's validate, which calls these).
import { echo } from "./echo.ts";
import { invalidArgument } from "./errors.ts";

export const MAX_REQUEST_ID_CHARS = 128;

// Printable ASCII, space included: request ids end up in logs, seeds and metrics exemplars.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function checkRequestId(requestId: string): void {
  if (requestId.length > MAX_REQUEST_ID_CHARS) {
    throw invalidArgument(
      `request_id is ${requestId.length} characters, above the limit of ${MAX_REQUEST_ID_CHARS}`,
    );
  }
  if (!PRINTABLE_ASCII.test(requestId)) {
    throw invalidArgument(`request_id must be printable ASCII, got ${echo(requestId)}`);
  }
}

// A letter, digit, punctuation mark or symbol: what a reader would see. Whitespace, control
// characters (NUL), format characters (zero-width spaces and joiners, BOM) and lone combining
// marks are invisible, and a model given only those has no problem to solve.
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

export function checkPrompt(prompt: string, maxChars: number): void {
  if (prompt.trim() === "") throw invalidArgument("prompt is empty");
  if (prompt.length > maxChars) {
    throw invalidArgument(`prompt is ${prompt.length} characters, above the limit of ${maxChars}`);
  }
  if (!VISIBLE.test(prompt)) {
    throw invalidArgument(
      `prompt has no visible character (only whitespace, control or zero-width characters): ${echo(prompt, 40)}`,
    );
  }
}
