// Publishes this router's DemandReports: one per served policy every interval, and one at once
// when a request starts waiting for a bin scaled to zero. While NATS is away the client buffers
// what is published and sends it on reconnect, so reports are late, not lost.
import { randomUUID } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/transport-node";
import { demandSubject, qualifiedName } from "../../proto/bus/naming.ts";
import { type DemandReport, DemandReportSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import type { PolicySource } from "../policy/policy-source.ts";
import { DemandCounters, type PolicyId } from "./demand-counters.ts";

export const DEFAULT_REPORT_INTERVAL_MS = 5_000;

export interface DemandReporterOptions {
  nc: NatsConnection;
  policies: PolicySource;
  intervalMs?: number;
  routerId?: string;
  onPublished?: (report: DemandReport, error?: Error) => void;
}

export class DemandReporter {
  readonly counters: DemandCounters;
  private readonly o: DemandReporterOptions;
  private readonly timer: NodeJS.Timeout;
  private readonly lastUrgent = new Map<string, number>();

  constructor(options: DemandReporterOptions) {
    this.o = options;
    this.counters = new DemandCounters(options.routerId ?? randomUUID());
    // Start every served policy's window now, so its first report covers the whole interval.
    for (const p of this.served()) this.counters.touch(p);
    this.timer = setInterval(
      () => this.reportAll(),
      options.intervalMs ?? DEFAULT_REPORT_INTERVAL_MS,
    );
    this.timer.unref();
  }

  /**
   * Reports one policy now, out of turn (a request waits for a replica); at most one such report
   * per policy per second, however many requests wait.
   */
  urgent(p: PolicyId, nowMs = Date.now()): void {
    const key = qualifiedName(p.namespace, p.name);
    if (nowMs - (this.lastUrgent.get(key) ?? -Infinity) < 1_000) return;
    this.lastUrgent.set(key, nowMs);
    this.publish(this.counters.drain(p, true));
  }

  reportAll(): void {
    const served = this.served();
    this.counters.forget(new Set(served.map((p) => qualifiedName(p.namespace, p.name))));
    for (const p of served) this.publish(this.counters.drain(p));
  }

  /** Stops the timer and sends what was counted since the last report. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.o.nc.isClosed()) return;
    this.reportAll();
    await this.o.nc.flush().catch(() => {});
  }

  private served(): PolicyId[] {
    return this.o.policies.list().map((p) => ({ namespace: p.namespace, name: p.name }));
  }

  private publish(report: DemandReport): void {
    try {
      this.o.nc.publish(
        demandSubject(report.namespace, report.policy),
        toBinary(DemandReportSchema, report),
      );
      this.o.onPublished?.(report);
    } catch (error) {
      this.o.onPublished?.(report, error as Error);
    }
  }
}
