// What a finished deploy tells the notifier: one event per run, built from the deploy report.
import type { DeployReport } from "./report.js";
import type { NotifyEventKind, Severity } from "../schema/notify.js";
import { runLink } from "../notify/announce.js";
import type { NotifyEvent, NotifyLink } from "../notify/events.js";

export interface DeployLinks {
  /** The workflow run (its attempt). */
  runUrl?: string;
  /** The environment's deployments page on GitHub. */
  deploymentsUrl?: string;
  environmentUrl?: string;
}

/**
 * The event a deploy raises: `deploy-succeeded` when it went live; `verification-failed` when
 * a health check failed; `gate-inconclusive` when the gate could not decide; else `rollback`
 * (rolled back, or failed while rolling out).
 */
export function deployEventKind(report: DeployReport): NotifyEventKind {
  if (report.result === "deployed") return "deploy-succeeded";
  if (report.timeline.some((event) => event.step === "health" && !event.ok))
    return "verification-failed";
  const lastGate = [...report.timeline].reverse().find((event) => event.step === "gate");
  if (lastGate?.verdict === "inconclusive") return "gate-inconclusive";
  return "rollback";
}

/** The last canary score the gate gave, if any. */
export function lastCanaryScore(report: DeployReport): number | undefined {
  const scores = report.timeline
    .filter((event) => event.step === "gate" && typeof event.score === "number")
    .map((event) => event.score as number);
  return scores.at(-1);
}

/**
 * Whether the deploy failed with no version to return to: nothing was live before it (a first
 * deploy), so nothing was rolled back and no service was lost.
 */
export function failedFirstDeploy(report: DeployReport): boolean {
  return report.result !== "deployed" && report.previousVersion === undefined;
}

/** How a failure's title ends when the rollout was rolled back. */
const rolledBackTo = (r: DeployReport): string =>
  r.result === "rolled-back" ? `; rolled back to ${r.previousVersion}` : "";

/** How a failed first deploy's title ends: there was nothing to roll back to. */
const NOTHING_RESTORED = "; nothing was live before, nothing restored";

const TITLES: Readonly<Record<NotifyEventKind, (report: DeployReport) => string>> = {
  "deploy-succeeded": (r) => `${r.version} is live on ${r.environment}`,
  rollback: (r) =>
    r.result === "rolled-back"
      ? `${r.version} was rolled back on ${r.environment} to ${r.previousVersion}`
      : failedFirstDeploy(r)
        ? `first deploy of ${r.version} to ${r.environment} failed${NOTHING_RESTORED}`
        : `deploy of ${r.version} to ${r.environment} failed`,
  "verification-failed": (r) =>
    failedFirstDeploy(r)
      ? `first deploy of ${r.version} failed verification on ${r.environment}${NOTHING_RESTORED}`
      : `${r.version} failed verification on ${r.environment}${rolledBackTo(r)}`,
  "gate-inconclusive": (r) =>
    `the canary gate could not judge ${r.version} on ${r.environment}${rolledBackTo(r)}`,
  "budget-breach": (r) => `${r.environment} is over budget`,
};

function deploymentFact(report: DeployReport): string {
  const rollback = report.rollbackDeploymentId ? ` (rollback #${report.rollbackDeploymentId})` : "";
  return `#${report.deploymentId}${rollback}`;
}

export function deployEvent(
  report: DeployReport,
  options: {
    service: string;
    severity: (kind: NotifyEventKind) => Severity;
    links: DeployLinks;
    at: string;
    durationSeconds?: number;
  },
): NotifyEvent {
  const kind = deployEventKind(report);
  const score = lastCanaryScore(report);
  const facts = [
    { name: "Version", value: report.version },
    ...(report.previousVersion
      ? [{ name: "Previous version", value: report.previousVersion }]
      : []),
    { name: "Strategy", value: report.strategy },
    { name: "Result", value: report.result },
    ...(score !== undefined ? [{ name: "Canary score", value: String(score) }] : []),
    { name: "Deployment", value: deploymentFact(report) },
    ...(options.durationSeconds !== undefined
      ? [{ name: "Duration", value: `${options.durationSeconds.toFixed(1)}s` }]
      : []),
    ...(report.figures.secondsToRestore !== undefined
      ? [{ name: "Time to restore", value: `${report.figures.secondsToRestore.toFixed(1)}s` }]
      : []),
  ];
  const links: NotifyLink[] = [
    ...runLink(options.links.runUrl),
    ...(options.links.deploymentsUrl
      ? [{ label: "Deployments", url: options.links.deploymentsUrl }]
      : []),
    ...(options.links.environmentUrl
      ? [{ label: "Environment", url: options.links.environmentUrl }]
      : []),
  ];
  return {
    kind,
    severity: options.severity(kind),
    environment: report.environment,
    service: options.service,
    title: TITLES[kind](report),
    text: report.reason,
    facts,
    links,
    at: options.at,
  };
}
