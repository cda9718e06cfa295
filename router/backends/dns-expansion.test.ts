import assert from "node:assert/strict";
import { test } from "node:test";
import { expandEndpoints } from "./dns-expansion.ts";

const dns = async (host: string) => {
  if (host === "p-b1-proposer.ns.svc") return ["10.0.0.7", "10.0.0.3", "fd00::1"];
  throw new Error("ENOTFOUND");
};

test("a headless Service name becomes one endpoint per pod address", async () => {
  assert.deepEqual(await expandEndpoints(["http://p-b1-proposer.ns.svc:8000"], dns), [
    "http://10.0.0.3:8000",
    "http://10.0.0.7:8000",
    "http://[fd00::1]:8000",
  ]);
});

test("IP literals, localhost and names that do not resolve are kept as they are", async () => {
  assert.deepEqual(
    await expandEndpoints(
      ["http://127.0.0.1:8001", "http://localhost:9", "http://gone.svc:80"],
      dns,
    ),
    ["http://127.0.0.1:8001", "http://localhost:9", "http://gone.svc:80"],
  );
});
