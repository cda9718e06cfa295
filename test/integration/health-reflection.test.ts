// grpc.health.v1 answers for the server and the Router service, and server reflection lists
// the API and serves its descriptors (what grpcurl uses), checked with plain grpc-js calls.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { type Stack, startStack } from "./harness.ts";

let stack: Stack;
before(async () => {
  stack = await startStack({ bins: 1 });
});
after(() => stack.close());

test("health answers SERVING for the server and for mull.v1.Router", async () => {
  const Health = grpc.makeClientConstructor(healthService, "Health");
  const client = new Health(
    stack.address,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    check: (req: { service: string }, cb: (e: unknown, r: { status: string }) => void) => void;
  };
  try {
    for (const service of ["", "mull.v1.Router"]) {
      const reply = await new Promise<{ status: string }>((resolve, reject) =>
        client.check({ service }, (e, r) => (e ? reject(e) : resolve(r))),
      );
      assert.equal(reply.status, "SERVING", `service "${service}"`);
    }
  } finally {
    client.close();
  }
});

// grpc.reflection.v1.ServerReflectionRequest: host = 1, file_containing_symbol = 4,
// list_services = 7. The response's list_services_response = 6 holds service = 1 { name = 1 };
// file_descriptor_response = 4 holds file_descriptor_proto = 1 (repeated bytes).
function reflectionRequest(field: 4 | 7, value: string): Buffer {
  return Buffer.from(new BinaryWriter().tag(field, 2).string(value).finish());
}

interface ReflectionReply {
  services: string[];
  files: Uint8Array[];
}

function readReply(bytes: Buffer): ReflectionReply {
  const reply: ReflectionReply = { services: [], files: [] };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 6 || field === 4) {
      const inner = new BinaryReader(reader.bytes());
      while (inner.pos < inner.len) {
        const [f, w] = inner.tag();
        if (field === 6 && f === 1) {
          const svc = new BinaryReader(inner.bytes());
          while (svc.pos < svc.len) {
            const [sf, sw] = svc.tag();
            if (sf === 1) reply.services.push(svc.string());
            else svc.skip(sw);
          }
        } else if (field === 4 && f === 1) {
          reply.files.push(inner.bytes());
        } else inner.skip(w);
      }
    } else reader.skip(wireType);
  }
  return reply;
}

async function reflect(request: Buffer): Promise<ReflectionReply> {
  const client = new grpc.Client(stack.address, grpc.credentials.createInsecure());
  try {
    const call = client.makeBidiStreamRequest(
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    const reply = new Promise<ReflectionReply>((resolve, reject) => {
      call.once("data", (b: Buffer) => resolve(readReply(b)));
      call.once("error", reject);
    });
    call.write(request);
    call.end();
    return await reply;
  } finally {
    client.close();
  }
}

test("reflection lists mull.v1.Router", async () => {
  const { services } = await reflect(reflectionRequest(7, ""));
  assert.ok(services.includes("mull.v1.Router"), `listed: ${services.join(", ")}`);
});

test("reflection serves the descriptor that defines mull.v1.Router", async () => {
  const { files } = await reflect(reflectionRequest(4, "mull.v1.Router"));
  const protos = files.map((f) => fromBinary(FileDescriptorProtoSchema, f));
  const router = protos.find((p) => p.name === "mull/v1/router.proto");
  assert.ok(router, `files: ${protos.map((p) => p.name).join(", ")}`);
  assert.deepEqual(
    router.service[0]?.method.map((m) => m.name),
    ["Solve", "SolveStream", "EstimateDifficulty"],
  );
});
