// The evidence files: one CSV row per deployment (and per drill, marked as such) for a
// spreadsheet, and the whole report as JSON.
import { stringify } from "csv-stringify/sync";
import {
  approvalText,
  checksText,
  pullRequestsText,
  reviewsText,
  rollbackText,
  triggeredText,
} from "./cells.js";
import type { AuditReport } from "./report.js";

export const CSV_COLUMNS = [
  "record",
  "id",
  "created_at",
  "environment",
  "version",
  "commit",
  "commits_brought",
  "strategy",
  "outcome",
  "result",
  "canary",
  "pull_requests",
  "reviews",
  "triggered_by",
  "run_url",
  "environment_approval",
  "checks",
  "freeze_override",
  "rollback",
  "incident",
  "violations",
  "violation_details",
] as const;

type Row = Record<(typeof CSV_COLUMNS)[number], string | number>;

export function renderAuditCsv(report: AuditReport): string {
  const deployments = report.deployments.map((deployment): Row => ({
    record: "deployment",
    id: deployment.id,
    created_at: deployment.createdAt,
    environment: deployment.environment,
    version: deployment.version ?? "",
    commit: deployment.sha,
    commits_brought:
      deployment.commitsTotal > deployment.commits.length
        ? `${deployment.commitsTotal} (the first ${deployment.commits.length - 1} and the head traced)`
        : deployment.commitsTotal,
    strategy: deployment.strategy ?? "",
    outcome: deployment.outcome,
    result: deployment.resultDescription ?? "",
    canary: deployment.canary.verdict,
    pull_requests: pullRequestsText(deployment),
    reviews: reviewsText(deployment),
    triggered_by: triggeredText(deployment),
    run_url: deployment.run?.url ?? "",
    environment_approval: approvalText(deployment),
    checks: checksText(deployment),
    freeze_override: deployment.freezeOverride
      ? `${deployment.freezeOverride.window}: ${deployment.freezeOverride.reason}`
      : "",
    rollback: rollbackText(deployment),
    incident: deployment.incident?.url ?? "",
    violations: deployment.violations.map((violation) => violation.kind).join(" "),
    violation_details: deployment.violations.map((violation) => violation.message).join("; "),
  }));
  const drills = report.drills.map((drill): Row => ({
    record: "drill",
    id: drill.id,
    created_at: drill.createdAt,
    environment: drill.environment,
    version: drill.version ?? "",
    commit: "",
    commits_brought: "",
    strategy: drill.kind,
    outcome: drill.passed ? "passed" : "failed",
    result:
      `recovery ${drill.recoverySeconds ?? "none"} s of RTO ${drill.rtoSeconds} s` +
      (drill.backupAgeSeconds !== undefined
        ? `; backup age ${drill.backupAgeSeconds} s of RPO ${drill.rpoSeconds ?? "none"} s`
        : ""),
    canary: "",
    pull_requests: "",
    reviews: "",
    triggered_by: "",
    run_url: "",
    environment_approval: "",
    checks: "",
    freeze_override: "",
    rollback: "",
    incident: "",
    violations: "",
    violation_details: "",
  }));
  // A cell that starts with = + - @ would run as a formula in a spreadsheet: it is quoted away.
  return stringify([...deployments, ...drills], {
    header: true,
    columns: [...CSV_COLUMNS],
    escape_formulas: true,
  });
}

export const renderAuditJson = (report: AuditReport): string =>
  `${JSON.stringify(report, null, 2)}\n`;
