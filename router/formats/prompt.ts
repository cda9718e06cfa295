// The proposer's prompt format (a policy's `prompt`, spec.proposer.prompt): what the model is
// asked and how, in either of two modes.
// - completion: the router renders the text (through the model's chat template when the policy
//   gives one) and calls /v1/completions;
// - chat: the router sends messages to /v1/chat/completions, the solution so far as the final
//   assistant message with continue_final_message, and vLLM applies the model's own template.
// Either way the text the model continues ends with the steps so far, each followed by the step
// delimiter, so generation picks up at the start of the next step.
import type { PromptFormat as PromptFormatMessage } from "../../proto/gen/mull/v1/fleet_pb.ts";
import type { PromptInput } from "../engine/backend.ts";
import { type ChatMessage, ChatTemplate } from "./chat-template.ts";
import { fill } from "./fill.ts";

export const PROMPT_MODES = ["completion", "chat"] as const;
export type PromptMode = (typeof PROMPT_MODES)[number];

export interface ProposerFormat {
  mode: PromptMode;
  // "" = no system message.
  system: string;
  solve: string;
  revise: string;
  attempt: string;
  stepDelimiter: string;
  // completion mode with the model's chat template; in chat mode vLLM holds the template.
  chatTemplate: ChatTemplate | undefined;
  // undefined: the engine's temperature (the router's --temperature).
  temperature: number | undefined;
  topP: number;
  // -1 = no top-k cut (vLLM accepts -1 as "disabled" in every version).
  topK: number;
}

// Mull's built-in math prompt, for base models (and what the simulator speaks by default):
// search-and-learn's setup, steps separated by a blank line and the answer in \boxed{}.
export const DEFAULT_PROMPT = {
  solve:
    "Solve the following math problem step by step. Separate steps with a blank line and put " +
    "the final answer in \\boxed{}.\n\nProblem: {problem}\n\nSolution:\n",
  revise:
    "Solve the following math problem step by step. Separate steps with a blank line and put " +
    "the final answer in \\boxed{}. Earlier attempts may contain mistakes; find them and write " +
    "a corrected solution.\n\nProblem: {problem}\n\n{attempts}Revised solution:\n",
  attempt: "Attempt {index}:\n{attempt}\n\n",
  stepDelimiter: "\n\n",
  // search-and-learn samples at top_p 1.0 with no top-k; both are sent so that vLLM does not
  // take the model's generation_config.json instead.
  topP: 1,
  topK: -1,
} as const;

// Problems with a policy's prompt, each naming its field; empty when it is usable.
export function promptProblems(m: PromptFormatMessage | undefined): string[] {
  if (m === undefined) return [];
  const problems: string[] = [];
  if (m.format !== "" && !(PROMPT_MODES as readonly string[]).includes(m.format)) {
    problems.push(
      `prompt.format: unknown format "${m.format}" (known: ${PROMPT_MODES.join(", ")})`,
    );
  }
  const need = (field: "solve" | "revise" | "attempt", placeholders: string[]) => {
    const value = m[field];
    for (const p of placeholders) {
      if (value !== "" && !value.includes(p)) problems.push(`prompt.${field} must contain ${p}`);
    }
  };
  need("solve", ["{problem}"]);
  need("revise", ["{problem}", "{attempts}"]);
  need("attempt", ["{attempt}"]);
  if (m.temperature !== undefined && !(m.temperature >= 0 && m.temperature <= 2)) {
    problems.push(`prompt.temperature must be in [0, 2], got ${m.temperature}`);
  }
  if (m.topP !== undefined && !(m.topP > 0 && m.topP <= 1)) {
    problems.push(`prompt.topP must be in (0, 1], got ${m.topP}`);
  }
  if (m.topK !== undefined && !(m.topK >= 1 || m.topK === -1)) {
    problems.push(`prompt.topK must be at least 1 (or -1 for none), got ${m.topK}`);
  }
  if (m.chatTemplate !== "" && m.format !== "chat") {
    try {
      const template = new ChatTemplate(m.chatTemplate);
      // A trial render catches what only shows at run time (undefined filters, raise_exception).
      template.render(
        [
          { role: "user", content: "1 + 1?" },
          { role: "assistant", content: "Step 1." },
        ],
        true,
      );
    } catch (error) {
      problems.push(`prompt.chatTemplate: ${(error as Error).message}`);
    }
  }
  return problems;
}

// The format with defaults filled in. Call promptProblems first: this assumes a valid message.
export function proposerFormat(m: PromptFormatMessage | undefined): ProposerFormat {
  const mode = (m?.format || "completion") as PromptMode;
  return {
    mode,
    system: m?.system ?? "",
    solve: m?.solve || DEFAULT_PROMPT.solve,
    revise: m?.revise || DEFAULT_PROMPT.revise,
    attempt: m?.attempt || DEFAULT_PROMPT.attempt,
    stepDelimiter: m?.stepDelimiter || DEFAULT_PROMPT.stepDelimiter,
    chatTemplate:
      mode === "completion" && m?.chatTemplate ? new ChatTemplate(m.chatTemplate) : undefined,
    temperature: m?.temperature,
    topP: m?.topP ?? DEFAULT_PROMPT.topP,
    topK: m?.topK ?? DEFAULT_PROMPT.topK,
  };
}

// The user turn: the solve template, or the revise template with the earlier attempts.
function userTurn(f: ProposerFormat, input: PromptInput): string {
  if (input.attempts.length === 0) return fill(f.solve, { problem: input.problem });
  const attempts = input.attempts
    .map((attempt, i) => fill(f.attempt, { index: String(i + 1), attempt }))
    .join("");
  return fill(f.revise, { problem: input.problem, attempts });
}

// The solution so far: every step followed by the delimiter.
function partialAnswer(f: ProposerFormat, input: PromptInput): string {
  return input.steps.map((s) => s + f.stepDelimiter).join("");
}

// The conversation: system turn, user turn, and the partial answer when there is one.
function chatMessages(f: ProposerFormat, input: PromptInput): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (f.system !== "") messages.push({ role: "system", content: f.system });
  messages.push({ role: "user", content: userTurn(f, input) });
  const partial = partialAnswer(f, input);
  if (partial !== "") messages.push({ role: "assistant", content: partial });
  return messages;
}

// completion mode: the whole text the model continues.
export function completionPrompt(f: ProposerFormat, input: PromptInput): string {
  if (f.chatTemplate !== undefined) {
    return f.chatTemplate.render(chatMessages(f, input), input.steps.length > 0);
  }
  const system = f.system === "" ? "" : `${f.system}\n\n`;
  return system + userTurn(f, input) + partialAnswer(f, input);
}

// chat mode: the body fields of /v1/chat/completions that carry the prompt.
export function chatPrompt(
  f: ProposerFormat,
  input: PromptInput,
): {
  messages: ChatMessage[];
  add_generation_prompt: boolean;
  continue_final_message: boolean;
} {
  const continuing = input.steps.length > 0;
  return {
    messages: chatMessages(f, input),
    add_generation_prompt: !continuing,
    continue_final_message: continuing,
  };
}
