// Recovery drills in a deployment history: the deployments whose task is `deploy:drill`, each with
// its measured time to restore against the RTO (and, for a restore drill, the backup's age against
// the RPO), as the drill recorded them in `payload.drill`. Pure: plain records in.
import * as z from "zod/mini";
import type { DrillResult, HistoryDeployment } from "./metrics.js";

export const DRILL_TASK = "deploy:drill";

const seconds = z.number().check(z.gte(0));
const DrillPayload = z.object({
  kind: z.enum(["rollback", "restore"]),
  rto_seconds: seconds,
  recovery_seconds: z.nullable(seconds),
  rpo_seconds: z.optional(seconds),
  backup_age_seconds: z.optional(seconds),
  passed: z.boolean(),
});

/** `payload.drill` when it is what a drill writes; undefined otherwise (never trusted half-way). */
export function readDrill(raw: unknown): DrillResult | undefined {
  const parsed = DrillPayload.safeParse(raw);
  if (!parsed.success) return undefined;
  const drill = parsed.data;
  return {
    kind: drill.kind,
    rtoSeconds: drill.rto_seconds,
    recoverySeconds: drill.recovery_seconds,
    ...(drill.rpo_seconds !== undefined ? { rpoSeconds: drill.rpo_seconds } : {}),
    ...(drill.backup_age_seconds !== undefined
      ? { backupAgeSeconds: drill.backup_age_seconds }
      : {}),
    passed: drill.passed,
  };
}

export interface DrillRecord extends DrillResult {
  id: number;
  environment: string;
  version?: string;
  createdAt: string;
  /** Recovery within the RTO (and, for a restore, a backup within the RPO). */
  withinRto: boolean;
  withinRpo: boolean | null;
}

/**
 * The drills created in the window, oldest first, one per drill. A rollback drill leaves two
 * records: the faulty deployment (its drill as known at the start: no recovery, not passed) and
 * the rollback's, which carries the verdict (a payload cannot change once created). The verdict
 * of the rollback is the drill's, shown on the faulty deployment; one without a rollback keeps its
 * own (it never recovered). A drill deployment without a result is left out.
 */
export function drillsOf(
  history: readonly HistoryDeployment[],
  window: { startMs: number; endMs: number },
): DrillRecord[] {
  const drills = history.filter(
    (deployment) => deployment.task === DRILL_TASK && deployment.drill !== undefined,
  );
  const started = new Set(drills.map((deployment) => deployment.id));
  const verdictOf = new Map<number, DrillResult>();
  for (const deployment of drills)
    if (deployment.rollbackOf !== undefined && started.has(deployment.rollbackOf))
      verdictOf.set(deployment.rollbackOf, deployment.drill as DrillResult);
  return drills
    .filter(
      (deployment) => deployment.rollbackOf === undefined || !started.has(deployment.rollbackOf),
    )
    .filter((deployment) => {
      const at = Date.parse(deployment.createdAt);
      return at >= window.startMs && at < window.endMs;
    })
    .map((deployment): DrillRecord => {
      const drill = verdictOf.get(deployment.id) ?? (deployment.drill as DrillResult);
      return {
        id: deployment.id,
        environment: deployment.environment,
        ...(deployment.version ? { version: deployment.version } : {}),
        createdAt: deployment.createdAt,
        ...drill,
        withinRto:
          drill.recoverySeconds === null ? false : drill.recoverySeconds <= drill.rtoSeconds,
        withinRpo:
          drill.backupAgeSeconds !== undefined && drill.rpoSeconds !== undefined
            ? drill.backupAgeSeconds <= drill.rpoSeconds
            : null,
      };
    })
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
}
