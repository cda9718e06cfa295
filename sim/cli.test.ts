import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { BinEndpoints } from "./fleet.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("mull sim", () => {
  it("documents its flags", async () => {
    const child = spawn(process.execPath, ["bin/mull.ts", "sim", "--help"], { cwd: root });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
    for (const flag of [
      "--bins",
      "--replicas",
      "--base-port",
      "--speed",
      "--seed",
      "--separation",
      "--format",
    ]) {
      assert.ok(out.includes(flag), flag);
    }
  });

  it("prints the pool endpoints as YAML, serves them, and exits cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, ["bin/mull.ts", "sim", "--bins", "2", "--speed", "0"], {
      cwd: root,
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = once(child, "exit");
    while (!out.includes("verifier") || (out.match(/http:/g)?.length ?? 0) < 4) {
      await once(child.stdout, "data");
    }
    const { bins } = parse(out) as { bins: BinEndpoints[] };
    assert.equal(bins.length, 2);
    const url = bins[1]?.verifier.endpoints[0];
    assert.equal((await fetch(`${url}/health`)).status, 200);
    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0);
  });

  it("rejects unknown flags with exit code 2", async () => {
    const child = spawn(process.execPath, ["bin/mull.ts", "sim", "--nope"], { cwd: root });
    child.stderr.resume();
    const [code] = await once(child, "exit");
    assert.equal(code, 2);
  });
});
