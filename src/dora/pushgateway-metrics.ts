// The delivery report's DORA figures as Prometheus metrics (text exposition format, built with
// prom-client), for a Pushgateway: the Grafana dashboard (grafana/shipgate.json) reads them.
// A figure without data (no lead time, no restore yet) is left out rather than pushed as 0.
import type { DeliveryReport } from "./render.js";

export const DORA_PUSH_JOB = "shipgate_dora";

export async function doraMetricsText(
  report: DeliveryReport,
  generatedAtMs: number,
): Promise<string> {
  const { Gauge, Registry } = await import("prom-client");
  const registry = new Registry();
  const gauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ["environment"], registers: [registry] });
  const deployments = gauge(
    "shipgate_dora_deployments",
    "Change deployments finished in the report's window (rollback records and drills excluded).",
  );
  const perDay = gauge(
    "shipgate_dora_deployments_per_day",
    "Successful deployments per day over the report's window.",
  );
  const leadTime = gauge(
    "shipgate_dora_lead_time_hours",
    "Median hours from commit to running in the environment.",
  );
  const failureRate = gauge(
    "shipgate_dora_change_failure_rate",
    "Failed deployments over deployments in the window (0-1).",
  );
  const restore = gauge(
    "shipgate_dora_time_to_restore_hours",
    "Median hours from a failed deployment to the next successful one.",
  );
  for (const metrics of report.environments) {
    const labels = { environment: metrics.environment };
    deployments.set(labels, metrics.deployments);
    perDay.set(labels, metrics.deploymentsPerDay);
    if (metrics.leadTimeHours !== null) leadTime.set(labels, metrics.leadTimeHours);
    if (metrics.changeFailureRate !== null) failureRate.set(labels, metrics.changeFailureRate);
    if (metrics.timeToRestoreHours !== null) restore.set(labels, metrics.timeToRestoreHours);
  }
  const windowStart = Date.parse(report.window.start);
  const windowEnd = Date.parse(report.window.end);
  new Gauge({
    name: "shipgate_dora_window_seconds",
    help: "Length of the report's window.",
    registers: [registry],
  }).set((windowEnd - windowStart) / 1000);
  new Gauge({
    name: "shipgate_dora_timestamp_seconds",
    help: "When the report was made (Unix time).",
    registers: [registry],
  }).set(generatedAtMs / 1000);
  return registry.metrics();
}
