// Serves protobuf-es services with grpc-js, and calls them. grpc-js wants a ServiceDefinition
// (path, serialize, deserialize per method); protobuf-es gives a service descriptor and
// toBinary/fromBinary. One generic bridge, so no method is ever wired by hand.
//
// Requests that do not decode are not thrown inside grpc-js (which would answer a bare
// INTERNAL): they decode to a marker, and the handler answers INVALID_ARGUMENT with the reason.
import {
  create,
  type DescMessage,
  type DescMethod,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import { toServiceError } from "./status.ts";

// What a handler may ask of its call, whether unary or streaming (grpc-js does not export its
// common ServerSurfaceCall type).
export type ServerCall = Pick<
  grpc.ServerUnaryCall<unknown, unknown>,
  "getDeadline" | "getPeer" | "on" | "removeListener" | "cancelled" | "metadata"
>;

type Unary<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  call: ServerCall,
) => Promise<MessageShape<O>>;

type ServerStreaming<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  call: ServerCall,
  send: (message: MessageShape<O>) => void,
) => Promise<void>;

type MethodImpl<M> = M extends {
  methodKind: "unary";
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? Unary<I, O>
  : M extends {
        methodKind: "server_streaming";
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? ServerStreaming<I, O>
    : never;

// Handlers for a generated service, by method localName (e.g. `solve`).
export type ServiceImpl<T extends { method: Record<string, unknown> }> = {
  [K in keyof T["method"]]: MethodImpl<T["method"][K]>;
};

class MalformedRequest {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

function definitionOf(method: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    requestStream:
      method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream:
      method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    originalName: method.localName,
    requestSerialize: (message) => Buffer.from(toBinary(method.input, message as never)),
    requestDeserialize: (bytes) => {
      try {
        return fromBinary(method.input, bytes);
      } catch (error) {
        return new MalformedRequest(
          `malformed ${method.input.typeName}: ${(error as Error).message}`,
        );
      }
    },
    responseSerialize: (message) => Buffer.from(toBinary(method.output, message as never)),
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
  };
}

export function serviceDefinition(service: { methods: DescMethod[] }): grpc.ServiceDefinition {
  return Object.fromEntries(service.methods.map((m) => [m.name, definitionOf(m)]));
}

// The grpc-js handlers for a service implementation. Every handler ends in exactly one terminal
// status, whatever the implementation does.
export function serviceHandlers<S extends GenServiceMethods>(
  service: GenService<S>,
  impl: ServiceImpl<GenService<S>>,
): grpc.UntypedServiceImplementation {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const fn = (impl as Record<string, unknown>)[method.localName] as
      | ((req: unknown, call: ServerCall, send?: (m: unknown) => void) => Promise<unknown>)
      | undefined;
    if (fn === undefined) continue;
    if (method.methodKind === "unary") {
      handlers[method.name] = ((
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        if (call.request instanceof MalformedRequest) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: call.request.reason });
          return;
        }
        fn(call.request, call).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
      }) as grpc.handleUnaryCall<unknown, unknown>;
    } else if (method.methodKind === "server_streaming") {
      handlers[method.name] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (call.request instanceof MalformedRequest) {
          call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: call.request.reason });
          return;
        }
        const send = (message: unknown) => {
          if (!call.cancelled && !call.writableEnded) call.write(message);
        };
        fn(call.request, call, send).then(
          () => {
            if (!call.writableEnded) call.end();
          },
          (error: unknown) => {
            if (!call.writableEnded) call.emit("error", toServiceError(error));
          },
        );
      }) as grpc.handleServerStreamingCall<unknown, unknown>;
    } else {
      throw new Error(
        `${method.parent.typeName}/${method.name}: ${method.methodKind} is not supported`,
      );
    }
  }
  return handlers;
}

// --- client side: the same descriptor, turned into promise / async-iterable methods ---

export interface ClientCallOptions {
  // Absolute deadline (Date or ms since epoch), or timeoutMs relative to now.
  deadline?: Date | number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

type ClientMethod<M> = M extends {
  methodKind: "unary";
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? (request: MessageInitShape<I>, options?: ClientCallOptions) => Promise<MessageShape<O>>
  : M extends {
        methodKind: "server_streaming";
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? (request: MessageInitShape<I>, options?: ClientCallOptions) => AsyncIterable<MessageShape<O>>
    : never;

// A client for a generated service, by method localName (e.g. `solve`).
export type ServiceClient<T extends { method: Record<string, unknown> }> = {
  [K in keyof T["method"]]: ClientMethod<T["method"][K]>;
} & {
  close(): void;
  raw: grpc.Client;
};

export function createClient<S extends GenServiceMethods>(
  service: GenService<S>,
  address: string,
  options: { credentials?: grpc.ChannelCredentials; channel?: grpc.ChannelOptions } = {},
): ServiceClient<GenService<S>> {
  const Client = grpc.makeGenericClientConstructor(serviceDefinition(service), service.name);
  const raw = new Client(
    address,
    options.credentials ?? grpc.credentials.createInsecure(),
    options.channel,
  ) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  const client: Record<string, unknown> = { raw, close: () => raw.close() };
  for (const method of service.methods) {
    const invoke = raw[method.name] as (...args: unknown[]) => unknown;
    const callOptions = (o: ClientCallOptions = {}): grpc.CallOptions => ({
      ...(o.deadline !== undefined ? { deadline: o.deadline } : {}),
      ...(o.timeoutMs !== undefined ? { deadline: Date.now() + o.timeoutMs } : {}),
    });
    if (method.methodKind === "unary") {
      client[method.localName] = (request: MessageInitShape<DescMessage>, o?: ClientCallOptions) =>
        new Promise((resolve, reject) => {
          const call = invoke.call(
            raw,
            create(method.input, request),
            new grpc.Metadata(),
            callOptions(o),
            (error: grpc.ServiceError | null, response: unknown) =>
              error ? reject(error) : resolve(response),
          ) as grpc.ClientUnaryCall;
          o?.signal?.addEventListener("abort", () => call.cancel(), { once: true });
        });
    } else if (method.methodKind === "server_streaming") {
      client[method.localName] = (
        request: MessageInitShape<DescMessage>,
        o?: ClientCallOptions,
      ) => {
        const call = invoke.call(
          raw,
          create(method.input, request),
          new grpc.Metadata(),
          callOptions(o),
        ) as grpc.ClientReadableStream<unknown>;
        o?.signal?.addEventListener("abort", () => call.cancel(), { once: true });
        return call;
      };
    }
  }
  return client as ServiceClient<GenService<S>>;
}
