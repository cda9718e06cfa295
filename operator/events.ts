// Kubernetes Events (core/v1) on a policy: what `kubectl describe ttp` shows. The same reason and
// message on one policy is emitted at most once per interval, so a failing reconcile retried with
// backoff does not flood the API server.
import { randomBytes } from "node:crypto";
import type { CoreV1Api } from "@kubernetes/client-node";
import type { TestTimePolicy } from "../controller/policy/types.ts";
import { maxEventMessage } from "../controller/reconcile-event.ts";
import { errorMessage, type Logger } from "./log.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  event(policy: TestTimePolicy, type: EventType, reason: string, message: string): Promise<void>;
}

export function eventRecorder(
  api: CoreV1Api,
  component: string,
  instance: string,
  log: Logger,
  onWrite: () => void,
  dedupMs = 300_000,
): EventRecorder {
  const recent = new Map<string, number>();
  return {
    async event(policy, type, reason, message) {
      const key = `${policy.metadata.namespace}/${policy.metadata.name}/${reason}/${message}`;
      const now = Date.now();
      const last = recent.get(key);
      if (last !== undefined && now - last < dedupMs) return;
      recent.set(key, now);
      if (recent.size > 10_000) recent.clear();
      const ns = policy.metadata.namespace;
      const ts = new Date();
      try {
        onWrite();
        await api.createNamespacedEvent({
          namespace: ns,
          body: {
            metadata: {
              name: `${policy.metadata.name}.${randomBytes(8).toString("hex")}`,
              namespace: ns,
            },
            involvedObject: {
              apiVersion: policy.apiVersion,
              kind: policy.kind,
              name: policy.metadata.name,
              namespace: ns,
              uid: policy.metadata.uid,
              resourceVersion: policy.metadata.resourceVersion,
            },
            type,
            reason,
            message: message.slice(0, maxEventMessage),
            source: { component },
            reportingComponent: `mull.dev/${component}`,
            reportingInstance: instance.slice(0, 128),
            firstTimestamp: ts,
            lastTimestamp: ts,
            count: 1,
          },
        });
      } catch (err) {
        log.warn("could not record event", { reason, error: errorMessage(err) });
      }
    },
  };
}
