// The mull.v1.Router service over gRPC: a thin shell over service/solve-service.ts, which does
// the handling shared with the HTTP front door. This file only turns a grpc-js call into the
// deadline and cancellation the shared handling wants.
import type { Router } from "../../proto/gen/mull/v1/router_pb.ts";
import type { CallLifetime } from "../service/deadline.ts";
import type { SolveService } from "../service/solve-service.ts";
import type { ServerCall, ServiceImpl } from "./adapter.ts";

export function routerService(service: SolveService): ServiceImpl<typeof Router> {
  return {
    solve: (request, call) => service.solve(request, lifetimeOf(call)),
    solveStream: (request, call, send) =>
      service.solveStream(request, lifetimeOf(call), send).then(() => undefined),
    estimateDifficulty: (request, call) => service.estimateDifficulty(request, lifetimeOf(call)),
  };
}

export function lifetimeOf(
  call: Pick<ServerCall, "getDeadline" | "on" | "removeListener">,
): CallLifetime {
  const raw = call.getDeadline();
  return {
    deadline: raw instanceof Date ? raw.getTime() : raw,
    onCancel: (listener) => {
      call.on("cancelled", listener);
      return () => call.removeListener("cancelled", listener);
    },
  };
}
