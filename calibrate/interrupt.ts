// Ctrl-C during a calibration: the first SIGINT (or SIGTERM) aborts the run's signal, so
// measure.ts stops cleanly (calls in flight cancelled, the cache's answered calls kept); a second
// one quits at once, as a user who does not want to wait expects. The cache stays consistent
// either way: every answered call was committed when it arrived.
export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

export class InterruptedError extends Error {
  constructor(signal: string) {
    super(`interrupted (${signal}); the sample cache keeps every answered call, rerun to resume`);
    this.name = "InterruptedError";
  }
}

export function interruptOnSignals(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  exit: (code: number) => void = (code) => process.exit(code),
): Interrupt {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log(`${name} again: quitting now`);
      exit(130);
      return;
    }
    log(`\n${name}: stopping after the calls in flight (again to quit now)`);
    controller.abort(new InterruptedError(name));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
