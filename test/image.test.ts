// The container image (Dockerfile, built daemonless by `npm run image` into dist/mull-image.tar):
// its OCI config as skopeo reads it, and its root filesystem unpacked and run the way a pod runs
// it: the image's user, the image's working directory and environment, a read-only root with a
// tmpfs on /tmp, the router's config mounted at /etc/mull.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Router } from "../proto/gen/mull/v1/router_pb.ts";
import { createClient } from "../router/grpc/adapter.ts";
import { parseDockerfile } from "../scripts/dockerfile.ts";
import { archive, buildImage, chartImage } from "../scripts/image.ts";
import { speedConfig } from "../sim/batch-scheduler.ts";
import { startFleet } from "../sim/fleet.ts";
import { POLICY, policyFor, routerConfigYaml, stderrPort } from "./integration/harness.ts";

const repo = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
const work = mkdtempSync(join(tmpdir(), "mull-image-test-"));
const rootfs = join(work, "rootfs");

interface ImageConfig {
  User: string;
  Entrypoint: string[];
  WorkingDir: string;
  Env: string[];
  Labels: Record<string, string>;
}
let config: ImageConfig;

// Niced, as the build is: bulk unpacking beside tests that run a control plane.
const sh = (cmd: string, args: string[]) =>
  execFileSync("nice", ["-n", "10", cmd, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });

before(() => {
  // Installs buildah, skopeo and umoci when missing: a missing tool fails here, loudly.
  sh("bash", [join(repo, "scripts/tools.sh")]);
  buildImage();
  config = JSON.parse(sh("skopeo", ["inspect", "--config", `oci-archive:${archive}`])).config;
  sh("skopeo", ["copy", "-q", `oci-archive:${archive}`, `oci:${join(work, "layout")}:mull`]);
  sh("umoci", ["raw", "unpack", "--image", `${join(work, "layout")}:mull`, rootfs]);
  mkdirSync(join(rootfs, "etc/mull"), { recursive: true });
});
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * Spawns the image's entrypoint with `args`, as a container runtime would: a private mount
 * namespace, the root bind-mounted read-only, /tmp a tmpfs, `mounts` bound read-only, then the
 * image's root, working directory, user and environment (nothing of the host's environment).
 */
function runImage(args: string[], mounts: Record<string, string> = {}) {
  const [uid, gid] = config.User.split(":");
  const binds = Object.entries(mounts)
    .map(
      ([inside, outside]) =>
        `mount --bind ${outside} ${rootfs}${inside} && mount -o remount,bind,ro ${rootfs}${inside}`,
    )
    .join(" && ");
  const script = [
    `mount --make-rprivate / && mount --bind ${rootfs} ${rootfs} && mount -o remount,bind,ro ${rootfs}`,
    `mount -t tmpfs -o mode=1777 tmpfs ${rootfs}/tmp`,
    ...(binds ? [binds] : []),
    `exec env -i ${config.Env.join(" ")} /usr/bin/unshare --root=${rootfs} --wd=${config.WorkingDir} --setuid=${uid} --setgid=${gid} "$@"`,
  ].join(" && ");
  return spawn("unshare", ["--mount", "sh", "-c", script, "sh", ...config.Entrypoint, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function runToEnd(
  args: string[],
): Promise<{ code: number | null; out: string; err: string }> {
  const child = runImage(args);
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, out, err };
}

test("npm run image writes an OCI archive tagged with the chart's default image", () => {
  assert.ok(existsSync(archive), archive);
  assert.ok(statSync(archive).size > 10 << 20, "the archive holds node and the app");
  const index = JSON.parse(sh("tar", ["-xOf", archive, "index.json"]));
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], chartImage());
  assert.equal(chartImage(), `ghcr.io/mull-dev/mull:${pkg.version}`);
});

test("hadolint passes the Dockerfile", () => {
  const hadolint = sh("bash", [join(repo, "scripts/tools.sh"), "hadolint"]).trim();
  const r = spawnSync(hadolint, ["--failure-threshold", "info", join(repo, "Dockerfile")], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("skopeo inspect: non-root user, entrypoint mull, the Dockerfile's labels and env", () => {
  const dockerfile = parseDockerfile(readFileSync(join(repo, "Dockerfile"), "utf8"), {
    VERSION: pkg.version,
  });
  assert.equal(config.User, "65532:65532");
  assert.equal(dockerfile.user, config.User);
  assert.deepEqual(config.Entrypoint, ["/usr/local/bin/mull"]);
  assert.equal(config.WorkingDir, "/app");
  assert.ok(config.Env.includes("NODE_ENV=production"), config.Env.join(" "));
  assert.equal(config.Labels["org.opencontainers.image.title"], "mull");
  assert.equal(config.Labels["org.opencontainers.image.version"], pkg.version);
  assert.equal(config.Labels["org.opencontainers.image.licenses"], pkg.license);
  assert.equal(config.Labels["dev.mull.node-version"], pkg.devDependencies.node);
  for (const [k, v] of Object.entries(dockerfile.labels)) assert.equal(config.Labels[k], v, k);
  // The Dockerfile's own node image is the pinned version, like the binary the archive carries.
  assert.equal(dockerfile.args.NODE_VERSION, pkg.devDependencies.node);
});

test("the root filesystem: production dependencies only, no tests, the pinned node", async () => {
  const modules = join(rootfs, "app/node_modules");
  for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(modules, dep)), dep);
  // Whatever the lockfile marks dev-only (typescript, biome, the dev-time node, ...) is absent.
  const lock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8"));
  const devOnly = Object.entries(lock.packages as Record<string, { dev?: boolean }>)
    .filter(([path, p]) => p.dev && path.startsWith("node_modules/"))
    .map(([path]) => path);
  assert.ok(devOnly.includes("node_modules/typescript"));
  for (const path of devOnly) assert.ok(!existsSync(join(rootfs, "app", path)), path);
  const tests = sh("find", [
    join(rootfs, "app"),
    "-path",
    "*/node_modules",
    "-prune",
    "-o",
    "-name",
    "*.test.ts",
    "-print",
  ]);
  assert.equal(tests, "");
  const r = await runToEnd(["--help"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /usage: mull <command>/);
  assert.match(r.out, /router/);
  assert.match(r.out, /operator/);
  const node = execFileSync(join(rootfs, "usr/local/bin/node"), ["--version"], {
    encoding: "utf8",
  });
  assert.equal(node.trim(), `v${pkg.devDependencies.node}`);
});

test("every command but bench (a development tool, left out) loads in the image", async () => {
  const help = await runToEnd(["--help"]);
  const commands = [...help.out.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1] as string);
  assert.ok(commands.includes("calibrate") && commands.includes("router"), help.out);
  for (const command of commands.filter((c) => c !== "bench")) {
    const r = await runToEnd([command, "--help"]);
    assert.equal(r.code, 0, `mull ${command} --help: ${r.err}`);
    assert.match(r.out, new RegExp(`usage: mull ${command}`), command);
  }
});

test("the image runs mull operator --help as its user", async () => {
  const r = await runToEnd(["operator", "--help"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /usage: mull operator/);
});

test("the image's mull router serves a request against the sim, then drains on SIGTERM", async () => {
  const fleet = await startFleet({ bins: 1, speed: speedConfig(5), seed: 5 });
  const dir = join(work, "router-config");
  mkdirSync(dir, { recursive: true });
  const policy = policyFor(fleet, [{ strategy: 1, generations: 4 }]);
  writeFileSync(join(dir, "router.yaml"), routerConfigYaml([policy]));
  const child = runImage(
    [
      "router",
      "--config=/etc/mull/router.yaml",
      "--host=127.0.0.1",
      "--port=0",
      "--metrics-port=-1",
    ],
    { "/etc/mull": dir },
  );
  const stderr = stderrPort(child, /gRPC on :(\d+)/);
  const client = createClient(Router, `127.0.0.1:${await stderr.port}`);
  try {
    const answer = await client.solve(
      { policy: POLICY, prompt: "Problem 7: what is 17 * 3?", difficultyHint: 1 },
      { timeoutMs: 30_000 },
    );
    assert.notEqual(answer.answer, "");
    assert.ok((answer.usage?.generations ?? 0) > 0);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0, stderr.log());
  } finally {
    client.close();
    if (child.exitCode === null) child.kill("SIGKILL");
    await fleet.stop();
  }
});
