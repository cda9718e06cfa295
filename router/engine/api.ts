// The engine's entry points, as the transports see them. Messages are the proto types: the
// router knows only proto/, and the wire types are already plain data.
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import type {
  EstimateDifficultyResponse,
  SolveEvent,
  SolveRequest,
  SolveResponse,
} from "../../proto/gen/mull/v1/router_pb.ts";
import type { Proposer, Verifier } from "./backend.ts";

// Backends for one difficulty bin's pools; a request's calls all go through the pair it is given
// (the transport keeps them on one replica for prefix-cache hits).
export interface BinBackends {
  proposer: Proposer;
  verifier: Verifier;
}

export interface SolveContext {
  policy: PolicySnapshot;
  backendsFor: (bin: number) => BinBackends;
  // The policy's step delimiter (its proposer format's): how generated text splits into steps.
  stepDelimiter: string;
  // Aborted when the caller's deadline passes or the call is cancelled.
  signal: AbortSignal;
  // Milliseconds left until the deadline (Infinity without one), read as the search goes.
  remainingMs: () => number;
  onEvent?: (event: SolveEvent) => void;
  // Asked once the bin is known: true runs one budget level below the table's choice (the
  // transport's own queue for the bin is long, so spend less per request now).
  stepDown?: (bin: number) => boolean;
  // Resolves once the bin's pools have a ready replica (bin 0: any bin, for the probe); a bin
  // scaled to zero makes the request wait here, within its deadline.
  ready?: (bin: number) => Promise<void>;
}

export type Solve = (request: SolveRequest, context: SolveContext) => Promise<SolveResponse>;
export type EstimateDifficulty = (
  request: SolveRequest,
  context: SolveContext,
) => Promise<EstimateDifficultyResponse>;
