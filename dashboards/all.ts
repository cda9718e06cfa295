// Every dashboard the chart ships, by file name (charts/mull/dashboards/<name>.json).
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { efficiencyDashboard } from "./efficiency.ts";
import { fleetDashboard } from "./fleet.ts";
import { operatorDashboard } from "./operator.ts";
import { routerDashboard } from "./router.ts";

export const dashboards: Record<string, () => DashboardBuilder> = {
  router: routerDashboard,
  fleet: fleetDashboard,
  operator: operatorDashboard,
  efficiency: efficiencyDashboard,
};
