// The gRPC server for KEDA's external scaler (`mull operator --keda-port`). Shutdown stops new
// calls and cuts the open streams (KEDA reconnects to another replica).
import * as grpc from "@grpc/grpc-js";
import { ExternalScaler } from "../../proto/gen/externalscaler/externalscaler_pb.ts";
import { serviceDefinition, serviceHandlers } from "../../router/grpc/adapter.ts";
import { externalScalerService, type ScalerOptions } from "./service.ts";

export interface KedaServer {
  port: number;
  shutdown(): Promise<void>;
}

export async function startKedaServer(
  o: ScalerOptions & { host: string; port: number },
): Promise<KedaServer> {
  const server = new grpc.Server({
    // KEDA holds its streams open; pings find a KEDA that went away.
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    "grpc.max_receive_message_length": 1024 * 1024,
  });
  server.addService(
    serviceDefinition(ExternalScaler),
    serviceHandlers(ExternalScaler, externalScalerService(o)),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${o.host}:${o.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  return {
    port,
    shutdown: async () => {
      // Streams never end on their own: give unary calls a moment, then cut everything.
      const drained = new Promise<"drained">((resolve) =>
        server.tryShutdown(() => resolve("drained")),
      );
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), 1_000);
      });
      if ((await Promise.race([drained, late])) === "late") server.forceShutdown();
      clearTimeout(timer);
    },
  };
}
