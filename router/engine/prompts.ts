// How the engine turns a problem into text for the proposer and the verifier. The defaults
// follow search-and-learn's math setup (steps separated by a blank line, the answer in
// \boxed{}); a policy for another model can override them. sim/ parses the same templates, so
// the simulated fleet and the router always agree on what a prompt means.

export interface PromptTemplates {
  // The proposer prompt; `{problem}` is replaced by the client's prompt.
  solve: string;
  // A revision prompt; `{problem}` and `{attempts}` (earlier attempts, newest last).
  revise: string;
  // How one earlier attempt is rendered inside `{attempts}`; `{index}` and `{attempt}`.
  attempt: string;
  // The text between reasoning steps; also the proposer's `stop` when expanding one step.
  stepDelimiter: string;
  // Inserted after each step in the verifier's input (Qwen2.5-Math-PRM uses <extra_0>).
  stepSeparator: string;
}

export const DEFAULT_TEMPLATES: PromptTemplates = {
  solve:
    "Solve the following math problem step by step. Separate steps with a blank line and put " +
    "the final answer in \\boxed{}.\n\nProblem: {problem}\n\nSolution:\n",
  revise:
    "Solve the following math problem step by step. Separate steps with a blank line and put " +
    "the final answer in \\boxed{}. Earlier attempts may contain mistakes; find them and write " +
    "a corrected solution.\n\nProblem: {problem}\n\n{attempts}Revised solution:\n",
  attempt: "Attempt {index}:\n{attempt}\n\n",
  stepDelimiter: "\n\n",
  stepSeparator: "<extra_0>",
};

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

export function solvePrompt(t: PromptTemplates, problem: string, steps: readonly string[]): string {
  return fill(t.solve, { problem }) + steps.map((s) => s + t.stepDelimiter).join("");
}

export function revisePrompt(
  t: PromptTemplates,
  problem: string,
  attempts: readonly string[],
  steps: readonly string[] = [],
): string {
  const rendered = attempts
    .map((attempt, i) => fill(t.attempt, { index: String(i + 1), attempt }))
    .join("");
  return (
    fill(t.revise, { problem, attempts: rendered }) + steps.map((s) => s + t.stepDelimiter).join("")
  );
}

// The verifier sees the problem and the steps, each followed by the separator token.
export function verifierInput(
  t: PromptTemplates,
  problem: string,
  steps: readonly string[],
): string {
  return `${problem}\n\n${steps.map((s) => s + t.stepSeparator).join("")}`;
}
