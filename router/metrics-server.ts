// /metrics and /healthz on their own port, so scraping never competes with gRPC traffic and a
// probe can tell a live router from a draining one.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: {
  registry: Registry;
  port: number;
  host?: string;
  // False while draining: /healthz answers 503 so the Service stops sending traffic.
  healthy: () => boolean;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/metrics") {
      options.registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": options.registry.contentType }).end(body),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    } else if (path === "/healthz") {
      const ok = options.healthy();
      res
        .writeHead(ok ? 200 : 503, { "content-type": "text/plain" })
        .end(ok ? "ok\n" : "draining\n");
    } else {
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end("not found: try /metrics or /healthz\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
