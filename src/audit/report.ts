// The change-evidence report of one environment over a window: every change deployment judged,
// the recovery drills beside them (listed, never judged), and the counts an auditor reads first.
import type { DrillRecord } from "../dora/drills.js";
import {
  auditDeployment,
  VIOLATIONS,
  type AuditedDeployment,
  type DeploymentFacts,
  type RequiredChecks,
  type ViolationKind,
} from "./evidence.js";

export interface AuditReport {
  repository: string;
  environment: string;
  window: { text: string; start: string; end: string };
  requiredChecks: RequiredChecks;
  /** Oldest first. */
  deployments: AuditedDeployment[];
  /** Every environment's recovery drills in the window: listed, never judged. */
  drills: DrillRecord[];
  totals: {
    deployments: number;
    clean: number;
    withViolations: number;
    /** Deployments showing each kind of violation. */
    byKind: Record<ViolationKind, number>;
  };
}

export function buildAuditReport(options: {
  repository: string;
  environment: string;
  window: AuditReport["window"];
  requiredChecks: RequiredChecks;
  facts: readonly DeploymentFacts[];
  drills: readonly DrillRecord[];
}): AuditReport {
  const deployments = options.facts
    .map((facts) => auditDeployment(facts, options.requiredChecks))
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
  const flagged = deployments.filter((deployment) => deployment.violations.length > 0);
  const byKind = Object.fromEntries(
    VIOLATIONS.map((kind) => [
      kind,
      deployments.filter((deployment) =>
        deployment.violations.some((violation) => violation.kind === kind),
      ).length,
    ]),
  ) as Record<ViolationKind, number>;
  return {
    repository: options.repository,
    environment: options.environment,
    window: options.window,
    requiredChecks: options.requiredChecks,
    deployments,
    drills: [...options.drills],
    totals: {
      deployments: deployments.length,
      clean: deployments.length - flagged.length,
      withViolations: flagged.length,
      byKind,
    },
  };
}

/** What each kind of violation is called in the summary, the CSV and the dashboard. */
export const VIOLATION_TITLES: Readonly<Record<ViolationKind, string>> = {
  "no-pull-request": "No pull request",
  "no-independent-approval": "Merged without an independent approval",
  "self-approved-deployment": "Self-approved deployment",
  "required-checks": "Failed or missing required checks",
  "deployed-in-freeze": "Deployed during a freeze",
  "rollback-without-incident": "Rolled back without an incident",
};
