// shipgate's payload on a GitHub Deployment: what deploy writes there, and how a payload read back
// is trusted. Anyone with deployments: write can create a deployment with any payload, so a field
// that is not what shipgate writes is dropped, never passed to a hook, a query or a report.
import { objectFromJson } from "../shared/json-object.js";
import { versionOrUndefined } from "../shared/version.js";
import { SLOT_NAME } from "./deploy.js";

/** The states of a deployment status, as GitHub's REST API writes them. */
export type DeploymentState =
  "error" | "failure" | "inactive" | "in_progress" | "queued" | "pending" | "success";

export interface DeploymentPayload {
  version: string;
  strategy: string;
  previous_version?: string;
  slot?: string;
  rollback_of?: number;
  /** A key unique to the deployment, by which a create whose answer was lost is found again. */
  key?: string;
  /** Canary: the step the rollout is to be held at for approval. */
  hold_at?: number;
  /** A fleet's instances in the order the rollout takes them. */
  instances?: string[];
  /** "skipped" when a canary was promoted without the gate (first deployment, skip-analysis). */
  analysis?: "skipped";
  /** The freeze window(s) a deploy started in, and the override-freeze reason it was given. */
  freeze_override?: { window: string; reason: string };
  /** A recovery drill's record (task "deploy:drill"): see docs/drills.md for how it is read. */
  drill?: DrillPayload;
}

export const DRILL_KINDS = ["rollback", "restore"] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/**
 * A drill's figures on its deployments. A rollback drill's faulty deployment is created before
 * the outcome is known (recovery_seconds null, passed false, which stays true of a drill that
 * never recovered); its rollback deployment, when there is one, carries the verdict. A restore
 * drill is recorded once it is over, with its verdict.
 */
export interface DrillPayload {
  kind: DrillKind;
  rto_seconds: number;
  recovery_seconds: number | null;
  rpo_seconds?: number;
  backup_age_seconds?: number;
  passed: boolean;
}

/** The GitHub deployment task of a drill's records; deploys use "deploy". */
export const DRILL_TASK = "deploy:drill";

/** Strategies deploy records, "rollback" for the record of a rollback, "restore" for a restore drill. */
const RECORDED_STRATEGIES = new Set(["rolling", "blue-green", "canary", "rollback", "restore"]);

/** The fields of a payload (object or JSON text) that are what shipgate writes; the rest dropped. */
export function readDeploymentPayload(raw: unknown): Partial<DeploymentPayload> {
  const payload = objectFromJson(raw);
  const version = versionOrUndefined(payload.version);
  const previous = versionOrUndefined(payload.previous_version);
  const { strategy, slot, rollback_of: rollbackOf, key, hold_at: holdAt, instances } = payload;
  const names =
    Array.isArray(instances) &&
    instances.length <= 1000 &&
    instances.every((name) => typeof name === "string" && SLOT_NAME.test(name))
      ? (instances as string[])
      : undefined;
  return {
    ...(version ? { version } : {}),
    ...(typeof strategy === "string" && RECORDED_STRATEGIES.has(strategy) ? { strategy } : {}),
    ...(previous ? { previous_version: previous } : {}),
    ...(typeof key === "string" && /^[0-9a-f-]{36}$/.test(key) ? { key } : {}),
    ...(typeof slot === "string" && SLOT_NAME.test(slot) ? { slot } : {}),
    ...(Number.isSafeInteger(rollbackOf) && (rollbackOf as number) > 0
      ? { rollback_of: rollbackOf as number }
      : {}),
    ...(Number.isInteger(holdAt) && (holdAt as number) >= 1 && (holdAt as number) <= 99
      ? { hold_at: holdAt as number }
      : {}),
    ...(names ? { instances: names } : {}),
    ...(payload.analysis === "skipped" ? { analysis: "skipped" as const } : {}),
    ...freezeOverrideOf(payload.freeze_override),
    ...drillOf(payload.drill),
  };
}

/** A recorded drill: its kind, finite non-negative figures and a boolean verdict, or nothing. */
export function drillOf(raw: unknown): Pick<DeploymentPayload, "drill"> {
  const drill = objectFromJson(raw);
  const seconds = (value: unknown): value is number =>
    typeof value === "number" && Number.isFinite(value) && value >= 0;
  const { kind, rto_seconds: rto, recovery_seconds: recovery, passed } = drill;
  if (!(DRILL_KINDS as readonly unknown[]).includes(kind) || !seconds(rto)) return {};
  if (recovery !== null && !seconds(recovery)) return {};
  if (typeof passed !== "boolean") return {};
  const optional = (name: "rpo_seconds" | "backup_age_seconds") =>
    seconds(drill[name]) ? { [name]: drill[name] } : {};
  return {
    drill: {
      kind: kind as DrillKind,
      rto_seconds: rto,
      recovery_seconds: recovery,
      ...optional("rpo_seconds"),
      ...optional("backup_age_seconds"),
      passed,
    },
  };
}

/** A recorded freeze override: two strings of bounded length, or nothing. */
function freezeOverrideOf(raw: unknown): Pick<DeploymentPayload, "freeze_override"> {
  const { window, reason } = objectFromJson(raw);
  const fits = (text: unknown): text is string =>
    typeof text === "string" && text !== "" && text.length <= 2000;
  return fits(window) && fits(reason) ? { freeze_override: { window, reason } } : {};
}
