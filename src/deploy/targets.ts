// Where a deploy starts from, read off the environment's recent deployments: whether another is
// running, the version to return to, the slot serving now and the one the new version takes.
import { ConfigurationError } from "../shared/errors.js";
import {
  isHeld,
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
  /** A canary with no earlier successful deployment: promoted without analysis. */
  firstDeploy?: boolean;
}

/** The slot name a fleet's record carries when every instance serves (rolling and canary). */
export const FLEET_SLOT = "fleet";

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
  if (running && isHeld(running) && !request.force) {
    throw new ConfigurationError({
      path: 'input "resume"',
      message:
        `deployment #${running.id} of ${running.payload.version ?? running.ref} to ` +
        `${request.environment} is ${running.description ?? "held"}: carry it on with ` +
        "resume: promote, or roll it back with resume: abort",
    });
  }
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
  const { stableSlot, targetSlot } = chooseSlots(settings, current?.payload.slot);
  return {
    ...(settings.strategy === "canary" && !previousVersion ? { firstDeploy: true } : {}),
    ...(previousVersion ? { previousVersion } : {}),
    ...(target ? { rollbackRef: target.ref } : {}),
    ...(settings.strategy === "canary"
      ? { baseline: current?.payload.version ?? previousVersion }
      : {}),
    stableSlot,
    targetSlot,
  };
}

/** The slot serving now and the one the new version takes; a fleet's "fleet" for both. */
function chooseSlots(
  settings: DeploySettings,
  currentSlot: string | undefined,
): { stableSlot: string; targetSlot: string } {
  if (settings.fleet && settings.strategy !== "blue-green")
    return { stableSlot: FLEET_SLOT, targetSlot: FLEET_SLOT };
  const { slots } = settings;
  const stableSlot = currentSlot && slots.includes(currentSlot) ? currentSlot : slots[0];
  const targetSlot =
    settings.strategy === "rolling"
      ? stableSlot
      : (slots.find((slot) => slot !== stableSlot) ?? slots[1]);
  return { stableSlot, targetSlot };
}

/** Where a held rollout stands, read back from its record: what a resume carries on from. */
export interface HeldRollout {
  id: number;
  version: string;
  holdAt: number;
  targets: DeployTargets;
  /** A fleet's instances in the rollout's order, as recorded. */
  instances?: string[];
  ref: string;
}

/** The newest held rollout of the environment; a ConfigurationError when there is none. */
export function heldRollout(
  recent: readonly DeploymentSummary[],
  settings: DeploySettings,
  environment: string,
): HeldRollout {
  const held = recent.find(isHeld);
  const { version, hold_at: holdAt, slot, previous_version: previous } = held?.payload ?? {};
  if (!held || !version || holdAt === undefined || !slot) {
    throw new ConfigurationError({
      path: 'input "resume"',
      message: `${environment} has no held rollout to resume (its newest deployments are not held)`,
    });
  }
  const fleetSlot = slot === FLEET_SLOT;
  const stableSlot = fleetSlot ? slot : (settings.slots.find((name) => name !== slot) ?? slot);
  const target = selectRollbackTarget(recent, version);
  return {
    id: held.id,
    version,
    holdAt,
    ref: held.ref,
    ...(held.payload.instances ? { instances: held.payload.instances } : {}),
    targets: {
      ...(previous ? { previousVersion: previous, baseline: previous } : {}),
      ...(target ? { rollbackRef: target.ref } : {}),
      stableSlot,
      targetSlot: slot,
    },
  };
}
