// A failed deploy's report as incident evidence: which cause, the gate verdicts, what failed.
import type { DeployReport } from "./report.js";
import { deployEventKind, failedFirstDeploy } from "./deploy-event.js";
import type { IncidentCause, IncidentEvidence } from "../incidents/render.js";

/**
 * The incident cause of a deploy: undefined when it opens none (success, an inconclusive gate, or
 * a failed first deploy, which took down nothing that was serving).
 */
export function incidentCause(report: DeployReport): IncidentCause | undefined {
  if (failedFirstDeploy(report)) return undefined;
  const kind = deployEventKind(report);
  return kind === "rollback" || kind === "verification-failed" ? kind : undefined;
}

export function deployEvidence(
  report: DeployReport,
  cause: IncidentCause,
  options: { service: string; runUrl?: string; deploymentsUrl?: string; at: string },
): IncidentEvidence {
  return {
    environment: report.environment,
    cause,
    service: options.service,
    version: report.version,
    ...(report.previousVersion ? { previousVersion: report.previousVersion } : {}),
    strategy: report.strategy,
    result: report.result,
    reason: report.reason,
    deploymentId: report.deploymentId,
    ...(report.rollbackDeploymentId ? { rollbackDeploymentId: report.rollbackDeploymentId } : {}),
    gate: report.timeline
      .filter((event) => event.step === "gate")
      .map((event) => ({
        ...(event.weight !== undefined ? { weight: event.weight } : {}),
        ...(event.verdict ? { verdict: event.verdict } : {}),
        score: event.score ?? null,
        detail: event.detail,
      })),
    failures: report.timeline
      .filter((event) => !event.ok && event.step !== "gate")
      .map((event) => `${event.step}${event.slot ? ` (${event.slot})` : ""}: ${event.detail}`),
    ...(options.runUrl ? { runUrl: options.runUrl } : {}),
    ...(options.deploymentsUrl ? { deploymentsUrl: options.deploymentsUrl } : {}),
    at: options.at,
  };
}
