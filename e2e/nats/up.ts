// npm run nats:up — start a loopback nats-server with JetStream, or reuse the running one.
import { natsUp } from "./nats.ts";

try {
  const { state, started } = await natsUp();
  console.error(
    started ? `nats-server up at ${state.url}` : `nats-server already running at ${state.url}`,
  );
  console.log(`export MULL_E2E_NATS_URL=${state.url}`);
} catch (err) {
  console.error(`nats:up failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
