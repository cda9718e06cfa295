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

test("the alert webhook's flags: a bad combination or an unreadable file is one line and exit code 2", () => {
  const dir = mkdtempSync(join(tmpdir(), "mull-operator-alerts-"));
  const token = join(dir, "token");
  writeFileSync(token, "s3cret\n");
  const empty = join(dir, "empty");
  writeFileSync(empty, "\n");
  const basic = join(dir, "basic");
  writeFileSync(basic, "no-colon\n");
  const cases: Array<[string[], RegExp]> = [
    [["--alerts-port=9443"], /--alerts-port needs --alerts-token-file or --alerts-basic-auth-file/],
    [["--alerts-token-file", token], /--alerts-token-file needs --alerts-port/],
    [
      ["--alerts-port=9443", "--alerts-token-file", join(dir, "absent")],
      /--alerts-token-file .*absent: cannot read it \(ENOENT\)/,
    ],
    [["--alerts-port=9443", "--alerts-token-file", empty], /the file is empty/],
    [
      ["--alerts-port=9443", "--alerts-basic-auth-file", basic],
      /expected one line "user:password"/,
    ],
    [
      ["--alerts-port=9443", "--alerts-token-file", token, "--alerts-tls-cert", token],
      /--alerts-tls-cert and --alerts-tls-key go together/,
    ],
    [
      [
        "--alerts-port=9443",
        "--alerts-token-file",
        token,
        "--alerts-tls-cert",
        token,
        "--alerts-tls-key",
        join(dir, "nokey"),
      ],
      /--alerts-tls-key .*nokey: cannot read it/,
    ],
    [
      ["--alerts-port=9443", "--alerts-token-file", token, "--alerts-hmac-timestamp-header", "X-T"],
      /needs --alerts-hmac-secret-file/,
    ],
    [
      ["--alerts-port=http", "--alerts-token-file", token],
      /--alerts-port must be a non-negative number/,
    ],
    [["--alerts-port=70000", "--alerts-token-file", token], /--alerts-port must be a port/],
  ];
  for (const [args, want] of cases) {
    const r = operator(["--kubeconfig", "/nonexistent/kubeconfig", ...args]);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^mull operator: .*${want.source}`), args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

test("--help documents the alert webhook's flags", () => {
  const r = operator(["--help"]);
  assert.equal(r.status, 0);
  for (const flag of [
    "--alerts-port",
    "--alerts-token-file",
    "--alerts-basic-auth-file",
    "--alerts-hmac-secret-file",
    "--alerts-hmac-timestamp-header",
    "--alerts-tls-cert",
    "--alerts-tls-key",
  ]) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});
