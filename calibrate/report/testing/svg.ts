// Test helper: an SVG parsed as XML (any warning fails), and what Vega's SVG renderer puts in it:
// `<g class="mark-<type> role-<role> <name>_marks">` groups whose children are the marks.
import { DOMParser, type Element, onWarningStopParsing } from "@xmldom/xmldom";

export interface Svg {
  /** The items of the mark group named `name` (one per point, line or rule). */
  marks: (name: string) => Element[];
  /** The items of every mark group of a role (legend-symbol, axis-tick, …). */
  items: (role: string) => Element[];
  /** The text of every `<text>` under groups of the given role (axis-title, legend-label, …). */
  texts: (role: string) => string[];
}

export function parseSvg(text: string): Svg {
  const doc = new DOMParser({ onError: onWarningStopParsing }).parseFromString(
    text,
    "image/svg+xml",
  );
  const root = doc.documentElement;
  if (root?.tagName !== "svg") throw new Error("not an <svg> document");
  const groups = Array.from(root.getElementsByTagName("g"));
  const classes = (e: Element) => (e.getAttribute("class") ?? "").split(/\s+/);
  const children = (e: Element) =>
    Array.from(e.childNodes).filter((n): n is Element => n.nodeType === n.ELEMENT_NODE);
  return {
    marks: (name) => groups.filter((g) => classes(g).includes(`${name}_marks`)).flatMap(children),
    items: (role) => groups.filter((g) => classes(g).includes(`role-${role}`)).flatMap(children),
    texts: (role) =>
      groups
        .filter((g) => classes(g).includes(`role-${role}`))
        .flatMap((g) => Array.from(g.getElementsByTagName("text")))
        .map((t) => t.textContent ?? ""),
  };
}
