// Reads the runtime (last) stage of a Dockerfile: the subset scripts/image.ts can build without a
// daemon. Anything else in that stage (RUN above all) is an error, so the Dockerfile and the
// daemonless image cannot drift apart silently.

export interface Copy {
  from?: string;
  source: string;
  target: string;
}

export interface RuntimeStage {
  base: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  env: Record<string, string>;
  copies: Copy[];
  user: string;
  workdir: string;
  entrypoint: string[];
}

/** Instructions joined across `\` continuations, comments and blank lines dropped. */
function instructions(text: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (current === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    out.push(current + line);
    current = "";
  }
  if (current !== "") out.push(current);
  return out;
}

/** key=value pairs, values optionally double-quoted (LABEL, ENV, ARG). */
function pairs(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of text.matchAll(/([\w.-]+)=("((?:[^"\\]|\\.)*)"|\S*)/g)) {
    out.push([
      m[1] as string,
      m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : (m[2] as string),
    ]);
  }
  return out;
}

export function parseDockerfile(
  text: string,
  buildArgs: Record<string, string> = {},
): RuntimeStage {
  const globalArgs: Record<string, string> = {};
  let stage: RuntimeStage | undefined;
  // An instruction the daemonless build cannot reproduce; fine in a build stage, not in the last.
  let unsupported: string | undefined;
  const expand = (s: string, args: Record<string, string>) =>
    s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b) as string;
      const value = args[name];
      if (value === undefined) throw new Error(`Dockerfile: \${${name}} is not a declared ARG`);
      return value;
    });
  for (const line of instructions(text)) {
    const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const op = keyword.toUpperCase();
    if (op === "FROM") {
      unsupported = undefined;
      stage = {
        base: expand(rest.split(/\s+/)[0] ?? "", globalArgs),
        args: {},
        labels: {},
        env: {},
        copies: [],
        user: "",
        workdir: "/",
        entrypoint: [],
      };
      continue;
    }
    if (op === "ARG") {
      const [name = "", fallback] = rest.split("=", 2);
      const value = buildArgs[name] ?? fallback ?? globalArgs[name];
      if (value === undefined) throw new Error(`Dockerfile: ARG ${name} has no value`);
      if (stage) stage.args[name] = value;
      else globalArgs[name] = value;
      continue;
    }
    if (!stage) throw new Error(`Dockerfile: ${op} before FROM`);
    const s = stage;
    const args = { ...s.args };
    switch (op) {
      case "LABEL":
        for (const [k, v] of pairs(rest)) s.labels[k] = expand(v, args);
        break;
      case "ENV":
        for (const [k, v] of pairs(rest)) s.env[k] = expand(v, args);
        break;
      case "USER":
        s.user = expand(rest, args);
        break;
      case "WORKDIR":
        s.workdir = expand(rest, args);
        break;
      case "ENTRYPOINT":
        s.entrypoint = JSON.parse(rest) as string[];
        break;
      case "COPY": {
        const words = rest.split(/\s+/);
        const from = words[0]?.startsWith("--from=") ? words.shift()?.slice(7) : undefined;
        if (words.length !== 2) {
          unsupported ??= "COPY with several sources";
          break;
        }
        s.copies.push({ from, source: words[0] as string, target: words[1] as string });
        break;
      }
      default:
        unsupported ??= op;
    }
  }
  if (!stage) throw new Error("Dockerfile: no FROM");
  if (unsupported)
    throw new Error(
      `Dockerfile: the runtime stage uses ${unsupported}, which npm run image cannot build`,
    );
  return { ...stage, args: { ...globalArgs, ...stage.args } };
}
