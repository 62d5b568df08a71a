// What an incident issue says: the evidence of a failed production deploy, and the hidden markers
// that find the issue (per environment and cause) and its comments again on a re-run.
import { code, escapeCell, table } from "../shared/markdown.js";

export const INCIDENT_CAUSES = ["rollback", "verification-failed", "drill-failed"] as const;
export type IncidentCause = (typeof INCIDENT_CAUSES)[number];

export interface GateRow {
  weight?: number;
  verdict?: string;
  score?: number | null;
  detail: string;
}

export interface IncidentEvidence {
  environment: string;
  cause: IncidentCause;
  service: string;
  version: string;
  previousVersion?: string;
  strategy: string;
  result: string;
  reason: string;
  deploymentId: number;
  rollbackDeploymentId?: number;
  /** Every gate verdict of the rollout, in order. */
  gate: readonly GateRow[];
  /** What failed: health checks and hooks, one line each. */
  failures: readonly string[];
  runUrl?: string;
  deploymentsUrl?: string;
  /** ISO time it happened. */
  at: string;
}

export interface Resolution {
  environment: string;
  version: string;
  deploymentId: number;
  runUrl?: string;
  at: string;
  /** What resolved it, when not a successful deploy: "the rollback drill passed". */
  by?: string;
}

/** The causes a successful deploy resolves; a failed drill is resolved by a drill that passes. */
export const DEPLOY_CAUSES: readonly IncidentCause[] = ["rollback", "verification-failed"];

export const INCIDENT_LABEL = "incident";
export const environmentLabel = (environment: string): string => `env:${environment}`.slice(0, 50);

const attribute = (value: string): string => JSON.stringify(value).replace(/--/g, "-\\u002d");

/** The hidden line that identifies the one open incident of an environment and cause. */
export function incidentMarker(environment: string, cause: IncidentCause): string {
  return `<!-- shipgate-incident environment=${attribute(environment)} cause=${attribute(cause)} -->`;
}

/** Matches any incident marker of an environment, whatever the cause. */
export function isIncidentOf(body: string | null | undefined, environment: string): boolean {
  return (body ?? "").includes(
    `<!-- shipgate-incident environment=${attribute(environment)} cause=`,
  );
}

export const occurrenceMarker = (deploymentId: number): string =>
  `<!-- shipgate-incident-occurrence deployment=${deploymentId} -->`;
export const resolutionMarker = (deploymentId: number): string =>
  `<!-- shipgate-incident-resolved deployment=${deploymentId} -->`;

const CAUSE_TITLE: Readonly<Record<IncidentCause, string>> = {
  rollback: "deploy rolled back",
  "verification-failed": "verification failed",
  "drill-failed": "recovery drill failed",
};

export function incidentTitle(evidence: IncidentEvidence): string {
  const what =
    evidence.result === "rolled-back" && evidence.previousVersion
      ? `${evidence.version} rolled back to ${evidence.previousVersion}`
      : `${evidence.version} ${evidence.result}`;
  return `Incident on ${evidence.environment}: ${CAUSE_TITLE[evidence.cause]} (${what})`;
}

function linksOf(evidence: {
  runUrl?: string;
  deploymentsUrl?: string;
  deploymentId: number;
  rollbackDeploymentId?: number;
}): string[] {
  const rollback = evidence.rollbackDeploymentId
    ? `, rollback recorded as deployment #${evidence.rollbackDeploymentId}`
    : "";
  const page = evidence.deploymentsUrl ? ` (${evidence.deploymentsUrl})` : "";
  return [
    ...(evidence.runUrl ? [`- Workflow run: ${evidence.runUrl}`] : []),
    `- Deployment #${evidence.deploymentId}${rollback}${page}`,
  ];
}

/** The issue body: the latest occurrence's evidence (each earlier one is a comment). */
export function incidentBody(evidence: IncidentEvidence): string {
  const facts = table(
    ["", ""],
    [
      ["Service", evidence.service],
      ["Environment", evidence.environment],
      ["Version", evidence.version],
      ["Previous version", evidence.previousVersion ?? "—"],
      ["Strategy", evidence.strategy],
      ["Result", evidence.result],
      ["When", evidence.at],
    ],
  );
  const gate =
    evidence.gate.length > 0
      ? [
          "### Canary gate",
          table(
            ["Traffic", "Verdict", "Score", "Detail"],
            evidence.gate.map((row) => [
              row.weight !== undefined ? `${row.weight}%` : "",
              row.verdict ?? "",
              row.score === null || row.score === undefined ? "—" : String(row.score),
              row.detail,
            ]),
            ["right", "left", "right", "left"],
          ),
        ]
      : [];
  const failures =
    evidence.failures.length > 0
      ? ["### What failed", ...evidence.failures.map((line) => `- ${escapeCell(line)}`)]
      : [];
  return [
    incidentMarker(evidence.environment, evidence.cause),
    `## ${CAUSE_TITLE[evidence.cause]} on ${code(evidence.environment)}`,
    `**${escapeCell(evidence.reason)}**`,
    facts,
    ...gate,
    ...failures,
    "### Links",
    ...linksOf(evidence),
    evidence.cause === "drill-failed"
      ? "_Opened by a shipgate recovery drill. It is updated when a drill fails again " +
        "and closed by the next drill of this environment that passes._"
      : "_Opened by shipgate deploy. It is updated when this happens again " +
        "and closed by the next successful deploy to this environment._",
  ].join("\n\n");
}

/** The comment recording one occurrence (the first one included), keyed by its deployment. */
export function occurrenceComment(evidence: IncidentEvidence): string {
  return [
    occurrenceMarker(evidence.deploymentId),
    `${evidence.at}: ${code(evidence.version)} — ${escapeCell(evidence.reason)}`,
    ...linksOf(evidence),
  ].join("\n\n");
}

export function resolutionComment(resolution: Resolution): string {
  return [
    resolutionMarker(resolution.deploymentId),
    resolution.by
      ? `Resolved: ${resolution.by} on ${code(resolution.environment)} at ${resolution.at} ` +
        `(deployment #${resolution.deploymentId}, ${code(resolution.version)}).`
      : `Resolved: ${code(resolution.version)} was deployed successfully ` +
        `to ${code(resolution.environment)} at ${resolution.at} ` +
        `(deployment #${resolution.deploymentId}).`,
    ...(resolution.runUrl ? [`Workflow run: ${resolution.runUrl}`] : []),
  ].join("\n\n");
}
