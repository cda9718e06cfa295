// A real HTTP server on loopback in front of one sim replica, for calibration's tests: it counts
// the model calls (POSTs) that reach the fleet, and can fail some of them with vLLM's 500 body,
// deterministically (unlike the sim's random --error-rate), or hang until the test lets go.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface CountingProxy {
  url: string;
  // POSTs received (failed ones included).
  calls: number;
  // POSTs answered with an injected 500.
  failed: number;
  // Fail the k-th POST from now for every k this returns true for (call index from 1).
  failWhen(rule: ((call: number) => boolean) | undefined): void;
  // Called with each POST as it arrives, before it is forwarded (e.g. to abort a run mid-way).
  onCall(hook: ((call: number) => void) | undefined): void;
  close(): Promise<void>;
}

export async function countingProxy(target: string): Promise<CountingProxy> {
  let rule: ((call: number) => boolean) | undefined;
  let hook: ((call: number) => void) | undefined;
  let since = 0;
  const state = { calls: 0, failed: 0 };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === "POST") {
      state.calls++;
      since++;
      hook?.(state.calls);
      if (rule?.(since)) {
        state.failed++;
        res.writeHead(500, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: { message: "injected", type: "InternalServerError", param: null, code: 500 },
          }),
        );
        return;
      }
    }
    try {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      const answer = await fetch(`${target}${req.url ?? "/"}`, {
        method: req.method ?? "GET",
        headers,
        ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return state.calls;
    },
    get failed() {
      return state.failed;
    },
    failWhen(next) {
      rule = next;
      since = 0;
    },
    onCall(next) {
      hook = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
