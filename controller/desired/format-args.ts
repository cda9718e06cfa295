// The `vllm serve` flags a policy's formats imply, so the served model reads what the router
// sends:
// - a PRM other than Qwen2.5-Math-PRM needs vLLM's STEP pooler told its step tag and label
//   tokens (--pooler-config); without it vLLM returns a row for every token;
// - a proposer in chat mode with a chatTemplate gets it as --chat-template (vLLM refuses
//   per-request templates unless --trust-request-chat-template).
// A flag the user already passes in `args` wins.
import type { V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { ConfigMapKey, ModelServer, TestTimePolicy, Verifier } from "../policy/types.ts";

// Where a chat template from a ConfigMap is mounted in a chat-mode proposer's pod.
const chatTemplateDir = "/etc/mull/chat-template";
const chatTemplateFile = "template.jinja";

// peiyi9979/math-shepherd-mistral-7b-prm (its model card): the step tag "ки" and the labels "+"
// and "-", returned in that order, so P(correct) is row entry 0 (router/formats/math-shepherd.ts).
const MATH_SHEPHERD = { stepTagId: 12902, returnedTokenIds: [648, 387] };

const mentions = (args: readonly string[], flag: string) =>
  args.some((a) => a === flag || a.startsWith(`${flag}=`));

export function verifierFormatArgs(v: Verifier): string[] {
  const user = v.args ?? [];
  if (mentions(user, "--pooler-config") || mentions(user, "--override-pooler-config")) return [];
  const tokens =
    v.format === "math-shepherd"
      ? MATH_SHEPHERD
      : v.format === "custom" && v.stepTagId !== undefined && v.returnedTokenIds !== undefined
        ? { stepTagId: v.stepTagId, returnedTokenIds: v.returnedTokenIds }
        : undefined;
  if (tokens === undefined) return [];
  const config = {
    pooling_type: "STEP",
    step_tag_id: tokens.stepTagId,
    returned_token_ids: tokens.returnedTokenIds,
  };
  return [`--pooler-config=${JSON.stringify(config)}`];
}

export function proposerFormatArgs(p: ModelServer): string[] {
  const prompt = p.prompt;
  if (prompt?.format !== "chat" || mentions(p.args ?? [], "--chat-template")) return [];
  if (prompt.chatTemplateConfigMap)
    return [`--chat-template=${chatTemplateDir}/${chatTemplateFile}`];
  if (prompt.chatTemplate === undefined) return [];
  return [`--chat-template=${pythonUnicodeEscape(prompt.chatTemplate)}`];
}

// A chat-mode proposer whose template is in a ConfigMap reads it as a file (vLLM reads a file
// verbatim); in completion mode the operator copies the text into the router's config instead.
export function chatTemplateVolume(
  p: ModelServer,
): { volume: V1Volume; mount: V1VolumeMount } | undefined {
  const ref = p.prompt?.chatTemplateConfigMap;
  if (p.prompt?.format !== "chat" || ref === undefined) return undefined;
  return {
    volume: {
      name: "chat-template",
      configMap: { name: ref.name, items: [{ key: ref.key, path: chatTemplateFile }] },
    },
    mount: { name: "chat-template", mountPath: chatTemplateDir, readOnly: true },
  };
}

// vLLM reads an inline --chat-template through Python's codecs.decode(..., "unicode_escape")
// (entrypoints/chat_utils.py load_chat_template), which would turn a template's own `\\boxed`
// into a backspace; escaping it the way Python's encoder does makes the decode give it back.
export function pythonUnicodeEscape(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return out;
}

// The ConfigMap whose template the router needs: completion mode renders it in the router, so
// the operator reads it and copies the text into the router's config (chat mode mounts it).
export function routerChatTemplateRef(policy: TestTimePolicy): ConfigMapKey | undefined {
  const prompt = policy.spec.proposer.prompt;
  return prompt?.format === "chat" ? undefined : prompt?.chatTemplateConfigMap;
}

// The template's text from the ConfigMap's data; a missing ConfigMap or key is an error naming
// the field, so the reconcile fails visibly (an Event, Degraded) and is retried.
export function chatTemplateText(
  policy: TestTimePolicy,
  data: Record<string, string> | undefined,
): string {
  const ref = policy.spec.proposer.prompt?.chatTemplateConfigMap;
  const where = `ConfigMap ${policy.metadata.namespace}/${ref?.name ?? ""}`;
  if (data === undefined) {
    throw new Error(`spec.proposer.prompt.chatTemplateConfigMap: ${where} not found`);
  }
  const text = ref === undefined ? undefined : data[ref.key];
  if (text === undefined || text === "") {
    throw new Error(
      `spec.proposer.prompt.chatTemplateConfigMap: ${where} has no key "${ref?.key}"`,
    );
  }
  return text;
}
