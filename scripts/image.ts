// `npm run image`: builds the Dockerfile's runtime stage into dist/mull-image.tar, an OCI archive,
// with no Docker daemon and no base image to pull. The Dockerfile stays the one description of
// the image: its runtime stage's LABEL, ENV, USER, WORKDIR, ENTRYPOINT and COPY lines are read
// here. The two base images are replaced by what they would contribute:
//   node:<version> (the deps stage)   → the pinned npm `node` binary and `npm ci --omit=dev`;
//   gcr.io/distroless/cc-debian12     → the glibc, libstdc++ and libgcc that binary links (from
//                                       this Debian 12 machine, the distroless base's own release),
//                                       /etc/passwd and /etc/group with nonroot (65532), /tmp.
// buildah (vfs storage, chroot isolation, no RUN step at all) commits that root filesystem.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { cacheDir } from "../e2e/bins.ts";
import { parseDockerfile, type RuntimeStage } from "./dockerfile.ts";

const repo = join(import.meta.dirname, "..");
export const archive = join(repo, "dist/mull-image.tar");

function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  // Niced: the build is bulk copying and compression, and shares the machine with tests that
  // are not (a control plane, timed probes).
  return execFileSync("nice", ["-n", "10", cmd, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 << 20,
    ...options,
  });
}

/** The chart's default image reference (image.repository, image.tag or appVersion). */
export function chartImage(): string {
  const values = parse(readFileSync(join(repo, "charts/mull/values.yaml"), "utf8"));
  const chart = parse(readFileSync(join(repo, "charts/mull/Chart.yaml"), "utf8"));
  return `${values.image.repository}:${values.image.tag || chart.appVersion}`;
}

/** Shared libraries the binary needs, as ldd resolves them, and the dynamic loader. */
function sharedLibraries(binary: string): string[] {
  const out = run("ldd", [binary]);
  const libs = [...out.matchAll(/=>\s+(\/\S+)/g)].map((m) => m[1] as string);
  const loader = /^\s*(\/\S+ld-linux\S+)/m.exec(out)?.[1];
  if (!loader || libs.length === 0) throw new Error(`ldd ${binary}: unexpected output\n${out}`);
  return [...libs, loader];
}

/** What the distroless base would hold: the node binary's libraries, the users, /tmp. */
function stageBase(root: string, nodeBinary: string): void {
  for (const lib of sharedLibraries(nodeBinary)) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib)); // follows symlinks: the loader path is one
  }
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(
    join(root, "etc/passwd"),
    "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
  );
  writeFileSync(join(root, "etc/group"), "root:x:0:\nnonroot:x:65532:\n");
  mkdirSync(join(root, "home/nonroot"), { recursive: true });
  mkdirSync(join(root, "tmp"), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
}

/** The deps stage: production dependencies from the lockfile. */
function productionModules(work: string): string {
  const dir = join(work, "deps");
  mkdirSync(dir, { recursive: true });
  for (const f of ["package.json", "package-lock.json"]) copyFileSync(join(repo, f), join(dir, f));
  run(
    "npm",
    [
      "ci",
      "--omit=dev",
      "--ignore-scripts",
      "--loglevel=error",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
    ],
    {
      cwd: dir,
    },
  );
  return join(dir, "node_modules");
}

const excluded = (path: string) => path.endsWith(".test.ts") || /(^|\/)testing(\/|$)/.test(path);

function stageCopies(stage: RuntimeStage, root: string, fromDeps: Record<string, string>): void {
  for (const copy of stage.copies) {
    const source = copy.from === undefined ? join(repo, copy.source) : fromDeps[copy.source];
    if (copy.from !== undefined && (copy.from !== "deps" || source === undefined)) {
      throw new Error(
        `Dockerfile: COPY --from=${copy.from} ${copy.source} has no daemonless equivalent`,
      );
    }
    const target = join(root, copy.target);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source as string, target, {
      recursive: true,
      dereference: true,
      filter: (src) => !excluded(src.slice(repo.length + 1)),
    });
  }
}

export function buildImage(): string {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
  const pinned: string = pkg.devDependencies.node;
  const stage = parseDockerfile(readFileSync(join(repo, "Dockerfile"), "utf8"), {
    VERSION: pkg.version,
  });
  if (stage.args.NODE_VERSION !== pinned) {
    throw new Error(
      `Dockerfile NODE_VERSION ${stage.args.NODE_VERSION} != package.json's node ${pinned}`,
    );
  }
  const nodeBinary = join(repo, "node_modules/node/bin/node");
  const version = run(nodeBinary, ["--version"]).trim();
  if (version !== `v${pinned}`)
    throw new Error(`${nodeBinary} is ${version}, not v${pinned}: run npm ci`);

  const work = mkdtempSync(join(tmpdir(), "mull-image-"));
  const root = join(work, "rootfs");
  const storage = join(cacheDir, "buildah");
  const buildah = (...args: string[]) =>
    run(
      "buildah",
      [
        "--root",
        join(storage, "root"),
        "--runroot",
        join(storage, "run"),
        "--storage-driver",
        "vfs",
        ...args,
      ],
      {
        env: { ...process.env, BUILDAH_ISOLATION: "chroot" },
      },
    ).trim();
  let container: string | undefined;
  try {
    stageBase(root, nodeBinary);
    stageCopies(stage, root, {
      "/usr/local/bin/node": nodeBinary,
      "/app/node_modules": productionModules(work),
    });
    container = buildah("from", "--name", `mull-image-${process.pid}`, "scratch");
    buildah("copy", container, `${root}/`, "/");
    const config = [
      "--user",
      stage.user,
      "--workingdir",
      stage.workdir,
      "--entrypoint",
      JSON.stringify(stage.entrypoint),
      "--cmd",
      "",
    ];
    for (const [k, v] of Object.entries(stage.env)) config.push("--env", `${k}=${v}`);
    config.push("--env", "PATH=/usr/local/bin:/usr/bin:/bin");
    for (const [k, v] of Object.entries(stage.labels)) config.push("--label", `${k}=${v}`);
    buildah("config", ...config, container);
    mkdirSync(dirname(archive), { recursive: true });
    rmSync(archive, { force: true });
    buildah(
      "commit",
      "--format",
      "oci",
      "--disable-compression=false",
      "--rm",
      container,
      `oci-archive:${archive}:${chartImage()}`,
    );
    container = undefined;
    return archive;
  } finally {
    if (container !== undefined) buildah("rm", container);
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  execFileSync("bash", [join(repo, "scripts/tools.sh")], { stdio: "inherit" });
  const out = buildImage();
  process.stdout.write(`${out} (${chartImage()})\n`);
}
