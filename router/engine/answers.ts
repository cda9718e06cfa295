// Final-answer extraction and normalisation. Voting treats two solutions as agreeing exactly when
// their normalised answers are equal, so normalisation decides how much a vote can concentrate:
// too weak and "1/2" and "\dfrac{1}{2}" split the vote; too strong and different answers merge.
// The rules follow the usual MATH-benchmark normalisers (Hendrycks et al., PRM800K); symbolic
// equality (0.5 ≡ \frac{1}{2}) is added on top by equivalence.ts.

// Returns the content of the last \boxed{...} (or \fbox{...}) in `text`, with nested braces, or ""
// when there is none. With `pattern`, returns the last match's first capture group (or the whole
// match when the pattern has no group) — for policies whose model answers in another format.
export function extractAnswer(text: string, pattern?: RegExp): string {
  if (pattern) return lastMatch(text, pattern);
  // Walk boxes from the end; the first one whose braces close is the answer (a truncated last
  // box falls back to the box before it).
  const boxes = [...text.matchAll(/\\(?:boxed|fbox)/g)].map((m) => m.index + m[0].length);
  for (let i = boxes.length - 1; i >= 0; i--) {
    const content = macroArgument(text, boxes[i] ?? 0);
    if (content !== undefined) return content.trim();
  }
  return "";
}

function lastMatch(text: string, pattern: RegExp): string {
  const global = new RegExp(
    pattern.source,
    pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`,
  );
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(global)) last = m;
  if (!last) return "";
  return (last[1] ?? last[0]).trim();
}

// The argument of a macro starting at `from`: a balanced {group}, or (as in `\boxed 5`) the
// token after a space. Undefined when the braces never close (a truncated solution).
function macroArgument(text: string, from: number): string | undefined {
  if (text[from] === "{") return braceGroup(text, from)?.content;
  if (text[from] === " ") {
    const m = /^ +([^\s$]+)/.exec(text.slice(from));
    return m?.[1];
  }
  return undefined;
}

// The balanced group opening at text[open] === "{": its content and the index after "}".
function braceGroup(text: string, open: number): { content: string; end: number } | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") {
      i++; // an escaped brace (\{ or \}) does not open or close a group
    } else if (c === "{") {
      depth++;
    } else if (c === "}") {
      depth--;
      if (depth === 0) return { content: text.slice(open + 1, i), end: i + 1 };
    }
  }
  return undefined;
}

// Rewrites an answer into a canonical form so that answers a grader would call equal compare
// equal as strings. Idempotent: normalizeAnswer(normalizeAnswer(s)) === normalizeAnswer(s).
export function normalizeAnswer(answer: string): string {
  let s = answer.trim();
  // A whole answer wrapped in \boxed{} (e.g. copied from a solution) is the box's content.
  if (/^\\boxed\s*\{/.test(s)) s = extractAnswer(s) || s;
  // A currency sign, escaped (`\$18.90`) or not, is not part of the value; nor is math mode.
  s = s.replaceAll("\\$", "").replaceAll("$", "");
  s = s.replace(/\\(left|right|displaystyle|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])/g, "");
  s = s.replace(/\\[!,;:]|\\ |\\quad|\\qquad/g, "");
  s = s.replace(/\\[dt]frac/g, "\\frac");
  s = unwrapTextMacros(s);
  // Degrees and percent signs are units, not part of the value.
  s = s.replace(/\^\s*\{?\\circ\}?|\\degree|°|\\%|%/g, "");
  s = s.replace(/\s+/g, "");
  s = s.replace(/\{,\}/g, ",");
  s = s.replace(/\\sqrt(\w)/g, "\\sqrt{$1}");
  s = rewriteFractions(s);
  // "x=5" states the answer 5; keep the value when the left side is a single variable.
  const assignment = /^[a-zA-Z]=([^=]+)$/.exec(s);
  if (assignment?.[1]) s = assignment[1];
  s = s.replace(/\.$/, "");
  s = s.replace(/^\+/, "");
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replaceAll(",", "");
  s = s.replace(/(^|[^\d.])\.(\d)/g, (_m, before: string, digit: string) => `${before}0.${digit}`);
  s = s.replace(/(\d+)\.(\d+)/g, (_m, int: string, frac: string) => {
    const trimmed = frac.replace(/0+$/, "");
    return trimmed ? `${int}.${trimmed}` : int;
  });
  s = s.replace(/(\d)\.(?!\d)/g, "$1");
  return s;
}

// \text{...}, \textbf{...}, \mathrm{...}, \mbox{...} are formatting: keep their content.
function unwrapTextMacros(s: string): string {
  const macro = /\\(text|textbf|textrm|mathrm|mathbf|mbox|operatorname)\s*\{/g;
  let out = s;
  for (let guard = 0; guard < 100; guard++) {
    macro.lastIndex = 0;
    const m = macro.exec(out);
    if (!m) break;
    const open = m.index + m[0].length - 1;
    const group = braceGroup(out, open);
    if (!group) break;
    out = out.slice(0, m.index) + group.content + out.slice(group.end);
  }
  return out;
}

// \frac{a}{b} and \frac ab become a/b, parenthesising compound parts, so a model that writes
// "3/4" and one that writes "\frac{3}{4}" vote together.
function rewriteFractions(s: string): string {
  let out = s;
  for (let guard = 0; guard < 100; guard++) {
    const at = out.lastIndexOf("\\frac"); // innermost-last: nested fractions rewrite inside out
    if (at < 0) break;
    const num = fracPart(out, at + 5);
    const den = num && fracPart(out, num.end);
    if (!num || !den) break;
    out = `${out.slice(0, at)}${ratio(num.content, den.content)}${out.slice(den.end)}`;
  }
  return out;
}

function fracPart(s: string, from: number): { content: string; end: number } | undefined {
  if (s[from] === "{") return braceGroup(s, from);
  const c = s[from];
  if (c !== undefined && /[\w.]/.test(c)) return { content: c, end: from + 1 };
  return undefined;
}

function ratio(num: string, den: string): string {
  const atom = (x: string) => !/[-+*/^=,\s]/.test(x);
  const n = /^-/.test(num) && atom(num.slice(1)) ? num : atom(num) ? num : `(${num})`;
  const d = atom(den) ? den : `(${den})`;
  return `${n}/${d}`;
}
