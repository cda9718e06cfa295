// The operator's side of the demand reports: subscribes to every router's DemandReports, keeps
// one sliding window per policy (controller/planner/demand.ts does the merging) and tells the
// manager when a policy's demand moved enough to plan again. Every operator replica listens, not
// only the leader, so that a new leader starts with the window already full.
import { fromBinary } from "@bufbuild/protobuf";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  addReport,
  type BinDemand,
  type DemandWindow,
  type DemandWindowOptions,
  demandFor,
  emptyWindow,
  expire,
  materiallyChanged,
  reportingRouters,
} from "../../controller/planner/demand.ts";
import { allDemandSubjects, qualifiedName } from "../../proto/bus/naming.ts";
import { DemandReportSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { errorMessage, type Logger } from "../log.ts";
import type { OperatorMetrics } from "../metrics.ts";
import type { DemandSource } from "../planner.ts";

export interface DemandSubscriberOptions {
  nc: NatsConnection;
  log: Logger;
  metrics: OperatorMetrics;
  window?: Partial<DemandWindowOptions>;
  /** A policy's demand changed materially (or a router came or went). */
  onChange?: (namespace: string, name: string) => void;
  /** How often windows are aged, so a router that went silent is noticed. */
  sweepMs?: number;
  now?: () => number;
}

export class DemandSubscriber implements DemandSource {
  private readonly o: DemandSubscriberOptions;
  private readonly windows = new Map<string, DemandWindow>();
  /** What onChange last announced per policy, to tell a material change from noise. */
  private readonly announced = new Map<string, { demand: BinDemand[]; routers: string[] }>();
  private readonly sub: Subscription;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: DemandSubscriberOptions) {
    this.o = options;
    this.sub = options.nc.subscribe(allDemandSubjects, {
      callback: (err, msg) => {
        if (err) {
          this.o.log.warn("fleet bus: demand subscription", { error: errorMessage(err) });
          return;
        }
        this.receive(msg.data);
      },
    });
    this.sweeper = setInterval(() => this.sweep(), options.sweepMs ?? 1_000);
    this.sweeper.unref();
  }

  demandFor(namespace: string, name: string): BinDemand[] | undefined {
    const window = this.windows.get(qualifiedName(namespace, name));
    if (!window) return undefined;
    return demandFor(window, this.now());
  }

  /** Router ids that count for a policy now. */
  routersFor(namespace: string, name: string): string[] {
    const window = this.windows.get(qualifiedName(namespace, name));
    return window ? reportingRouters(window, this.now()) : [];
  }

  /** Takes one encoded report (what the subscription hands over); bad bytes are counted and dropped. */
  receive(data: Uint8Array): void {
    let report: ReturnType<typeof fromBinary<typeof DemandReportSchema>>;
    try {
      report = fromBinary(DemandReportSchema, data);
    } catch (err) {
      this.o.metrics.demandReports.inc({ result: "rejected" });
      this.o.log.warn("fleet bus: bad DemandReport dropped", { error: errorMessage(err) });
      return;
    }
    if (report.namespace === "" || report.policy === "" || report.routerId === "") {
      this.o.metrics.demandReports.inc({ result: "rejected" });
      this.o.log.warn("fleet bus: DemandReport without router, namespace or policy dropped");
      return;
    }
    if (!(report.windowSeconds >= 0) || !Number.isFinite(report.windowSeconds)) {
      this.o.metrics.demandReports.inc({ result: "rejected" });
      return;
    }
    this.o.metrics.demandReports.inc({ result: "accepted" });
    const key = qualifiedName(report.namespace, report.policy);
    const window = this.windows.get(key) ?? emptyWindow(this.o.window);
    this.windows.set(key, addReport(window, report, this.now()));
    this.maybeAnnounce(key, report.namespace, report.policy, report.urgent);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sub.unsubscribe();
  }

  /** Ages every window now (the timer calls this), announcing routers that went silent. */
  sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) {
      const aged = expire(window, now);
      if (aged.routers.size === 0) {
        this.windows.delete(key);
      } else {
        this.windows.set(key, aged);
      }
      const [namespace = "", ...rest] = key.split("/");
      this.maybeAnnounce(key, namespace, rest.join("/"), false);
    }
  }

  private maybeAnnounce(key: string, namespace: string, name: string, urgent: boolean): void {
    const demand = this.demandFor(namespace, name) ?? [];
    const routers = this.routersFor(namespace, name);
    const before = this.announced.get(key);
    const changed =
      urgent ||
      before === undefined ||
      before.routers.join() !== routers.join() ||
      materiallyChanged(before.demand, demand);
    if (!changed) return;
    if (demand.length === 0 && routers.length === 0) this.announced.delete(key);
    else this.announced.set(key, { demand, routers });
    this.o.onChange?.(namespace, name);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }
}
