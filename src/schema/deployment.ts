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
}

/** Strategies deploy records, "rollback" for the record of a rollback. */
const RECORDED_STRATEGIES = new Set(["rolling", "blue-green", "canary", "rollback"]);

/** The fields of a payload (object or JSON text) that are what shipgate writes; the rest dropped. */
export function readDeploymentPayload(raw: unknown): Partial<DeploymentPayload> {
  const payload = objectFromJson(raw);
  const version = versionOrUndefined(payload.version);
  const previous = versionOrUndefined(payload.previous_version);
  const { strategy, slot, rollback_of: rollbackOf, key } = payload;
  return {
    ...(version ? { version } : {}),
    ...(typeof strategy === "string" && RECORDED_STRATEGIES.has(strategy) ? { strategy } : {}),
    ...(previous ? { previous_version: previous } : {}),
    ...(typeof key === "string" && /^[0-9a-f-]{36}$/.test(key) ? { key } : {}),
    ...(typeof slot === "string" && SLOT_NAME.test(slot) ? { slot } : {}),
    ...(Number.isSafeInteger(rollbackOf) && (rollbackOf as number) > 0
      ? { rollback_of: rollbackOf as number }
      : {}),
  };
}
