// Names on the NATS fleet bus, in one place: the operator writes and the routers read the same
// bucket and keys, and the routers publish on the subjects the operator subscribes to. Both
// processes import only proto/ in common, so the names live beside the messages they carry.

/** JetStream KV bucket of PolicySnapshots (protobuf binary), unless --bucket says otherwise. */
export const defaultPolicyBucket = "mull-policies";

/** Prefix of the DemandReport subjects; a report for one policy goes to `<prefix>.<ns>.<name>`. */
export const demandSubjectPrefix = "mull.demand";

/** Every demand subject (what the operator subscribes to). */
export const allDemandSubjects = `${demandSubjectPrefix}.>`;

/** The KV key of one policy's snapshot. Namespaces have no dots, so the first dot splits it. */
export function policyKey(namespace: string, name: string): string {
  return `${namespace}.${name}`;
}

/** `policyKey`'s inverse; undefined for a key no policy would have. */
export function parsePolicyKey(key: string): { namespace: string; name: string } | undefined {
  const dot = key.indexOf(".");
  if (dot <= 0 || dot === key.length - 1) return undefined;
  return { namespace: key.slice(0, dot), name: key.slice(dot + 1) };
}

export function demandSubject(namespace: string, name: string): string {
  return `${demandSubjectPrefix}.${namespace}.${name}`;
}

/** `ns/name`, as people and flags (--policies) write a policy. */
export function qualifiedName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
