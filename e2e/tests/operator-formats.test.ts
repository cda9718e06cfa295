// The operator serves a policy's formats: a chat template kept in a ConfigMap reaches the
// router's config (completion mode), a missing one fails the reconcile with a message naming the
// field, and a Math-Shepherd PRM gets vLLM's STEP pooler config.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { gpuPool, kubectl, namespace, waitFor } from "../fixture.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
} from "./operator-harness.ts";

const template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>";

async function routerSnapshot(ns: string): Promise<PolicyDoc | undefined> {
  const r = await kubectl(["-n", ns, "get", "configmap", "fmt-router", "-o", "json"], {
    check: false,
  });
  if (r.code !== 0) return undefined;
  const data = JSON.parse(r.stdout).data?.["router.yaml"];
  return data ? parse(data).policies[0] : undefined;
}

test("operator: chat template from a ConfigMap, a missing one named, Math-Shepherd's pooler", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  await startOperator(t, { namespace: ns, args: ["--resync-period=2"] });
  await applyDoc(
    ns,
    policyDoc("fmt", pool, (d) => {
      d.spec.proposer.prompt = {
        solve: "{problem}",
        chatTemplateConfigMap: { name: "chat", key: "template.jinja" },
      };
      d.spec.verifier.format = "math-shepherd";
    }),
  );
  // The ConfigMap does not exist yet: the reconcile fails and says which field points where.
  await waitFor(
    "a ReconcileFailed event naming the missing ConfigMap",
    async () => {
      const events = await getJson(["-n", ns, "get", "events", "-o", "json"]);
      return events.items.some(
        (e: PolicyDoc) =>
          e.reason === "ReconcileFailed" &&
          /spec\.proposer\.prompt\.chatTemplateConfigMap: ConfigMap .*\/chat not found/.test(
            e.message,
          ),
      );
    },
    { timeoutMs: 60_000 },
  );
  await kubectl([
    "-n",
    ns,
    "create",
    "configmap",
    "chat",
    `--from-literal=template.jinja=${template}`,
  ]);
  const snapshot = await waitFor(
    "the router config carrying the ConfigMap's template",
    async () => {
      const s = await routerSnapshot(ns);
      return s?.prompt?.chatTemplate === template ? s : undefined;
    },
    { timeoutMs: 60_000 },
  );
  assert.equal(snapshot.prompt.solve, "{problem}");
  assert.equal(snapshot.verifierFormat.format, "math-shepherd");
  const verifier = await getJson(["-n", ns, "get", "deploy", "fmt-b1-verifier", "-o", "json"]);
  assert.ok(
    verifier.spec.template.spec.containers[0].args.includes(
      '--pooler-config={"pooling_type":"STEP","step_tag_id":12902,"returned_token_ids":[648,387]}',
    ),
  );
});
