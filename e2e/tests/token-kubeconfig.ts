// A kubeconfig that authenticates with a token of a ServiceAccount and nothing else, for running
// the real operator with exactly the RBAC the chart gives it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { stateDir } from "../cluster/state.ts";
import { cluster, kubectl } from "../fixture.ts";

export async function tokenKubeconfig(ns: string, sa: string): Promise<string> {
  const c = await cluster();
  const token = (await kubectl(["create", "token", sa, "-n", ns, "--duration=1h"])).stdout.trim();
  const admin = parse(readFileSync(c.kubeconfig, "utf8"));
  const clusterEntry = admin.clusters[0].cluster;
  const file = join(stateDir(), `chart-${ns}-${sa}.kubeconfig`);
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "e2e",
          cluster: {
            server: clusterEntry.server,
            "certificate-authority-data": clusterEntry["certificate-authority-data"],
          },
        },
      ],
      users: [{ name: sa, user: { token } }],
      contexts: [{ name: sa, context: { cluster: "e2e", user: sa, namespace: ns } }],
      "current-context": sa,
    }),
    { mode: 0o600 },
  );
  return file;
}
