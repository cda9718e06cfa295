// Policies from a YAML file (a RouterConfig), reloaded when the file changes. A bad edit is
// reported and ignored: the router keeps serving the last good config rather than dropping
// every policy because of one typo.
//
// The file is watched through its directory (router/watch-file.ts).
import { readFile } from "node:fs/promises";
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { type FileWatch, watchFile } from "../watch-file.ts";
import { byName, SwappedPolicySource } from "./policy-source.ts";
import { parseRouterConfig } from "./router-config.ts";

export interface YamlFileSourceOptions {
  // Called after each reload attempt; `error` is set when the file was rejected.
  onReload?: (result: { ok: boolean; error?: Error }) => void;
  // Coalesce the burst of events one save produces.
  debounceMs?: number;
  watch?: boolean;
}

export class YamlFilePolicySource extends SwappedPolicySource {
  readonly path: string;
  private lastText = "";
  private readonly options: YamlFileSourceOptions;
  private watcher: FileWatch | undefined;
  private reloading: Promise<void> = Promise.resolve();

  private constructor(path: string, options: YamlFileSourceOptions) {
    super();
    this.path = path;
    this.options = options;
  }

  // Loads the file (a bad file at startup is an error: there is no last good config yet) and
  // starts watching it.
  static async open(path: string, options: YamlFileSourceOptions = {}) {
    const source = new YamlFilePolicySource(path, options);
    const text = await readFile(path, "utf8");
    source.replace(byName(parseRouterConfig(text, path)));
    source.lastText = text;
    if (options.watch ?? true)
      source.watcher = watchFile(path, () => void source.reload(), options.debounceMs);
    return source;
  }

  // Re-reads the file now; resolves once applied or rejected. Reloads run one at a time.
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.reloadNow());
    return this.reloading;
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    this.unsubscribeAll();
    await this.reloading;
  }

  private async reloadNow(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      this.options.onReload?.({ ok: false, error: error as Error });
      return;
    }
    if (text === this.lastText) return;
    let policies: ReadonlyMap<string, PolicySnapshot>;
    try {
      policies = byName(parseRouterConfig(text, this.path));
    } catch (error) {
      this.options.onReload?.({ ok: false, error: error as Error });
      return;
    }
    this.lastText = text;
    this.replace(policies);
    this.options.onReload?.({ ok: true });
  }
}
