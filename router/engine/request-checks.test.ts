import assert from "node:assert/strict";
import { test } from "node:test";
import { echo } from "./echo.ts";
import { EngineError } from "./errors.ts";
import { checkPrompt, checkRequestId } from "./request-checks.ts";

const invalid = (pattern: RegExp) => (e: unknown) =>
  e instanceof EngineError && e.code === "INVALID_ARGUMENT" && pattern.test(e.message);

test("echo escapes control characters and quotes, and cuts long input", () => {
  assert.equal(echo('a"b\nc\u0000'), '"a\\"b\\nc\\u0000"');
  const long = echo("x".repeat(300_000));
  assert.ok(long.length < 260, `${long.length} characters`);
  assert.match(long, /… \(300000 characters\)$/);
  // Cut by code points, never through a surrogate pair.
  assert.equal(echo("😀".repeat(3), 2), '"😀😀"… (3 characters)');
});

test("request ids: printable ASCII up to 128 characters", () => {
  for (const ok of ["", "req-1", "a b/c:d", "x".repeat(128)]) checkRequestId(ok);
  const cases: [string, RegExp][] = [
    ["x".repeat(129), /129 characters, above the limit of 128/],
    ["bad\nid", /printable ASCII, got "bad\\nid"/],
    ["nul\u0000", /printable ASCII/],
    ["ünï", /printable ASCII/],
  ];
  for (const [id, pattern] of cases) assert.throws(() => checkRequestId(id), invalid(pattern));
});

test("a prompt needs a visible character", () => {
  for (const ok of ["What is 2+2?", "  7 ", "١٢٣", "∑", "日本"]) checkPrompt(ok, 100);
  const cases: [string, RegExp][] = [
    ["", /prompt is empty/],
    [" \t\n", /prompt is empty/],
    ["\u200b\u200c\u200d\ufeff", /no visible character/],
    ["\u0000\u0000", /no visible character/],
    ["\u0301\u0302", /no visible character/],
    ["x".repeat(101), /101 characters, above the limit of 100/],
  ];
  for (const [prompt, pattern] of cases) {
    assert.throws(() => checkPrompt(prompt, 100), invalid(pattern), JSON.stringify(prompt));
  }
});
