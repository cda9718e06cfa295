// A pool's API key (vLLM's --api-key) from a file: a mounted Kubernetes Secret, so a rotated
// key arrives as a changed file and is picked up on the next refresh without a restart.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

export type KeyRead = { key: string } | { error: string };

function parse(path: string, text: string): KeyRead {
  // Secrets written with `echo` end in a newline that is not part of the key.
  const key = text.trim();
  return key === "" ? { error: `API key file ${path} is empty` } : { key };
}

function failure(path: string, error: unknown): KeyRead {
  const code = (error as { code?: unknown })?.code;
  return {
    error: `cannot read API key file ${path}: ${typeof code === "string" ? code : String(error)}`,
  };
}

export function readApiKeySync(path: string): KeyRead {
  try {
    return parse(path, readFileSync(path, "utf8"));
  } catch (error) {
    return failure(path, error);
  }
}

export async function readApiKey(path: string): Promise<KeyRead> {
  try {
    return parse(path, await readFile(path, "utf8"));
  } catch (error) {
    return failure(path, error);
  }
}
