// When two final answers are one answer for the vote. Textual normalisation (answers.ts) first;
// then, where the answer reads as mathematics, symbolic equality with @cortex-js/compute-engine:
// an answer that evaluates to a number is keyed by that number (0.5, \frac{1}{2} and \dfrac12
// are one answer; so are \sqrt{27} and 3\sqrt{3}), any other expression by its canonical form
// (x^2+1 and 1+x^2). The key is opaque: only equality of keys means anything.
//
// Bounded in time: answers longer than MAX_SYMBOLIC_CHARS stay textual, and the parse and
// evaluation run under compute-engine's own time limit (a timeout falls back to the text).
// Keys are cached per text, so within a process one text always gets one key.
import { ComputeEngine, isNumber } from "@cortex-js/compute-engine";
import { normalizeAnswer } from "./answers.ts";

const MAX_SYMBOLIC_CHARS = 80;
const TIME_LIMIT_MS = 50;
const CACHE_SIZE = 4096;
// Significant digits a numeric key keeps: enough to tell 0.3333 from 1/3, few enough that two
// exact forms of one irrational (\frac{\sqrt2}{2}, \frac{1}{\sqrt2}) agree after rounding.
const DIGITS = 12;

let engine: ComputeEngine | undefined;
const cache = new Map<string, string>();

export function answerKey(answer: string): string {
  const text = normalizeAnswer(answer);
  if (text === "") return "";
  const known = cache.get(text);
  if (known !== undefined) return known;
  const key = symbolicKey(text) ?? text;
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(text, key);
  return key;
}

export function sameAnswer(a: string, b: string): boolean {
  const key = answerKey(a);
  return key !== "" && key === answerKey(b);
}

function symbolicKey(text: string): string | undefined {
  if (text.length > MAX_SYMBOLIC_CHARS) return undefined;
  // An integer is its own key, exactly (a double would merge 10^16 + 1 with 10^16).
  if (/^-?\d+$/.test(text)) return `=${text.replace(/^(-?)0+(?=\d)/, "$1")}`;
  // Words are not mathematics: compute-engine reads "dog" as d·o·g, a product, which would equal
  // "god". Two letters in a row outside a \command keep the answer textual.
  if (/[a-zA-Z]{2}/.test(text.replace(/\\[a-zA-Z]+/g, " "))) return undefined;
  engine ??= new ComputeEngine();
  const ce = engine;
  try {
    return ce.withTimeLimit({ ms: TIME_LIMIT_MS, label: "mull:answer-key" }, () => {
      const expr = ce.parse(text);
      if (!expr.isValid) return undefined;
      const value = expr.N();
      if (isNumber(value)) {
        const re = value.re;
        const im = value.im;
        if (Number.isNaN(re) || Number.isNaN(im)) return undefined;
        return `=${digits(re)}${im === 0 ? "" : `${im > 0 ? "+" : ""}${digits(im)}i`}`;
      }
      return `≡${JSON.stringify(expr.json)}`;
    });
  } catch {
    return undefined;
  }
}

function digits(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(DIGITS)));
}
