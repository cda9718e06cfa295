import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { YamlFilePolicySource } from "./yaml-file-source.ts";

const example = await readFile(new URL("../router.example.yaml", import.meta.url), "utf8");

test("reloads a good edit, keeps the last good config on a bad one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mull-policy-"));
  const path = join(dir, "router.yaml");
  await writeFile(path, example);
  const reloads: { ok: boolean; error?: Error }[] = [];
  const source = await YamlFilePolicySource.open(path, {
    watch: false,
    onReload: (r) => reloads.push(r),
  });
  const changes: string[][] = [];
  source.subscribe((policies) => changes.push([...policies.keys()]));
  try {
    assert.deepEqual(source.names(), ["math"]);

    await writeFile(path, example.replace("name: math", "name: algebra"));
    await source.reload();
    assert.deepEqual(source.names(), ["algebra"]);
    assert.deepEqual(changes, [["algebra"]]);

    await writeFile(path, example.replace("bins: 2", "bins: -1"));
    await source.reload();
    assert.deepEqual(source.names(), ["algebra"], "the bad edit is ignored");
    assert.equal(reloads.at(-1)?.ok, false);
    assert.match(String(reloads.at(-1)?.error?.message), /policy "math"/);
    assert.equal(changes.length, 1);
  } finally {
    await source.close();
    await rm(dir, { recursive: true });
  }
});

test("a bad file at startup is an error naming the file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mull-policy-"));
  const path = join(dir, "router.yaml");
  await writeFile(path, "policies: 3\n");
  try {
    await assert.rejects(YamlFilePolicySource.open(path, { watch: false }), (e: Error) =>
      e.message.startsWith(`${path}: `),
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("the watcher picks up a change without an explicit reload", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mull-policy-"));
  const path = join(dir, "router.yaml");
  await writeFile(path, example);
  const source = await YamlFilePolicySource.open(path, { debounceMs: 10 });
  try {
    const changed = new Promise<string[]>((resolve) =>
      source.subscribe((p) => resolve([...p.keys()])),
    );
    await writeFile(path, example.replace("name: math", "name: geometry"));
    assert.deepEqual(await changed, ["geometry"]);
  } finally {
    await source.close();
    await rm(dir, { recursive: true });
  }
});
