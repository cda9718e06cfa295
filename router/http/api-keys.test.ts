import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ApiKeys } from "./api-keys.ts";

test("keys from a file: bearer match only, comments and blanks skipped, a bad reload keeps the last good", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mull-keys-"));
  const file = join(dir, "keys");
  try {
    await writeFile(file, "# one per line\n  alpha  \n\nbeta\r\n");
    const reloads: boolean[] = [];
    const keys = await ApiKeys.open(file, { watch: false, onReload: ({ ok }) => reloads.push(ok) });
    assert.equal(keys.size, 2);
    for (const [header, ok] of [
      ["Bearer alpha", true],
      ["bearer beta", true],
      ["Bearer  beta ", true],
      ["Bearer gamma", false],
      ["alpha", false],
      ["Basic alpha", false],
      ["Bearer # one per line", false],
      ["Bearer ", false],
      [undefined, false],
    ] as const) {
      assert.equal(keys.accepts(header), ok, String(header));
    }
    await writeFile(file, "# nothing\n");
    await keys.reload();
    assert.equal(keys.accepts("Bearer alpha"), true, "an empty file keeps the last good keys");
    await rm(file);
    await keys.reload();
    assert.equal(keys.accepts("Bearer alpha"), true, "a missing file keeps the last good keys");
    await writeFile(file, "gamma\n");
    await keys.reload();
    assert.equal(keys.accepts("Bearer alpha"), false);
    assert.equal(keys.accepts("Bearer gamma"), true);
    assert.deepEqual(reloads, [false, false, true]);
    await keys.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a file with no key refuses to start", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mull-keys-"));
  try {
    await writeFile(join(dir, "keys"), "\n# none\n");
    await assert.rejects(ApiKeys.open(join(dir, "keys"), { watch: false }), /no API key/);
    await assert.rejects(ApiKeys.open(join(dir, "missing"), { watch: false }), /ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
