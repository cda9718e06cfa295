// API keys for the HTTP front door, from a file with one key per line (blank lines and lines
// starting with # are skipped): a Kubernetes Secret mounted as a file works as it is. The file is
// watched through its directory (a Secret update swaps a `..data` symlink) and reloaded; a file
// that cannot be read or holds no key keeps the last good set.
//
// Keys are kept only as SHA-256 digests and a request's key is looked up by its digest, so
// neither memory dumps nor response timing reveal a key.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type FileWatch, watchFile } from "../watch-file.ts";

export interface ApiKeysOptions {
  onReload?: (result: { ok: boolean; error?: Error }) => void;
  watch?: boolean;
  debounceMs?: number;
}

export class ApiKeys {
  readonly path: string;
  private digests: ReadonlySet<string> = new Set();
  private watcher: FileWatch | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private readonly options: ApiKeysOptions;

  private constructor(path: string, options: ApiKeysOptions) {
    this.path = path;
    this.options = options;
  }

  // A file that is missing or holds no key is an error at startup: auth turned on with no way in
  // is a mistake, not a configuration.
  static async open(path: string, options: ApiKeysOptions = {}): Promise<ApiKeys> {
    const keys = new ApiKeys(path, options);
    keys.digests = parseKeys(await readFile(path, "utf8"), path);
    if (options.watch ?? true)
      keys.watcher = watchFile(path, () => void keys.reload(), options.debounceMs);
    return keys;
  }

  get size(): number {
    return this.digests.size;
  }

  // Is the `Authorization: Bearer <key>` header one of the keys?
  accepts(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    return match?.[1] !== undefined && this.digests.has(digest(match[1]));
  }

  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      try {
        this.digests = parseKeys(await readFile(this.path, "utf8"), this.path);
        this.options.onReload?.({ ok: true });
      } catch (error) {
        this.options.onReload?.({ ok: false, error: error as Error });
      }
    });
    return this.reloading;
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    await this.reloading;
  }
}

function parseKeys(text: string, path: string): ReadonlySet<string> {
  const keys = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (keys.length === 0) throw new Error(`${path}: no API key in the file`);
  return new Set(keys.map(digest));
}

function digest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}
