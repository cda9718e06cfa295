// Watches one file through its directory: a mounted ConfigMap or Secret is updated by swapping a
// `..data` symlink, which a watch on the file itself never sees. The burst of events one save
// produces is coalesced into one call.
import { watch } from "node:fs";
import { basename, dirname } from "node:path";

export interface FileWatch {
  close(): void;
}

export function watchFile(path: string, onChange: () => void, debounceMs = 100): FileWatch {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== name && !file.startsWith("..")) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  // The directory going away leaves the caller's last good state in force; an unhandled watcher
  // error would end the process instead.
  watcher.on("error", () => {});
  // Never keep the process alive just to watch a file.
  watcher.unref();
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
