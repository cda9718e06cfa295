// Command lines of the control-plane components. Everything binds 127.0.0.1 on ports chosen free;
// the flags follow envtest's setup plus what a scheduler/controller-manager pair needs to run pods.
import { join } from "node:path";
import { bins } from "../bins.ts";
import type { Pki } from "./certs.ts";
import { HOST } from "./ports.ts";

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

export interface Component {
  name: string;
  bin: string;
  args: string[];
  /** URL that answers 200 once the component is up. */
  health: string;
  /** Whether `health` needs the admin client cert (the apiserver) or no verification at all. */
  healthTls: "admin" | "insecure" | "none";
}

// Service IPs; also in the serving cert's SANs (10.0.0.1 is the kubernetes Service).
export const SERVICE_CIDR = "10.0.0.0/16";
// Pod IPs handed out by kwok: kept apart from the service range so addresses are unambiguous.
const POD_CIDR = "10.1.0.0/16";
// TEST-NET-1: never routed. The apiserver refuses loopback here and needs *some* address to
// advertise; with --endpoint-reconciler-type=none nothing ever dials it.
const ADVERTISE_ADDRESS = "192.0.2.1";

export function etcd(dataDir: string, p: Ports): Component {
  const client = `http://${HOST}:${p.etcdClient}`;
  const peer = `http://${HOST}:${p.etcdPeer}`;
  return {
    name: "etcd",
    bin: bins.etcd,
    args: [
      "--name=e2e",
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=e2e=${peer}`,
      "--initial-cluster-state=new",
      // Test data is disposable; fsync is most of etcd's latency on a shared CI disk.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    health: `${client}/health`,
    healthTls: "none",
  };
}

export function kubeApiserver(dir: string, pki: Pki, p: Ports): Component {
  return {
    name: "kube-apiserver",
    bin: bins.kubeApiserver,
    args: [
      `--etcd-servers=http://${HOST}:${p.etcdClient}`,
      `--bind-address=${HOST}`,
      `--secure-port=${p.apiserver}`,
      `--advertise-address=${ADVERTISE_ADDRESS}`,
      "--endpoint-reconciler-type=none",
      `--cert-dir=${join(dir, "apiserver")}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      "--authorization-mode=RBAC",
      "--allow-privileged=true",
      "--profiling=false",
    ],
    health: `https://${HOST}:${p.apiserver}/readyz`,
    healthTls: "admin",
  };
}

/** Flags both the controller-manager and the scheduler take to reach the apiserver as admin. */
function clientFlags(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    `--bind-address=${HOST}`,
  ];
}

export function kubeControllerManager(
  dir: string,
  kubeconfig: string,
  pki: Pki,
  p: Ports,
): Component {
  return {
    name: "kube-controller-manager",
    bin: bins.kubeControllerManager,
    args: [
      ...clientFlags(kubeconfig),
      `--secure-port=${p.controllerManager}`,
      `--cert-dir=${join(dir, "controller-manager")}`,
      // Mints the tokens of the ServiceAccounts it creates in every namespace.
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
    ],
    health: `https://${HOST}:${p.controllerManager}/healthz`,
    healthTls: "insecure",
  };
}

export function kubeScheduler(dir: string, kubeconfig: string, p: Ports): Component {
  return {
    name: "kube-scheduler",
    bin: bins.kubeScheduler,
    args: [
      ...clientFlags(kubeconfig),
      `--secure-port=${p.scheduler}`,
      `--cert-dir=${join(dir, "scheduler")}`,
    ],
    health: `https://${HOST}:${p.scheduler}/healthz`,
    healthTls: "insecure",
  };
}

export function kwok(kubeconfig: string, p: Ports): Component {
  return {
    name: "kwok",
    bin: bins.kwok,
    args: [
      `--kubeconfig=${kubeconfig}`,
      // Our stages only: otherwise kwok also reads ~/.kwok/kwok.yaml, whatever is in it.
      `--config=${bins.kwokStages}`,
      "--manage-all-nodes=true",
      // Our heartbeat stage renews only every 10-20 min and leaves liveness to a Lease; without
      // one, the node controller marks every node NotReady after its grace period and turns its
      // Running pods unready, which kwok's pod-ready stage (Pending pods only) never undoes.
      "--node-lease-duration-seconds=40",
      `--server-address=${HOST}:${p.kwok}`,
      `--cidr=${POD_CIDR}`,
    ],
    health: `http://${HOST}:${p.kwok}/healthz`,
    healthTls: "none",
  };
}
