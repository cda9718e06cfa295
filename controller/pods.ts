// Reading the scheduler's verdict off a pod: "0/2 nodes are available: 2 Insufficient
// nvidia.com/gpu." in the PodScheduled condition is how a GPU shortage shows.
import type { V1Pod } from "@kubernetes/client-node";
import { gpuResource } from "./desired/pool.ts";

export interface PendingVerdict {
  unschedulable: boolean;
  /** True when the scheduler named GPUs as (one of) the missing resources. */
  insufficientGpu: boolean;
  message: string;
}

export function pendingVerdict(pod: V1Pod): PendingVerdict | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  if (pod.status?.phase !== "Pending") return undefined;
  const scheduled = pod.status.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status !== "False" || scheduled.reason !== "Unschedulable") {
    return undefined;
  }
  const message = scheduled.message ?? "";
  return {
    unschedulable: true,
    insufficientGpu: message.includes(`Insufficient ${gpuResource}`),
    message,
  };
}
