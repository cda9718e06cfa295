// Loopback ports for the harness. Every component gets a port the kernel reports free, so two
// checkouts (or a developer's own cluster) never collide on fixed well-known ports.
import { createConnection, createServer } from "node:net";

export const HOST = "127.0.0.1";

/** A port that was free a moment ago (the kernel picks it; we release it right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/** Distinct free ports: asking one at a time could return the same port twice. */
export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

/** Whether something accepts TCP connections on HOST:port. */
export function isListening(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: HOST, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/** One distinct free port per name. */
export async function freePortMap<K extends string>(
  names: readonly K[],
): Promise<Record<K, number>> {
  const ports = await freePorts(names.length);
  return Object.fromEntries(names.map((n, i) => [n, ports[i]])) as Record<K, number>;
}
