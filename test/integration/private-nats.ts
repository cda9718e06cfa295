// A nats-server of the test's own (JetStream on, loopback, data in a temp dir) that the test may
// stop and start again on the same port: the shared e2e server cannot be restarted under other
// tests. Not a test file itself.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bins, requireBins } from "../../e2e/bins.ts";
import { freePortMap, HOST } from "../../e2e/cluster/ports.ts";
import { healthy } from "../../e2e/cluster/probe.ts";
import { type Started, startProcess, stopProcess, tailLog } from "../../e2e/cluster/processes.ts";
import { waitFor } from "../../e2e/cluster/wait.ts";

export interface PrivateNats {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

/** `args`: extra nats-server flags (auth, TLS). */
export async function privateNats(args: string[] = []): Promise<PrivateNats> {
  requireBins(["natsServer"]);
  const { port, monitorPort } = await freePortMap(["port", "monitorPort"] as const);
  const dir = mkdtempSync(join(tmpdir(), "mull-nats-"));
  let proc: Started | undefined;
  const start = async () => {
    const p = startProcess(
      "nats-server",
      bins.natsServer,
      [
        `--addr=${HOST}`,
        `--port=${port}`,
        `--http_port=${monitorPort}`,
        "--jetstream",
        `--store_dir=${join(dir, "data")}`,
        ...args,
      ],
      join(dir, "nats-server.log"),
    );
    proc = p;
    await waitFor("nats-server /healthz", () => healthy(`http://${HOST}:${monitorPort}/healthz`), {
      timeoutMs: 30_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${tailLog(p.log)}`);
    });
  };
  const stop = async () => {
    if (proc) await stopProcess(proc);
    proc = undefined;
  };
  await start();
  return {
    url: `nats://${HOST}:${port}`,
    start,
    stop,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
