// Where a deploy starts from, read off the environment's recent deployments: whether another is
// running, the version to return to, the slot serving now and the one the new version takes.
import { ConfigurationError } from "../shared/errors.js";
import {
  selectCurrent,
  selectRollbackTarget,
  selectRunning,
  type DeploymentSummary,
} from "./records.js";
import type { DeploySettings } from "./settings.js";

export interface DeployTargets {
  /** The version to return to: the rollback-to input, or the last good one. */
  previousVersion?: string;
  /** The ref the rollback is recorded at: the last good deployment's. */
  rollbackRef?: string;
  /** What a canary is compared with: the version serving now. */
  baseline?: string;
  stableSlot: string;
  targetSlot: string;
}

export interface TargetRequest {
  environment: string;
  version: string;
  /** The rollback-to input, already checked as semver. */
  rollbackTo?: string;
  force: boolean;
}

/** Throws a ConfigurationError when another deploy runs (unless forced) or a canary has no stable. */
export function chooseTargets(
  recent: readonly DeploymentSummary[],
  settings: DeploySettings,
  request: TargetRequest,
): DeployTargets {
  const running = selectRunning(recent)[0];
  if (running && !request.force) {
    throw new ConfigurationError({
      path: 'input "force"',
      message:
        `deployment #${running.id} of ${running.payload.version ?? running.ref} to ${request.environment} ` +
        `is still ${running.state}: wait for it, or set force: true if it is stale`,
    });
  }
  const current = selectCurrent(recent);
  const target = selectRollbackTarget(recent, request.version);
  const previousVersion = request.rollbackTo ?? target?.payload.version;
  const { slots } = settings;
  const currentSlot = current?.payload.slot;
  const stableSlot = currentSlot && slots.includes(currentSlot) ? currentSlot : slots[0];
  const targetSlot =
    settings.strategy === "rolling"
      ? stableSlot
      : (slots.find((slot) => slot !== stableSlot) ?? slots[1]);
  if (settings.strategy === "canary" && !previousVersion) {
    throw new ConfigurationError({
      path: 'input "strategy"',
      message:
        `a canary needs a stable version beside it, and ${request.environment} has no successful ` +
        "deployment yet: deploy the first version with rolling or blue-green",
    });
  }
  return {
    ...(previousVersion ? { previousVersion } : {}),
    ...(target ? { rollbackRef: target.ref } : {}),
    ...(settings.strategy === "canary"
      ? { baseline: current?.payload.version ?? previousVersion }
      : {}),
    stableSlot,
    targetSlot,
  };
}
