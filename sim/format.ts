// The sim's own formats: how the simulated model expects to be asked, and how the simulated PRM
// reads its input. A format is data, with the same field names a TestTimePolicy's
// `proposer.prompt` and `verifier` (custom) carry, so a test or the demo can configure the router
// to match it, or not. The sim never learns the router's templates: like a real model, it
// understands its own layout, and a request in another layout reads to it as one bare question.
import { Template } from "@huggingface/jinja";

export interface SimPromptData {
  // Put before the user turn (completion text without chatTemplate: followed by a blank line).
  system?: string;
  // The user turn of a fresh solution, with {problem}.
  solve: string;
  // The user turn of a revision, with {problem} and {attempts} in any order.
  revise: string;
  // One earlier attempt inside {attempts}: {attempt}, optionally {index}.
  attempt: string;
  stepDelimiter: string;
  // A Jinja chat template: the completion text is this template's rendering, and
  // /v1/chat/completions is served (vLLM refuses chat requests for a model without one).
  chatTemplate?: string;
}

export interface SimVerifierData {
  // The PRM's input, with {problem} and {steps}.
  template: string;
  // After every step; one returned row per occurrence.
  stepTag: string;
  // The entry of each row that is P(step correct); the other is 1 - that.
  positiveIndex: number;
}

export interface SimFormatData {
  name: string;
  prompt: SimPromptData;
  verifier: SimVerifierData;
}

// The format the sim speaks unless told otherwise: a plain math prompt for a base model.
export const MULL_FORMAT: SimFormatData = {
  name: "mull",
  prompt: {
    solve:
      "Solve the following math problem step by step. Separate steps with a blank line and put " +
      "the final answer in \\boxed{}.\n\nProblem: {problem}\n\nSolution:\n",
    revise:
      "Solve the following math problem step by step. Separate steps with a blank line and put " +
      "the final answer in \\boxed{}. Earlier attempts may contain mistakes; find them and write " +
      "a corrected solution.\n\nProblem: {problem}\n\n{attempts}Revised solution:\n",
    attempt: "Attempt {index}:\n{attempt}\n\n",
    stepDelimiter: "\n\n",
  },
  verifier: { template: "{problem}\n\n{steps}", stepTag: "<extra_0>", positiveIndex: 1 },
};

const CHATML =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + " +
  "'<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

// A chat model in the Qwen2.5-Math family's style: ChatML turns, a system message, steps one per
// line, the earlier attempts *before* the problem in a revision, and Qwen2.5-Math-PRM's input.
export const QWEN_CHAT_FORMAT: SimFormatData = {
  name: "qwen-chat",
  prompt: {
    system: "Please reason step by step, and put your final answer within \\boxed{}.",
    solve: "{problem}",
    revise:
      "Here are earlier attempts at a problem; they may be wrong.\n\n{attempts}Solve the problem again, fixing any mistakes: {problem}",
    attempt: "--- attempt {index} ---\n{attempt}\n\n",
    stepDelimiter: "\n",
    chatTemplate: CHATML,
  },
  verifier: {
    template:
      "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n" +
      "<|im_start|>user\n{problem}<|im_end|>\n<|im_start|>assistant\n{steps}<|im_end|>\n",
    stepTag: "<extra_0>",
    positiveIndex: 1,
  },
};

// A plain question/answer layout with one step per line, and a PRM tagged with Math-Shepherd's
// " ки" whose rows come as [good, bad] (the order its STEP pooler config returns): a policy
// reaches it with a custom verifier format and positiveIndex 0.
export const SHEPHERD_FORMAT: SimFormatData = {
  name: "shepherd",
  prompt: {
    solve:
      "Question: {problem}\nAnswer step by step, one step per line, ending with \\boxed{}.\nAnswer:\n",
    revise:
      "Question: {problem}\nPrevious answers, possibly wrong:\n{attempts}Answer again step by step, one step per line, ending with \\boxed{}.\nAnswer:\n",
    attempt: "{attempt}\n===\n",
    stepDelimiter: "\n",
  },
  verifier: { template: "{problem}\nAnswer:\n{steps}", stepTag: " ки", positiveIndex: 0 },
};

export const BUILTIN_FORMATS: Record<string, SimFormatData> = {
  [MULL_FORMAT.name]: MULL_FORMAT,
  [QWEN_CHAT_FORMAT.name]: QWEN_CHAT_FORMAT,
  [SHEPHERD_FORMAT.name]: SHEPHERD_FORMAT,
};

// One format, ready to read text: the template split at its placeholders, and the chat
// template's markup around a user turn.
export interface SimFormat {
  data: SimFormatData;
  // Completion text = before + user turn + after + the solution so far.
  before: string;
  after: string;
  chat: Template | undefined;
}

const PROBE = "\u0001";

export function compileFormat(data: SimFormatData): SimFormat {
  const strings: [string, unknown][] = [
    ["prompt.solve", data?.prompt?.solve],
    ["prompt.revise", data?.prompt?.revise],
    ["prompt.attempt", data?.prompt?.attempt],
    ["prompt.stepDelimiter", data?.prompt?.stepDelimiter],
    ["verifier.template", data?.verifier?.template],
    ["verifier.stepTag", data?.verifier?.stepTag],
  ];
  for (const [field, value] of strings) {
    if (typeof value !== "string") {
      throw new Error(`format ${data?.name ?? "(unnamed)"}: ${field} must be a string`);
    }
  }
  if (![0, 1].includes(data.verifier.positiveIndex)) {
    throw new Error(`format ${data.name}: verifier.positiveIndex must be 0 or 1`);
  }
  const p = data.prompt;
  for (const [field, value, need] of [
    ["solve", p.solve, ["{problem}"]],
    ["revise", p.revise, ["{problem}", "{attempts}"]],
    ["attempt", p.attempt, ["{attempt}"]],
    ["verifier.template", data.verifier.template, ["{problem}", "{steps}"]],
  ] as const) {
    for (const n of need) {
      if (!value.includes(n)) throw new Error(`format ${data.name}: ${field} must contain ${n}`);
    }
  }
  if (p.stepDelimiter === "") throw new Error(`format ${data.name}: stepDelimiter is empty`);
  if (data.verifier.stepTag === "")
    throw new Error(`format ${data.name}: verifier.stepTag is empty`);
  if (p.chatTemplate === undefined) {
    return { data, before: p.system ? `${p.system}\n\n` : "", after: "", chat: undefined };
  }
  const chat = new Template(p.chatTemplate);
  const rendered = renderChat(chat, withSystem(p, [{ role: "user", content: PROBE }]), true);
  const at = rendered.indexOf(PROBE);
  return { data, before: rendered.slice(0, at), after: rendered.slice(at + PROBE.length), chat };
}

export interface ChatMessage {
  role: string;
  content: string;
}

function withSystem(p: SimPromptData, messages: ChatMessage[]): ChatMessage[] {
  return p.system ? [{ role: "system", content: p.system }, ...messages] : messages;
}

function renderChat(chat: Template, messages: ChatMessage[], generationPrompt: boolean): string {
  return chat.render({
    messages,
    add_generation_prompt: generationPrompt,
    bos_token: "",
    eos_token: "",
  });
}

// What vLLM's chat endpoint feeds the model: the chat template's rendering, cut after the final
// message when continuing it, exactly as transformers' apply_chat_template does (a template that
// trims the final message loses its trailing whitespace).
export function chatText(
  format: SimFormat,
  messages: ChatMessage[],
  addGenerationPrompt: boolean,
  continueFinal: boolean,
): string {
  if (format.chat === undefined) throw new Error("no chat template");
  const rendered = renderChat(format.chat, messages, addGenerationPrompt);
  if (!continueFinal) return rendered;
  const final = messages[messages.length - 1]?.content ?? "";
  const at = rendered.lastIndexOf(final.trim());
  if (final.trim() === "" || at < 0) {
    throw new Error(
      "continue_final_message is set but the final message does not appear in the chat",
    );
  }
  const kept = rendered.slice(at, at + final.trimStart().length);
  return kept === final
    ? rendered.slice(0, at + final.trimStart().length)
    : rendered.slice(0, at + final.trim().length);
}

// How a client speaking this format writes a prompt (for tests and for the sim's own tools).
export function writePrompt(
  format: SimFormat,
  problem: string,
  steps: readonly string[] = [],
  attempts: readonly string[] = [],
): string {
  const p = format.data.prompt;
  const rendered = attempts
    .map((attempt, i) => fill(p.attempt, { index: String(i + 1), attempt }))
    .join("");
  const turn =
    attempts.length === 0
      ? fill(p.solve, { problem })
      : fill(p.revise, { problem, attempts: rendered });
  return format.before + turn + format.after + steps.map((s) => s + p.stepDelimiter).join("");
}

export function writeVerifierInput(
  format: SimFormat,
  problem: string,
  steps: readonly string[],
): string {
  const v = format.data.verifier;
  return fill(v.template, { problem, steps: steps.map((s) => s + v.stepTag).join("") });
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

// What a sim started without formats understands.
export const DEFAULT_FORMATS: readonly SimFormat[] = [compileFormat(MULL_FORMAT)];

// Format names (built in) or YAML/JSON files of SimFormatData, compiled; throws naming the bad one.
export function resolveFormats(
  names: readonly string[],
  read: (path: string) => SimFormatData,
): SimFormat[] {
  return names.map((name) => compileFormat(BUILTIN_FORMATS[name] ?? read(name)));
}
