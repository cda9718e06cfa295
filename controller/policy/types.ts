// The TestTimePolicy object as the operator reads it. The spec and status shapes are generated
// from schema.ts (types.gen.ts); only the envelope is written by hand.
import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { TestTimePolicySpec, TestTimePolicyStatus } from "./types.gen.ts";

export type * from "./types.gen.ts";

export interface TestTimePolicy {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: TestTimePolicySpec;
  status?: TestTimePolicyStatus;
}
