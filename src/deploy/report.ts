// The deploy report: the JSON timeline output and the job summary that shows each step's weight,
// health and gate verdict, and where the rollout stopped and why.
import { code, escapeCell, raw, table, type Raw } from "../shared/markdown.js";
import type { RolloutOutcome } from "./rollout.js";

export interface DeployReport {
  environment: string;
  version: string;
  previousVersion?: string;
  strategy: string;
  deploymentId: number;
  rollbackDeploymentId?: number;
  result: RolloutOutcome["result"];
  reason: string;
  cancelled: boolean;
  environmentUrl?: string;
  /** A fleet's instances, in the rollout's order. */
  instances?: string[];
  /** Why the canary gate did not run (a first deployment, skip-analysis). */
  analysisSkipped?: string;
  timeline: RolloutOutcome["timeline"];
  figures: {
    badTrafficAtMs?: number;
    restoredAtMs?: number;
    secondsToRestore?: number;
    gateMs: number;
  };
}

const TITLE = {
  deployed: "✅ deployed",
  "rolled-back": "↩️ rolled back",
  failed: "❌ failed",
  held: "⏸️ held for approval",
} as const;

/** How the summary's first sentence names the result. */
const OUTCOME = {
  deployed: "Deployed",
  "rolled-back": "Rolled back",
  failed: "Failed",
  held: "Held",
} as const;

export function buildReport(
  base: Omit<DeployReport, "figures" | "timeline" | "result" | "reason" | "cancelled">,
  outcome: RolloutOutcome,
): DeployReport {
  const secondsToRestore =
    outcome.badTrafficAtMs !== undefined && outcome.restoredAtMs !== undefined
      ? (outcome.restoredAtMs - outcome.badTrafficAtMs) / 1000
      : undefined;
  return {
    ...base,
    result: outcome.result,
    reason: outcome.reason,
    cancelled: outcome.cancelled,
    timeline: outcome.timeline,
    figures: {
      ...(outcome.badTrafficAtMs !== undefined ? { badTrafficAtMs: outcome.badTrafficAtMs } : {}),
      ...(outcome.restoredAtMs !== undefined ? { restoredAtMs: outcome.restoredAtMs } : {}),
      ...(secondsToRestore !== undefined ? { secondsToRestore } : {}),
      gateMs: outcome.gateMs,
    },
  };
}

type TimelineEvent = DeployReport["timeline"][number];

function gateCell(event: TimelineEvent): string {
  if (!event.verdict) return "";
  const score = event.score !== undefined && event.score !== null ? ` (${event.score})` : "";
  return `${event.verdict}${score}`;
}

/**
 * A detail as literal text in one table cell: it may hold a hook's output, whose backticks,
 * asterisks and brackets are not markdown, and whose lines become line breaks in the cell.
 */
function detailCell(detail: string): Raw {
  return raw(escapeCell(detail.replace(/[\\`*_~[\]]/g, "\\$&")));
}

export function renderDeploySummary(report: DeployReport): string {
  const heading =
    `### deploy: ${code(report.version)} to ${code(report.environment)} ` +
    `(${report.strategy}) — ${TITLE[report.result]}`;
  const previous = report.previousVersion
    ? ` Previous version: ${code(report.previousVersion)}.`
    : "";
  const sentence = `**${OUTCOME[report.result]}: ${report.reason}.**${previous}`;
  const rows = report.timeline.map((event) => [
    `+${(event.elapsedMs / 1000).toFixed(1)}s`,
    `${event.ok ? "✓" : "✗"} ${event.step}`,
    event.instances?.join(", ") ?? event.slot ?? "",
    event.weights
      ? Object.entries(event.weights)
          .map(([name, weight]) => `${name} ${weight}%`)
          .join(", ")
      : event.weight !== undefined
        ? `${event.weight}%`
        : "",
    gateCell(event),
    detailCell(event.detail),
  ]);
  const where = report.instances ? "Instances" : "Slot";
  const timeline = table(["Time", "Step", where, "Traffic", "Gate", "Detail"], rows, [
    "right",
    "left",
    "left",
    "right",
    "left",
    "left",
  ]);
  const rollback = report.rollbackDeploymentId
    ? `; rollback recorded as deployment #${report.rollbackDeploymentId}`
    : "";
  const records = `Deployment #${report.deploymentId}${rollback}.`;
  const skipped = report.analysisSkipped
    ? `Promoted without analysis: ${report.analysisSkipped}.`
    : "";
  const held =
    report.result === "held"
      ? "The rollout waits here: a run of deploy with `resume: promote` carries it on, " +
        "`resume: abort` rolls it back."
      : "";
  const parts = [heading, sentence, skipped, held, timeline, records, restoreFigures(report)];
  return `${parts.filter(Boolean).join("\n\n")}\n`;
}

function restoreFigures(report: DeployReport): string {
  const { secondsToRestore, gateMs } = report.figures;
  if (secondsToRestore === undefined) return "";
  return (
    `New version on traffic to stable fully restored: ${secondsToRestore.toFixed(1)}s ` +
    `(gate ${(gateMs / 1000).toFixed(1)}s of it).`
  );
}
