// The top items of a V8 CPU profile (self time) and sampling heap profile (bytes still allocated
// when it was written), by function and by package, as `bench operator --profile` prints them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; hitCount?: number }>;
  samples: number[];
  timeDeltas: number[];
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

export interface Item {
  name: string;
  share: number;
  value: number;
}

function where(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\//, "");
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(file);
  const short = pkg ? `${pkg[1]}/${pkg[2]}` : file.replace(/^.*?\/(?=[^/]+\/[^/]+$)/, "");
  return short ? `${short}:${f.lineNumber + 1}` : "(native)";
}

function pkgOf(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith("(") ? f.functionName : "(native)";
  if (f.url.startsWith("node:")) return "node core";
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f.url)?.[1] ?? "mull";
}

function top(totals: Map<string, number>, n: number): Item[] {
  const sum = [...totals.values()].reduce((a, b) => a + b, 0) || 1;
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, value]) => ({ name, value, share: value / sum }));
}

function add(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

/** Self time per function and per package, in ms. */
export function cpuTop(p: CpuProfile, n: number): { functions: Item[]; packages: Item[] } {
  const byId = new Map(p.nodes.map((node) => [node.id, node.callFrame]));
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id);
    if (!f) return;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    add(fns, `${f.functionName || "(anonymous)"} ${where(f)}`, ms);
    add(pkgs, pkgOf(f), ms);
  });
  return { functions: top(fns, n), packages: top(pkgs, n) };
}

/** Bytes per allocating function and per package. */
export function heapTop(head: HeapNode, n: number): { functions: Item[]; packages: Item[] } {
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  const stack = [head];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.selfSize > 0) {
      add(
        fns,
        `${node.callFrame.functionName || "(anonymous)"} ${where(node.callFrame)}`,
        node.selfSize,
      );
      add(pkgs, pkgOf(node.callFrame), node.selfSize);
    }
    stack.push(...node.children);
  }
  return { functions: top(fns, n), packages: top(pkgs, n) };
}

/** Prints the top items of every .cpuprofile and .heapprofile in `dir`. */
export function summarizeProfiles(dir: string, n = 12): string {
  const out: string[] = [];
  const section = (title: string, items: Item[], unit: (v: number) => string) => {
    out.push(title);
    for (const i of items)
      out.push(
        `  ${(i.share * 100).toFixed(1).padStart(5)}%  ${unit(i.value).padStart(9)}  ${i.name}`,
      );
  };
  for (const file of readdirSync(dir).sort()) {
    const text = () => readFileSync(join(dir, file), "utf8");
    if (file.endsWith(".cpuprofile")) {
      const t = cpuTop(JSON.parse(text()) as CpuProfile, n);
      section(`${file}: self time by package`, t.packages, (v) => `${v.toFixed(0)} ms`);
      section(`${file}: self time by function`, t.functions, (v) => `${v.toFixed(0)} ms`);
    } else if (file.endsWith(".heapprofile")) {
      const h = heapTop((JSON.parse(text()) as { head: HeapNode }).head, n);
      const mib = (v: number) => `${(v / 2 ** 20).toFixed(1)} MiB`;
      section(`${file}: live allocations by package`, h.packages, mib);
      section(`${file}: live allocations by function`, h.functions, mib);
    }
  }
  return `${out.join("\n")}\n`;
}
