// Writes charts/mull/dashboards/<name>.json from the builders (scripts/generate.sh runs this;
// scripts/check-generated.sh fails when the committed files differ).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dashboards } from "./all.ts";

export const outDir = join(import.meta.dirname, "../charts/mull/dashboards");

export function render(name: string): string {
  const build = dashboards[name];
  if (!build) throw new Error(`no dashboard ${name}`);
  return `${JSON.stringify(build().build(), null, 2)}\n`;
}

if (import.meta.main) {
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) rmSync(join(outDir, f));
  for (const name of Object.keys(dashboards))
    writeFileSync(join(outDir, `${name}.json`), render(name));
}
