import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadDataset, parseDataset } from "./dataset.ts";

test("records become problems; a number answer is its text, a missing id is the line", () => {
  const text = [
    '{"problem": "1+1?", "answer": "2", "id": "a"}',
    "",
    '{"problem": "2+2?", "answer": 4}',
    '{"problem": "half?", "answer": "\\\\frac{1}{2}", "id": 7}',
  ].join("\n");
  assert.deepEqual(parseDataset(text), [
    { id: "a", problem: "1+1?", answer: "2" },
    { id: "line-3", problem: "2+2?", answer: "4" },
    { id: "7", problem: "half?", answer: "\\frac{1}{2}" },
  ]);
});

test("a bad record is refused with its line number and what is wrong", () => {
  const cases: [string, RegExp][] = [
    ['{"problem": "x", "answer": "1"}\n{"problem": "y"', /p\.jsonl line 2: not JSON/],
    ['{"problem": "x", "answer": "1"}\n\n[1, 2]', /line 3: not a JSON object/],
    ['{"answer": "1"}', /line 1: "problem" must be a non-empty string, got nothing/],
    ['{"problem": "x", "answer": null}', /line 1: "answer" must be .* got null/],
    ['{"problem": "x", "answer": " "}', /line 1: "answer" must be/],
    ['{"problem": "x", "answer": "1", "id": {"a": 1}}', /line 1: "id" must be/],
    [
      '{"problem": "x", "answer": "1", "id": "q"}\n{"problem": "y", "answer": "2", "id": "q"}',
      /line 2: id "q" repeats the id of line 1/,
    ],
    ["\n  \n", /p\.jsonl holds no problems/],
  ];
  for (const [text, error] of cases) assert.throws(() => parseDataset(text, "p.jsonl"), error);
});

test("loadDataset hashes the file's bytes and names the path of a missing file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mull-dataset-"));
  try {
    const path = join(dir, "problems.jsonl");
    const text = '{"problem": "1+1?", "answer": "2"}\r\n';
    await writeFile(path, text);
    const dataset = await loadDataset(path);
    assert.equal(dataset.sha256, createHash("sha256").update(text).digest("hex"));
    assert.deepEqual(dataset.problems, [{ id: "line-1", problem: "1+1?", answer: "2" }]);
    await assert.rejects(loadDataset(join(dir, "none.jsonl")), /--dataset .*none\.jsonl: ENOENT/);
  } finally {
    await rm(dir, { recursive: true });
  }
});
