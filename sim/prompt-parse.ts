// Reads a prompt the way the simulated model understands it: in one of its own formats
// (format.ts), the problem, any earlier attempts and the steps so far. Whatever follows the
// format's markers is the solution so far. A prompt in none of its formats is, to the model, one
// bare question: the whole text, with no partial solution and no attempts, as a real model given
// a layout it was not trained on loses track of what is question and what is answer.
import type { SimFormat } from "./format.ts";

export interface ParsedPrompt {
  kind: "solve" | "revise" | "bare";
  problem: string;
  attempts: string[];
  steps: string[];
  // False when the prompt ends mid-step (no delimiter after the last step): the continuation
  // must then start with the delimiter to begin a new step.
  endsOnBoundary: boolean;
  // The format the prompt was read in (undefined for a bare question).
  format: SimFormat | undefined;
}

// A template's literal pieces and, between them, its placeholders.
function pieces(template: string): { literals: string[]; names: string[] } {
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{(problem|attempts|steps)\}/g)) {
    literals.push(template.slice(last, m.index));
    names.push(m[1] as string);
    last = m.index + m[0].length;
  }
  literals.push(template.slice(last));
  return { literals, names };
}

// Matches `template` (literals and placeholders) against the start of `text`'s first match of
// its leading literal: each placeholder runs to the next occurrence of the literal after it. The
// last literal must be found too; the text after it is returned as `rest`.
function matchTemplate(
  template: string,
  text: string,
  anchored: boolean,
): { values: Record<string, string>; rest: string } | undefined {
  const { literals, names } = pieces(template);
  const first = literals[0] ?? "";
  let at = anchored ? (text.startsWith(first) ? 0 : -1) : text.indexOf(first);
  if (at < 0) return undefined;
  at += first.length;
  const values: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) {
    const next = literals[i + 1] ?? "";
    const last = i === names.length - 1;
    const end = next === "" ? (last ? text.length : at) : text.indexOf(next, at);
    if (end < 0) return undefined;
    values[names[i] as string] = text.slice(at, end);
    at = end + next.length;
  }
  return { values, rest: text.slice(at) };
}

function splitSteps(text: string, delimiter: string): { steps: string[]; endsOnBoundary: boolean } {
  const endsOnBoundary = text === "" || text.endsWith(delimiter);
  return { steps: text.split(delimiter).filter((p) => p.trim() !== ""), endsOnBoundary };
}

// The attempts inside a revision's {attempts}, split by the attempt template's own markers.
function parseAttempts(region: string, attempt: string): string[] {
  const [head = "", tail = ""] = attempt.split("{attempt}");
  const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const header = new RegExp(quote(head).replace(quote("{index}"), "\\d+"), "g");
  const starts = head === "" ? [] : [...region.matchAll(header)];
  if (starts.length === 0) {
    const parts = tail === "" ? [region] : region.split(tail);
    return parts.filter((p) => p.trim() !== "");
  }
  return starts.map((m, i) => {
    const from = (m.index ?? 0) + m[0].length;
    const to = starts[i + 1]?.index ?? region.length;
    const text = region.slice(from, to);
    return tail !== "" && text.endsWith(tail) ? text.slice(0, -tail.length) : text;
  });
}

function parseIn(prompt: string, format: SimFormat): ParsedPrompt | undefined {
  const p = format.data.prompt;
  const revise = matchTemplate(format.before + p.revise + format.after, prompt, false);
  if (revise) {
    return {
      kind: "revise",
      problem: revise.values.problem ?? "",
      attempts: parseAttempts(revise.values.attempts ?? "", p.attempt),
      ...splitSteps(revise.rest, p.stepDelimiter),
      format,
    };
  }
  const solve = matchTemplate(format.before + p.solve + format.after, prompt, false);
  if (!solve) return undefined;
  return {
    kind: "solve",
    problem: solve.values.problem ?? "",
    attempts: [],
    ...splitSteps(solve.rest, p.stepDelimiter),
    format,
  };
}

export function parsePrompt(prompt: string, formats: readonly SimFormat[]): ParsedPrompt {
  for (const format of formats) {
    const parsed = parseIn(prompt, format);
    if (parsed) return parsed;
  }
  return {
    kind: "bare",
    problem: prompt,
    attempts: [],
    steps: [],
    endsOnBoundary: true,
    format: undefined,
  };
}

// The PRM's reading of its input: the problem and the steps, in the first format whose template
// matches. Rows come back for every occurrence of the step tag, as vLLM's step pooler returns
// them whether or not the rest of the input made sense; in an input it cannot read, the PRM
// judges those steps against a question it does not know, so they look wrong.
export function parseVerifierInput(
  input: string,
  formats: readonly SimFormat[],
): { problem: string; steps: string[]; format: SimFormat | undefined } {
  const stepsOf = (text: string, tag: string) => {
    const parts = text.split(tag);
    // Whatever follows the last tag is not a scored step.
    parts.pop();
    return parts.map((s) => s.trim());
  };
  for (const format of formats) {
    const v = format.data.verifier;
    const m = matchTemplate(v.template, input, true);
    if (m === undefined || m.rest.trim() !== "") continue;
    return {
      problem: m.values.problem ?? "",
      steps: stepsOf(m.values.steps ?? "", v.stepTag),
      format,
    };
  }
  const tag = formats[0]?.data.verifier.stepTag ?? "";
  return { problem: input, steps: tag === "" ? [] : stepsOf(input, tag), format: undefined };
}
