// npm run cluster:down — stop every process cluster:up started (by pid) and delete its data.
import { clusterDown } from "./cluster.ts";

try {
  const wasUp = await clusterDown();
  console.error(wasUp ? "cluster stopped; nothing left running" : "no cluster was running");
} catch (err) {
  console.error(`cluster:down failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
