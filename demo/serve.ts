// A router on loopback serving the given policies, and a gRPC client for it: the demo talks to
// Mull exactly as a user would.
import type { PolicySnapshot } from "../proto/gen/mull/v1/fleet_pb.ts";
import { Router } from "../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "../router/engine/engine.ts";
import type { EngineOptionsInput } from "../router/engine/options.ts";
import { createClient, type ServiceClient } from "../router/grpc/adapter.ts";
import { StaticPolicySource } from "../router/policy/policy-source.ts";
import { startRouter } from "../router/router-process.ts";

export interface Served {
  client: ServiceClient<typeof Router>;
  close(): Promise<void>;
}

export async function serve(
  policies: PolicySnapshot[],
  engine: EngineOptionsInput = {},
): Promise<Served> {
  const router = await startRouter({
    policies: new StaticPolicySource(policies),
    engine: createEngine(engine),
    host: "127.0.0.1",
    port: 0,
    defaultMetrics: false,
    maxInFlight: 64,
  });
  const client = createClient(Router, `127.0.0.1:${router.port}`);
  return {
    client,
    close: async () => {
      client.close();
      await router.shutdown(5_000);
    },
  };
}
