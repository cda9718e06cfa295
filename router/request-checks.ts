// The checks on a request that need no backend, run before it takes a slot: a bad request is
// answered INVALID_ARGUMENT even when the router is full, rather than RESOURCE_EXHAUSTED (which
// would invite the client to retry it). The rules are the engine's own (it checks again, so the
// two can never disagree on what is valid, only on when it is noticed).
import type { PolicySnapshot } from "../proto/gen/mull/v1/fleet_pb.ts";
import type { SolveRequest } from "../proto/gen/mull/v1/router_pb.ts";
import { checkHint } from "./engine/difficulty.ts";
import { invalidArgument } from "./engine/errors.ts";
import { checkOverride, generationBudget } from "./engine/table.ts";

export function checkRequest(request: SolveRequest, policy: PolicySnapshot): void {
  if (request.prompt.trim() === "") throw invalidArgument("prompt is empty");
  checkOverride(request.strategy);
  generationBudget(request.budget?.maxGenerations ?? 0, policy);
  if (request.difficultyHint !== undefined)
    checkHint(request.difficultyHint, Math.max(1, policy.bins));
}
