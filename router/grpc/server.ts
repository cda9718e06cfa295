// The gRPC server: the Router service, grpc.health.v1, and server reflection (so grpcurl can
// list and call the API without the .proto files). Shutdown drains: health flips to
// NOT_SERVING, new calls are refused, calls in flight get a bounded grace period to finish.
import { create, toBinary } from "@bufbuild/protobuf";
import type { GenFile } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { Router } from "../../proto/gen/mull/v1/router_pb.ts";
import type { SolveService } from "../service/solve-service.ts";
import { serviceDefinition, serviceHandlers } from "./adapter.ts";
import { routerService } from "./router-service.ts";

export interface GrpcServerOptions {
  host: string;
  port: number;
  // Requests larger than this are refused by grpc-js with RESOURCE_EXHAUSTED before decoding.
  maxReceiveMessageBytes: number;
  connections?: Partial<ConnectionLimits>;
}

// How long a client connection may live, so none is held open for ever: not one that went
// quiet (the idle timeout also closes a connection that sent only the HTTP/2 preface, or
// nothing at all: grpc-js starts the timer when the TCP connection opens), not one whose peer
// vanished (keepalive pings), and not a busy one for ever either (max age, so clients rebalance
// across router replicas after a scale-up; calls in flight get the grace period).
export interface ConnectionLimits {
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  idleTimeoutMs: number;
  maxAgeMs: number;
  maxAgeGraceMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  idleTimeoutMs: 300_000,
  maxAgeMs: 1_800_000,
  maxAgeGraceMs: 600_000,
};

export interface GrpcServer {
  port: number;
  // Stop taking calls; wait up to graceMs for calls in flight, then cut them off.
  shutdown(graceMs: number): Promise<void>;
}

export async function startGrpcServer(
  service: SolveService,
  options: GrpcServerOptions,
): Promise<GrpcServer> {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connections };
  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes,
    "grpc.keepalive_time_ms": limits.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": limits.keepaliveTimeoutMs,
    "grpc.max_connection_idle_ms": limits.idleTimeoutMs,
    "grpc.max_connection_age_ms": limits.maxAgeMs,
    "grpc.max_connection_age_grace_ms": limits.maxAgeGraceMs,
  });
  server.addService(serviceDefinition(Router), serviceHandlers(Router, routerService(service)));

  const health = new HealthImplementation({ "": "SERVING", [Router.typeName]: "SERVING" });
  health.addToServer(server);
  reflectionFor(Router.file).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${options.host}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );

  return {
    port,
    shutdown: async (graceMs) => {
      health.setStatus("", "NOT_SERVING");
      health.setStatus(Router.typeName, "NOT_SERVING");
      const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), graceMs);
      });
      if ((await Promise.race([drained, late])) === "late") server.forceShutdown();
      clearTimeout(timer);
    },
  };
}

// @grpc/reflection reads proto-loader package definitions; all it uses is each entry's
// serialized FileDescriptorProtos, which protobuf-es can produce for a file and its imports.
function reflectionFor(file: GenFile): ReflectionService {
  const files: GenFile[] = [];
  const visit = (f: GenFile) => {
    if (files.includes(f)) return;
    f.dependencies.forEach(visit);
    files.push(f);
  };
  visit(file);
  const fileDescriptorProtos = files.map((f) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto ?? create(FileDescriptorProtoSchema))),
  );
  const packageDefinition = { [Router.typeName]: { fileDescriptorProtos } };
  return new ReflectionService(packageDefinition as never);
}
