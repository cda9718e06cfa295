// Reads the router's prompts back into (problem, earlier attempts, steps so far). It inverts
// the templates of router/engine/prompts.ts, so a policy that overrides the templates only has
// to hand the same templates to the sim. A prompt in no known format is a bare problem.
import { DEFAULT_TEMPLATES, type PromptTemplates } from "../router/engine/prompts.ts";

export interface ParsedPrompt {
  kind: "solve" | "revise" | "bare";
  problem: string;
  attempts: string[];
  steps: string[];
  // False when the prompt ends mid-step (no delimiter after the last step): the continuation
  // must then start with the delimiter to begin a new step.
  endsOnBoundary: boolean;
}

function splitOnce(text: string, placeholder: string): [string, string] {
  const at = text.indexOf(placeholder);
  if (at < 0) throw new Error(`template lacks ${placeholder}`);
  return [text.slice(0, at), text.slice(at + placeholder.length)];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function splitSteps(text: string, delimiter: string): { steps: string[]; endsOnBoundary: boolean } {
  const pieces = text.split(delimiter);
  const endsOnBoundary = text === "" || text.endsWith(delimiter);
  return { steps: pieces.filter((p) => p.trim() !== ""), endsOnBoundary };
}

function parseAttempts(region: string, t: PromptTemplates): string[] {
  const [before, afterIndex] = splitOnce(t.attempt, "{index}");
  const [between, after] = splitOnce(afterIndex, "{attempt}");
  const header = new RegExp(`${escapeRegExp(before)}\\d+${escapeRegExp(between)}`, "g");
  const starts = [...region.matchAll(header)];
  return starts.map((m, i) => {
    const from = (m.index ?? 0) + m[0].length;
    const to = starts[i + 1]?.index ?? region.length;
    let text = region.slice(from, to);
    if (after !== "" && text.endsWith(after)) text = text.slice(0, -after.length);
    return text;
  });
}

function parseRevise(prompt: string, t: PromptTemplates): ParsedPrompt | undefined {
  const [pre, rest] = splitOnce(t.revise, "{problem}");
  const [mid, post] = splitOnce(rest, "{attempts}");
  if (!prompt.startsWith(pre)) return undefined;
  const body = prompt.slice(pre.length);
  const markerAt = body.indexOf(post);
  if (markerAt < 0) return undefined;
  const region = body.slice(0, markerAt);
  const [attemptHead] = splitOnce(t.attempt, "{index}");
  const firstAttempt = region.indexOf(`${mid}${attemptHead}1`);
  const problemEnd = firstAttempt >= 0 ? firstAttempt : region.lastIndexOf(mid);
  const problem = region.slice(0, problemEnd < 0 ? region.length : problemEnd);
  const attempts =
    firstAttempt >= 0 ? parseAttempts(region.slice(firstAttempt + mid.length), t) : [];
  return {
    kind: "revise",
    problem,
    attempts,
    ...splitSteps(body.slice(markerAt + post.length), t.stepDelimiter),
  };
}

function parseSolve(prompt: string, t: PromptTemplates): ParsedPrompt | undefined {
  const [pre, post] = splitOnce(t.solve, "{problem}");
  if (!prompt.startsWith(pre)) return undefined;
  const body = prompt.slice(pre.length);
  const markerAt = body.indexOf(post);
  if (markerAt < 0) return undefined;
  return {
    kind: "solve",
    problem: body.slice(0, markerAt),
    attempts: [],
    ...splitSteps(body.slice(markerAt + post.length), t.stepDelimiter),
  };
}

export function parsePrompt(prompt: string, t: PromptTemplates = DEFAULT_TEMPLATES): ParsedPrompt {
  return (
    parseRevise(prompt, t) ??
    parseSolve(prompt, t) ?? {
      kind: "bare",
      problem: prompt,
      attempts: [],
      steps: [],
      endsOnBoundary: true,
    }
  );
}

// The verifier's input is the problem, a blank line, then every step followed by the
// separator token. Steps never contain the blank line, so the problem ends at the last blank
// line before the first separator.
export function parseVerifierInput(
  input: string,
  t: PromptTemplates = DEFAULT_TEMPLATES,
): { problem: string; steps: string[] } {
  const first = input.indexOf(t.stepSeparator);
  if (first < 0) return { problem: input, steps: [] };
  const problemEnd = input.lastIndexOf("\n\n", first);
  const problem = problemEnd < 0 ? "" : input.slice(0, problemEnd);
  const stepsText = input.slice(problemEnd < 0 ? 0 : problemEnd + 2);
  const pieces = stepsText.split(t.stepSeparator);
  // Whatever follows the last separator is not a scored step.
  pieces.pop();
  return { problem, steps: pieces };
}
