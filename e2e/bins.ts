// Where e2e/build.sh puts each binary. Versions come from e2e/versions.env only, so bumping a
// version there moves both the build and every user of these paths.
import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const versionsFile = new URL("./versions.env", import.meta.url);

function readVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(versionsFile, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

const env = readVersions();
function version(key: string): string {
  const v = env[key];
  if (!v) throw new Error(`e2e/versions.env has no ${key}`);
  return v;
}

export const versions = {
  kubernetes: version("KUBERNETES_VERSION"),
  etcd: version("ETCD_VERSION"),
  kwok: version("KWOK_VERSION"),
  helm: version("HELM_VERSION"),
  natsServer: version("NATS_SERVER_VERSION"),
  grpcurl: version("GRPCURL_VERSION"),
  prometheusOperator: version("PROMETHEUS_OPERATOR_VERSION"),
} as const;

/** The build cache: $MULL_E2E_CACHE, default ~/.cache/mull-e2e (same rule as e2e/build.sh). */
export const cacheDir: string = process.env.MULL_E2E_CACHE || join(homedir(), ".cache", "mull-e2e");

// Same layout as bin_path in e2e/build.sh: <cache>/bin/<name>-<version>/<name>.
function bin(name: string, ver: string): string {
  return join(cacheDir, "bin", `${name}-${ver}`, name);
}
const kubeDir = join(cacheDir, "bin", `kubernetes-${versions.kubernetes}`);
const monitoringCrdDir = join(
  cacheDir,
  "bin",
  `prometheus-operator-crds-${versions.prometheusOperator}`,
);

export const bins = {
  etcd: bin("etcd", versions.etcd),
  kubeApiserver: join(kubeDir, "kube-apiserver"),
  kubeControllerManager: join(kubeDir, "kube-controller-manager"),
  kubeScheduler: join(kubeDir, "kube-scheduler"),
  kubectl: join(kubeDir, "kubectl"),
  kwok: bin("kwok", versions.kwok),
  /** Not a binary: kwok's node and pod stages, concatenated from its module by build.sh. */
  kwokStages: join(cacheDir, "bin", `kwok-${versions.kwok}`, "stages.yaml"),
  helm: bin("helm", versions.helm),
  natsServer: bin("nats-server", versions.natsServer),
  grpcurl: bin("grpcurl", versions.grpcurl),
  /** Not binaries: prometheus-operator's CRDs, generated from its API module by build.sh. */
  serviceMonitorCrd: join(monitoringCrdDir, "servicemonitors.yaml"),
  podMonitorCrd: join(monitoringCrdDir, "podmonitors.yaml"),
  prometheusRuleCrd: join(monitoringCrdDir, "prometheusrules.yaml"),
} as const;

export type BinName = keyof typeof bins;

/** Paths among `names` that are not built yet; empty when `npm run e2e:build` has done its job. */
export function missingBins(names: readonly BinName[] = Object.keys(bins) as BinName[]): string[] {
  return names
    .map((n) => bins[n])
    .filter((p) => {
      try {
        accessSync(p, constants.R_OK);
        return false;
      } catch {
        return true;
      }
    });
}

/** Throws with the command that fixes it when a binary is missing. */
export function requireBins(names: readonly BinName[]): void {
  const missing = missingBins(names);
  if (missing.length > 0) {
    throw new Error(`e2e binaries not built (run \`npm run e2e:build\`): ${missing.join(", ")}`);
  }
}
