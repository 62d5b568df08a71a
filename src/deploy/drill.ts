// Recovery drills: which environments may be drilled, the objectives a drill is judged against
// (the environment's `recovery` section), the verdict from what was measured, and what a drill
// tells the outside (its Pushgateway figures, the incident of a failed drill).
import type { LayeredEnvironment } from "../config/layering.js";
import type { IncidentEvidence } from "../incidents/render.js";
import { pushDelivery, pushUrl } from "../notify/pushgateway.js";
import type { Delivery } from "../notify/plan.js";
import type { DrillKind, DrillPayload } from "../schema/deployment.js";
import { formatDuration, parseDuration } from "../shared/duration.js";
import { ConfigurationError } from "../shared/errors.js";
import { PUSH_JOB } from "./pushgateway-metrics.js";
import type { RolloutOutcome } from "./rollout.js";

export type { DrillKind, DrillPayload } from "../schema/deployment.js";

/** The objectives a drill is judged against, in milliseconds. */
export interface DrillObjectives {
  rtoMs: number;
  rpoMs?: number;
}

/** A drill's verdict: its recorded figures and one sentence saying why. */
export interface DrillVerdict {
  payload: DrillPayload;
  reason: string;
}

/**
 * Refuses to drill an environment that serves real users: one marked `production: true`, or whose
 * GitHub environment needs a reviewer's approval (protection.required-reviewers), which a drill
 * run on a schedule could never get and should never ask for.
 */
export function admitDrill(environment: LayeredEnvironment, kind: DrillKind): void {
  const { document } = environment;
  const why =
    document.production === true
      ? { key: "production", text: "it is marked production: true" }
      : (document.protection?.["required-reviewers"]?.length ?? 0) > 0
        ? {
            key: "protection.required-reviewers",
            text: "its deployments need a reviewer's approval (protection.required-reviewers)",
          }
        : undefined;
  if (!why) return;
  throw new ConfigurationError({
    path: 'input "drill"',
    message:
      `a ${kind} drill deploys a deliberately faulty build or rebuilds from a backup, so it runs ` +
      `on non-production environments only; ${environment.name} is refused: ${why.text}` +
      locationOf(environment, why.key.split(".")),
  });
}

function locationOf(environment: LayeredEnvironment, path: string[]): string {
  const at = environment.locate(path);
  return at ? ` (${at.file}:${at.line})` : "";
}

/** The environment's recovery objectives; a drill needs recovery.rto. */
export function drillObjectives(environment: LayeredEnvironment, kind: DrillKind): DrillObjectives {
  const recovery = environment.document.recovery;
  if (recovery?.rto === undefined)
    throw new ConfigurationError({
      path: "recovery.rto",
      message:
        `a ${kind} drill is judged against the environment's recovery time objective: ` +
        `declare recovery.rto (such as 5m) in ${environment.name}'s environment file`,
    });
  // The schema has checked both: a duration with a unit, longer than zero.
  return {
    rtoMs: parseDuration(recovery.rto),
    ...(recovery.rpo !== undefined ? { rpoMs: parseDuration(recovery.rpo) } : {}),
  };
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** What a rollback drill's faulty deployment records when it starts: nothing recovered yet. */
export function drillAtStart(kind: DrillKind, objectives: DrillObjectives): DrillPayload {
  return {
    kind,
    rto_seconds: seconds(objectives.rtoMs),
    recovery_seconds: null,
    ...(objectives.rpoMs !== undefined ? { rpo_seconds: seconds(objectives.rpoMs) } : {}),
    passed: false,
  };
}

/**
 * A rollback drill's verdict: passed when the faulty build was rolled back and the stable version
 * served everything again within the RTO, measured from the faulty build's first traffic (0 when
 * a check stopped it before it had any: stable never stopped serving everything).
 */
export function judgeRollbackDrill(
  outcome: Pick<RolloutOutcome, "result" | "cancelled" | "badTrafficAtMs" | "restoredAtMs">,
  objectives: DrillObjectives,
): DrillVerdict {
  const rto = formatDuration(objectives.rtoMs);
  const start = drillAtStart("rollback", { rtoMs: objectives.rtoMs });
  if (outcome.cancelled)
    return { payload: start, reason: "the drill was cancelled before it could be judged" };
  if (outcome.result !== "rolled-back" || outcome.restoredAtMs === undefined) {
    const what =
      outcome.result === "deployed"
        ? "the faulty build passed every check and went live: nothing rolled it back"
        : outcome.result === "held"
          ? "the faulty build was held, not rolled back"
          : "restoring the stable version failed";
    return { payload: start, reason: `drill failed: ${what}` };
  }
  const recoveryMs = outcome.restoredAtMs - (outcome.badTrafficAtMs ?? outcome.restoredAtMs);
  const passed = recoveryMs <= objectives.rtoMs;
  const took = formatDuration(recoveryMs);
  return {
    payload: { ...start, recovery_seconds: seconds(recoveryMs), passed },
    reason: passed
      ? "drill passed: the faulty build was rolled back and stable served everything again " +
        `${took} after the faulty build took traffic (RTO ${rto})`
      : "drill failed: the faulty build was rolled back, but stable served everything again " +
        `only ${took} after it took traffic, over the RTO of ${rto}`,
  };
}

/** What a restore drill measured. */
export interface RestoreMeasure {
  /** Whether the rebuilt environment passed its health checks. */
  served: boolean;
  /** From the restore hook's start to the checks passing (or giving up). */
  recoveryMs: number;
  /** The backup's age when the restore began; undefined when the hook did not say. */
  backupAgeMs?: number;
}

/**
 * A restore drill's verdict: passed when the rebuilt environment serves within the RTO, from a
 * backup the hook named, no older than the RPO when one is declared.
 */
export function judgeRestoreDrill(
  measure: RestoreMeasure,
  objectives: DrillObjectives,
): DrillVerdict {
  const base = drillAtStart("restore", objectives);
  const payload: DrillPayload = {
    ...base,
    recovery_seconds: measure.served ? seconds(measure.recoveryMs) : null,
    ...(measure.backupAgeMs !== undefined
      ? { backup_age_seconds: seconds(measure.backupAgeMs) }
      : {}),
  };
  const failures: string[] = [];
  const took = formatDuration(measure.recoveryMs);
  if (!measure.served) failures.push(`the rebuilt environment did not pass its health checks`);
  else if (measure.recoveryMs > objectives.rtoMs)
    failures.push(
      `it served only after ${took}, over the RTO of ${formatDuration(objectives.rtoMs)}`,
    );
  if (measure.backupAgeMs === undefined)
    failures.push("the restore hook did not print the backup's time, so its age is unknown");
  else if (objectives.rpoMs !== undefined && measure.backupAgeMs > objectives.rpoMs)
    failures.push(
      `the backup was ${formatDuration(measure.backupAgeMs)} old, over the RPO of ${formatDuration(objectives.rpoMs)}`,
    );
  const passed = failures.length === 0;
  const age =
    measure.backupAgeMs !== undefined
      ? ` from a backup ${formatDuration(measure.backupAgeMs)} old`
      : "";
  return {
    payload: { ...payload, passed },
    reason: passed
      ? `drill passed: rebuilt${age} and serving in ${took} (RTO ${formatDuration(objectives.rtoMs)}` +
        `${objectives.rpoMs !== undefined ? `, RPO ${formatDuration(objectives.rpoMs)}` : ""})`
      : `drill failed: ${failures.join("; ")}`,
  };
}

/**
 * The backup's time from the restore hook's standard output: its last line that is a date and
 * time with a zone (ISO 8601, `2026-12-01T21:00:00Z`), optionally after `backup-time:`.
 */
export function backupTimeOf(lines: readonly string[]): number | undefined {
  for (const line of [...lines].reverse()) {
    const text = line
      .trim()
      .replace(/^backup[-_ ]time\s*[:=]\s*/i, "")
      .trim();
    if (
      !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i.test(text)
    )
      continue;
    const ms = Date.parse(text.replace(" ", "T"));
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/** A drill's figures, pushed to the group of its environment, service and kind. */
export async function drillMetricsText(drill: DrillPayload, finishedAtMs: number): Promise<string> {
  const { Gauge, Registry } = await import("prom-client");
  const registry = new Registry();
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  gauge(
    "shipgate_drill_passed",
    "1 when the last drill recovered within its objectives, else 0.",
  ).set(drill.passed ? 1 : 0);
  gauge(
    "shipgate_drill_rto_seconds",
    "The recovery time objective the last drill was judged against.",
  ).set(drill.rto_seconds);
  if (drill.recovery_seconds !== null)
    gauge(
      "shipgate_drill_recovery_seconds",
      "The last drill's recovery time: faulty traffic to stable serving everything " +
        "(rollback), or restore to serving (restore).",
    ).set(drill.recovery_seconds);
  if (drill.rpo_seconds !== undefined)
    gauge(
      "shipgate_drill_rpo_seconds",
      "The recovery point objective of the last restore drill.",
    ).set(drill.rpo_seconds);
  if (drill.backup_age_seconds !== undefined)
    gauge(
      "shipgate_drill_backup_age_seconds",
      "The age of the backup the last restore drill rebuilt from, when it began.",
    ).set(drill.backup_age_seconds);
  gauge(
    "shipgate_drill_timestamp_seconds",
    "When the last drill finished (Unix time); changes() of it counts drills.",
  ).set(finishedAtMs / 1000);
  return registry.metrics();
}

/** The drill's group: job shipgate_deploy, environment, service, kind (apart from deploys'). */
export function drillPushUrl(
  base: string,
  environment: string,
  service: string,
  kind: DrillKind,
): string {
  return pushUrl(base, PUSH_JOB, [
    ["environment", environment],
    ["service", service],
    ["kind", kind],
  ]);
}

export async function drillMetricsDelivery(
  base: string,
  figures: { environment: string; service: string; drill: DrillPayload; finishedAtMs: number },
): Promise<Delivery> {
  const url = drillPushUrl(base, figures.environment, figures.service, figures.drill.kind);
  return pushDelivery(
    url,
    "drill metrics",
    await drillMetricsText(figures.drill, figures.finishedAtMs),
  );
}

/** The evidence of a failed drill, for its incident issue. */
export function drillEvidence(
  drill: DrillVerdict,
  facts: Omit<IncidentEvidence, "cause" | "reason" | "result">,
): IncidentEvidence {
  const recovery =
    drill.payload.recovery_seconds === null
      ? "not recovered"
      : `recovered in ${drill.payload.recovery_seconds}s`;
  return {
    ...facts,
    cause: "drill-failed",
    result: `${drill.payload.kind} drill failed (${recovery}, RTO ${drill.payload.rto_seconds}s)`,
    reason: drill.reason,
  };
}
