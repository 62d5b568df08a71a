// A canary deploy's report as deploy writes it, promoted or rolled back at 10% by the gate: what
// the notifier, the Pushgateway metrics and the Grafana dashboard's tests feed on.
import type { DeployReport } from "../../src/deploy/report.js";

export function canaryReport(
  result: DeployReport["result"],
  version: string,
  options: { environment?: string; score?: { promoted: number; rolledBack: number } } = {},
): DeployReport {
  const promoted = result === "deployed";
  const score = options.score ?? { promoted: 100, rolledBack: 0 };
  return {
    environment: options.environment ?? "production",
    version,
    previousVersion: "1.1.0",
    strategy: "canary",
    deploymentId: 7,
    result,
    reason: promoted
      ? `${version} is live on ${options.environment ?? "production"}`
      : "the canary gate said roll back at 10%: error-rate broke its threshold",
    cancelled: false,
    timeline: [
      {
        at: new Date().toISOString(),
        elapsedMs: 9000,
        step: "gate",
        ok: promoted,
        weight: 10,
        verdict: promoted ? "promote" : "rollback",
        score: promoted ? score.promoted : score.rolledBack,
        detail: "error-rate",
      },
    ],
    figures: { gateMs: 9000, ...(result === "rolled-back" ? { secondsToRestore: 10.5 } : {}) },
  };
}
