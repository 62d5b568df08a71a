// Each deploy's figures as Prometheus metrics (text exposition format, built with prom-client),
// pushed to the environment's Pushgateway. The naming scheme is documented in actions/deploy/README.md.
import { pushDelivery, pushUrl } from "../notify/pushgateway.js";
import type { Delivery } from "../notify/plan.js";
import { lastCanaryScore } from "./deploy-event.js";
import type { DeployReport } from "./report.js";

export const PUSH_JOB = "shipgate_deploy";
const RESULTS = ["deployed", "rolled-back", "failed"] as const;

export interface DeployFigures {
  environment: string;
  service: string;
  report: DeployReport;
  /** The whole deploy, from the first record to the last. */
  durationSeconds: number;
  /** When it finished, in milliseconds since the epoch. */
  finishedAtMs: number;
}

/** The metrics of one deploy, in the text exposition format. */
export async function deployMetricsText(figures: DeployFigures): Promise<string> {
  // Loaded only when a Pushgateway is configured: most deploys never need it.
  const { Gauge, Registry } = await import("prom-client");
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: readonly string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const { report } = figures;

  gauge(
    "shipgate_deploy_duration_seconds",
    "Wall time of the last deploy, from its first record to its result.",
  ).set(figures.durationSeconds);
  const result = gauge(
    "shipgate_deploy_result",
    "1 for the last deploy's result (deployed, rolled-back, failed), 0 for the others.",
    ["result"],
  );
  for (const name of RESULTS) result.set({ result: name }, report.result === name ? 1 : 0);
  gauge("shipgate_deploy_rollbacks", "Rollbacks the last deploy made (0 or 1).").set(
    report.result === "rolled-back" ? 1 : 0,
  );
  gauge("shipgate_deploy_gate_seconds", "Time the last deploy spent in the canary gate.").set(
    report.figures.gateMs / 1000,
  );
  const score = lastCanaryScore(report);
  if (score !== undefined)
    gauge(
      "shipgate_deploy_canary_score",
      "The canary gate's last score (0-100) in the last deploy.",
    ).set(score);
  if (report.figures.secondsToRestore !== undefined) {
    gauge(
      "shipgate_deploy_time_to_restore_seconds",
      "From the new version taking traffic to stable fully restored, in the last deploy.",
    ).set(report.figures.secondsToRestore);
  }
  gauge(
    "shipgate_deploy_timestamp_seconds",
    "When the last deploy finished (Unix time); changes() of it counts deploys.",
  ).set(figures.finishedAtMs / 1000);
  gauge(
    "shipgate_deploy_info",
    "The last deploy's version, previous version and strategy, as labels.",
    ["version", "previous_version", "strategy"],
  ).set(
    {
      version: report.version,
      previous_version: report.previousVersion ?? "",
      strategy: report.strategy,
    },
    1,
  );
  return registry.metrics();
}

/** The deploy's group: job shipgate_deploy, environment, service. */
export function deployPushUrl(base: string, environment: string, service: string): string {
  return pushUrl(base, PUSH_JOB, [
    ["environment", environment],
    ["service", service],
  ]);
}

/** The PUT of one deploy's metrics, replacing the group's previous ones. */
export async function deployMetricsDelivery(
  base: string,
  figures: DeployFigures,
): Promise<Delivery> {
  const url = deployPushUrl(base, figures.environment, figures.service);
  return pushDelivery(url, "deploy metrics", await deployMetricsText(figures));
}
