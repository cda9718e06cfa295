// A model's Jinja chat template (tokenizer_config.json `chat_template`), rendered with
// @huggingface/jinja the way transformers' apply_chat_template renders it, for completion mode:
// the router sends the rendered text to /v1/completions.
//
// Continuing a partial answer: transformers (continue_final_message) cuts the rendering right
// after the final message, but only after the part of it the template kept; templates that
// `| trim` message content (Llama 3.x) lose its trailing whitespace, i.e. our step delimiter.
// Here the final message is put back verbatim, so a partial step sequence continues exactly.
import { Template } from "@huggingface/jinja";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export class ChatTemplate {
  readonly source: string;
  readonly #template: Template;

  // Throws on a template that does not parse.
  constructor(source: string) {
    this.source = source;
    this.#template = new Template(source);
  }

  // With `continueFinal`, `messages` ends with the partial assistant message and the text ends
  // with it; otherwise the text ends with the template's generation prompt.
  render(messages: readonly ChatMessage[], continueFinal: boolean): string {
    const rendered = this.#template.render({
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: !continueFinal,
      // vLLM's tokenizer adds BOS to a completion prompt itself; a rendered one would double it.
      bos_token: "",
      eos_token: "",
    });
    if (!continueFinal) return rendered;
    const final = messages[messages.length - 1]?.content ?? "";
    const core = final.trim();
    const at = core === "" ? -1 : rendered.lastIndexOf(core);
    if (at < 0) {
      throw new Error(
        "the chat template drops the final assistant message, so it cannot be continued",
      );
    }
    return rendered.slice(0, at) + final.trimStart();
  }
}
