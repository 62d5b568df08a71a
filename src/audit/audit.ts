// The audit of one environment over a window: the deployment history and DORA figures (with the
// drills of every environment) from the delivery report, then each change deployment's evidence
// read and judged.
import { buildDeliveryReport } from "../dora/report.js";
import type { DeliveryReport } from "../dora/render.js";
import type { GitHubClient, Repository } from "../runtime/github.js";
import { EvidenceReader } from "./github.js";
import { buildAuditReport, type AuditReport } from "./report.js";

export interface AuditRequest {
  repository: Repository;
  environment: string;
  window: { text: string; lengthMs: number };
  /** Required check names given by the user; empty: the default branch's protection. */
  requiredChecks: readonly string[];
  endMs: number;
}

export async function buildAudit(
  client: GitHubClient,
  request: AuditRequest,
): Promise<{ audit: AuditReport; delivery: DeliveryReport; deploymentsRead: number }> {
  // Every environment's history: drills run on other environments than the audited one.
  const { report, history, deploymentsRead } = await buildDeliveryReport(client, {
    repository: request.repository,
    window: request.window,
    endMs: request.endMs,
  });
  const delivery: DeliveryReport = {
    ...report,
    environments: report.environments.filter(
      (metrics) => metrics.environment === request.environment,
    ),
  };
  const reader = new EvidenceReader(client, request.repository);
  const window = { startMs: request.endMs - request.window.lengthMs, endMs: request.endMs };
  const [requiredChecks, facts] = await Promise.all([
    reader.requiredChecks(request.requiredChecks),
    reader.deploymentFacts(history, request.environment, window),
  ]);
  const audit = buildAuditReport({
    repository: delivery.repository,
    environment: request.environment,
    window: delivery.window,
    requiredChecks,
    facts,
    drills: delivery.drills ?? [],
  });
  return { audit, delivery, deploymentsRead };
}
