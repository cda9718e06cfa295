// A KEDA-side client for tests and benches: grpc-js with the committed externalscaler.proto loaded
// by @grpc/proto-loader (as a client built from KEDA's own copy would be), not our generated code.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

export const externalScalerProto = fileURLToPath(
  new URL("../../proto/externalscaler/externalscaler.proto", import.meta.url),
);

export interface WireRef {
  name: string;
  namespace: string;
  scalerMetadata: Record<string, string>;
}

export interface KedaClient {
  isActive(ref: WireRef): Promise<{ result: boolean }>;
  getMetricSpec(ref: WireRef): Promise<{
    metricSpecs: Array<{ metricName: string; targetSize: string; targetSizeFloat: number }>;
  }>;
  getMetrics(req: { scaledObjectRef: WireRef; metricName: string }): Promise<{
    metricValues: Array<{ metricName: string; metricValue: string; metricValueFloat: number }>;
  }>;
  streamIsActive(ref: WireRef): grpc.ClientReadableStream<{ result: boolean }>;
  streamMetricSpec(ref: WireRef): grpc.ClientReadableStream<{ metricSpecs: unknown[] }>;
  close(): void;
}

export function kedaClient(address: string): KedaClient {
  const definition = loadSync(externalScalerProto, { longs: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    externalscaler: { ExternalScaler: grpc.ServiceClientConstructor };
  };
  const raw = new pkg.externalscaler.ExternalScaler(
    address,
    grpc.credentials.createInsecure(),
  ) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  const unary =
    (method: string) =>
    (request: unknown): Promise<never> =>
      new Promise((resolve, reject) => {
        (raw[method] as (...a: unknown[]) => void).call(
          raw,
          request,
          { deadline: Date.now() + 10_000 },
          (error: grpc.ServiceError | null, response: never) =>
            error ? reject(error) : resolve(response),
        );
      });
  const stream = (method: string) => (request: unknown) =>
    (raw[method] as (...a: unknown[]) => grpc.ClientReadableStream<never>).call(raw, request);
  return {
    isActive: unary("IsActive"),
    getMetricSpec: unary("GetMetricSpec"),
    getMetrics: unary("GetMetrics"),
    streamIsActive: stream("StreamIsActive"),
    streamMetricSpec: stream("StreamMetricSpec"),
    close: () => raw.close(),
  };
}
