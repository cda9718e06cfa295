// The user's problems (`--dataset problems.jsonl`): one JSON object a line with `problem` and
// `answer` (the reference final answer; a number is taken as its decimal text) and an optional
// `id` (default `line-N`). A bad record is refused with its line number, so a large file is fixed
// in one look. The file's sha256 goes into the policy's Calibrated condition.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

export interface Problem {
  id: string;
  problem: string;
  answer: string;
}

export interface Dataset {
  path: string;
  sha256: string;
  problems: Problem[];
}

export async function loadDataset(path: string): Promise<Dataset> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`--dataset ${path}: ${(error as Error).message}`);
  }
  return {
    path,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    problems: parseDataset(bytes.toString("utf8"), path),
  };
}

export function parseDataset(text: string, path = "dataset"): Problem[] {
  const problems: Problem[] = [];
  const lineOf = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const number = index + 1;
    if (line.trim() === "") return;
    const fail = (why: string): never => {
      throw new Error(`${path} line ${number}: ${why}`);
    };
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      fail(`not JSON (${(error as Error).message})`);
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      fail('not a JSON object; each line is {"problem": ..., "answer": ...}');
    }
    const r = record as Record<string, unknown>;
    if (typeof r.problem !== "string" || r.problem.trim() === "") {
      fail(`"problem" must be a non-empty string, got ${describe(r.problem)}`);
    }
    const answer = text1(r.answer);
    if (answer === undefined || answer.trim() === "") {
      fail(`"answer" must be a non-empty string or a number, got ${describe(r.answer)}`);
    }
    const id = r.id === undefined ? `line-${number}` : text1(r.id);
    if (id === undefined || id.trim() === "") {
      fail(`"id" must be a non-empty string or a number when given, got ${describe(r.id)}`);
    }
    const first = lineOf.get(id as string);
    if (first !== undefined) fail(`id "${id}" repeats the id of line ${first}`);
    lineOf.set(id as string, number);
    problems.push({ id: id as string, problem: r.problem as string, answer: answer as string });
  });
  if (problems.length === 0) throw new Error(`${path} holds no problems`);
  return problems;
}

function text1(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  return json.length > 40 ? `${json.slice(0, 40)}…` : json;
}
