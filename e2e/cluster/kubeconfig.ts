// The admin kubeconfig, with certificates embedded so the file works from any directory and
// survives nothing but the cluster it points at.
import { readFileSync, writeFileSync } from "node:fs";
import type { Pki } from "./certs.ts";

const b64 = (path: string) => readFileSync(path).toString("base64");

export function writeKubeconfig(path: string, server: string, pki: Pki): void {
  const yaml = `apiVersion: v1
kind: Config
clusters:
  - name: mull-e2e
    cluster:
      server: ${server}
      certificate-authority-data: ${b64(pki.caCert)}
users:
  - name: mull-e2e-admin
    user:
      client-certificate-data: ${b64(pki.adminCert)}
      client-key-data: ${b64(pki.adminKey)}
contexts:
  - name: mull-e2e
    context:
      cluster: mull-e2e
      user: mull-e2e-admin
current-context: mull-e2e
`;
  writeFileSync(path, yaml, { mode: 0o600 });
}
