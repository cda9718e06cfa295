import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuTop, heapTop } from "./profile-summary.ts";

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });

test("cpuTop: self time summed per function and per package, largest first", () => {
  const t = cpuTop(
    {
      nodes: [
        { id: 1, callFrame: frame("(garbage collector)", "") },
        {
          id: 2,
          callFrame: frame(
            "deserialize",
            "file:///r/node_modules/@kubernetes/client-node/dist/serializer.js",
          ),
        },
        { id: 3, callFrame: frame("plan", "file:///r/controller/plan.ts") },
      ],
      samples: [2, 2, 3, 1, 2],
      timeDeltas: [1000, 1000, 1000, 2000, 1000],
    },
    5,
  );
  assert.deepEqual(
    t.packages.map((p) => [p.name, p.value]),
    [
      ["@kubernetes/client-node", 3],
      ["(garbage collector)", 2],
      ["mull", 1],
    ],
  );
  assert.equal(t.functions[0]?.name, "deserialize @kubernetes/client-node/dist/serializer.js:10");
  assert.equal(t.functions[2]?.name, "plan controller/plan.ts:10");
  assert.equal(t.packages[0]?.share, 0.5);
});

test("heapTop: bytes per allocating function across the whole tree", () => {
  const h = heapTop(
    {
      callFrame: frame("(root)", ""),
      selfSize: 0,
      children: [
        { callFrame: frame("parse", "node:internal/json"), selfSize: 300, children: [] },
        {
          callFrame: frame(
            "watchHandler",
            "file:///r/node_modules/@kubernetes/client-node/dist/cache.js",
          ),
          selfSize: 100,
          children: [
            { callFrame: frame("parse", "node:internal/json"), selfSize: 600, children: [] },
          ],
        },
      ],
    },
    5,
  );
  assert.deepEqual(
    h.packages.map((p) => [p.name, p.value]),
    [
      ["node core", 900],
      ["@kubernetes/client-node", 100],
    ],
  );
  assert.equal(h.functions[0]?.value, 900);
});
