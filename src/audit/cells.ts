// One audited deployment as short texts, shared by the job summary, the CSV and the dashboard.
import type { AuditedDeployment } from "./evidence.js";

export const shortSha = (sha: string): string => sha.slice(0, 7);

export function pullRequestsText(deployment: AuditedDeployment): string {
  if (deployment.pullRequests.length === 0) return "none";
  return deployment.pullRequests.map((pull) => `#${pull.number} by ${pull.author}`).join("; ");
}

/** Per pull request: who approved it independently, or why nobody did. */
export function reviewsText(deployment: AuditedDeployment): string {
  return deployment.reviewVerdicts
    .map((verdict) => {
      const parts = [
        ...verdict.independent.map((reviewer) => `${reviewer} approved`),
        ...verdict.selfApprovals.map((reviewer) => `${reviewer} (author) approved`),
        ...verdict.stale.map(
          (stale) => `${stale.reviewer} approved older ${shortSha(stale.commitId)}`,
        ),
      ];
      return `#${verdict.number}: ${parts.join(", ") || "no approval"}`;
    })
    .join("; ");
}

export function triggeredText(deployment: AuditedDeployment): string {
  const run = deployment.run;
  if (!run) return deployment.creator ? `${deployment.creator} (deployment creator)` : "unknown";
  const who = run.triggeredBy ?? run.actor ?? "unknown";
  return `${who} (run ${run.id}${run.event ? `, ${run.event}` : ""})`;
}

export function approvalText(deployment: AuditedDeployment): string {
  if (deployment.approvals.length === 0) return "none recorded";
  return deployment.approvals
    .map(
      (approval) =>
        `${approval.reviewer} ${approval.state}${approval.comment ? `: "${approval.comment}"` : ""}`,
    )
    .join("; ");
}

export function checksText(deployment: AuditedDeployment): string {
  if (deployment.checks.length === 0) return "none";
  return deployment.checks.map((check) => `${check.name}: ${check.result}`).join("; ");
}

export function resultText(deployment: AuditedDeployment): string {
  const canary =
    deployment.canary.verdict === "not a canary" ? "" : `canary ${deployment.canary.verdict}; `;
  const description = deployment.resultDescription ? ` (${deployment.resultDescription})` : "";
  return `${canary}${deployment.outcome}${description}`;
}

export function rollbackText(deployment: AuditedDeployment): string {
  if (!deployment.rollback) return "";
  const to = deployment.rollback.version ? ` to ${deployment.rollback.version}` : "";
  const incident = deployment.incident
    ? `, incident #${deployment.incident.number} (${deployment.incident.state})`
    : ", no incident";
  return `rolled back${to} (#${deployment.rollback.id})${incident}`;
}
