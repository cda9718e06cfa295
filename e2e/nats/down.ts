// npm run nats:down — stop the nats-server nats:up started, by pid, and delete its data.
import { natsDown } from "./nats.ts";

try {
  const wasUp = await natsDown();
  console.error(wasUp ? "nats-server stopped; nothing left running" : "no nats-server was running");
} catch (err) {
  console.error(`nats:down failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
