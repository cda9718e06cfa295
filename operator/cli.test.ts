// The operator's command line: what it cannot start with is one clear line and exit code 2.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const mull = fileURLToPath(new URL("../bin/mull.ts", import.meta.url));

function operator(args: string[]) {
  return spawnSync(process.execPath, [mull, "operator", ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
}

test("a kubeconfig that is missing or not YAML is one line on stderr and exit code 2", () => {
  const missing = operator(["--kubeconfig", "/nonexistent/kubeconfig"]);
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(
    missing.stderr,
    /^mull operator: cannot load the kubeconfig \/nonexistent\/kubeconfig: .*ENOENT/,
  );
  assert.doesNotMatch(missing.stderr, /\n\s+at /, "no stack trace");

  const dir = mkdtempSync(join(tmpdir(), "mull-operator-cli-"));
  const garbage = join(dir, "kubeconfig");
  writeFileSync(garbage, "clusters: [unclosed\n");
  const bad = operator(["--kubeconfig", garbage]);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /^mull operator: cannot load the kubeconfig /);
});
