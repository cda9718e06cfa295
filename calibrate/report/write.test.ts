import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import type { ReportInput } from "./input.ts";
import { degenerateInput, reportInput } from "./testing/report-input.ts";
import { parseSvg } from "./testing/svg.ts";
import { writeReport } from "./write.ts";

async function written(input: ReportInput, t: { after: (f: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), "mull-report-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, "out");
  return { out, paths: await writeReport(out, input) };
}

for (const [name, make, svgs] of [
  ["three bins", reportInput, 5],
  ["one bin, no oracle", degenerateInput, 3],
] as const) {
  test(`writeReport (${name}): report.md and its SVGs, every link resolving`, async (t) => {
    const { out, paths } = await written(make(), t);
    assert.deepEqual((await readdir(out)).sort(), paths.map((p) => basename(p)).sort());
    assert.equal(paths.filter((p) => p.endsWith(".svg")).length, svgs);
    assert.ok(paths.includes(join(out, "report.md")));
    const md = await readFile(join(out, "report.md"), "utf8");
    const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.deepEqual(
      links.sort(),
      paths
        .filter((p) => p.endsWith(".svg"))
        .map((p) => basename(p))
        .sort(),
    );
    for (const p of paths.filter((p) => p.endsWith(".svg"))) {
      const svg = parseSvg(await readFile(p, "utf8"));
      assert.ok(svg.texts("axis-title").length >= 2, `${p} has axis titles`);
    }
  });
}
