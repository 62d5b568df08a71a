// Whether a fresh deploy may start now, as the environment's freeze windows say. Only a fresh
// deploy asks: a rollback (the automatic one, the post step's, resume: abort) never reads them.
import type { LayeredEnvironment } from "../config/layering.js";
import {
  describeFreeze,
  freezesInForce,
  readFreezeWindows,
  type FreezeInForce,
} from "../protection/freeze.js";
import { ConfigurationError } from "../shared/errors.js";
import type { Logger } from "../shared/log.js";

/** A freeze overridden: what the deployment's record says (payload freeze_override, descriptions). */
export interface FreezeOverride {
  /** The windows in force, by name. */
  window: string;
  /** The override-freeze input. */
  reason: string;
}

/** The environment's windows holding at `nowMs`, in the order declared. */
export function freezesNow(environment: LayeredEnvironment, nowMs: number): FreezeInForce[] {
  const windows = environment.document.protection?.freeze ?? [];
  return freezesInForce(readFreezeWindows(windows), nowMs);
}

/** One line for the dry run: the windows in force and what a deploy would do, or that none holds. */
export function freezeLine(held: readonly FreezeInForce[], overrideReason?: string): string {
  if (held.length === 0) return "Freeze: no freeze window is in force now.";
  const windows = held.map(describeFreeze).join("; ");
  const then = overrideReason
    ? `a deploy would start, recording override-freeze: ${overrideReason}`
    : "a deploy would be refused (override-freeze gives a reason to deploy anyway)";
  return `Freeze: in force now, ${windows}; ${then}.`;
}

/**
 * Lets a fresh deploy start: undefined when no window holds, the override to record when one holds
 * and override-freeze gives a reason; a ConfigurationError at the window otherwise.
 */
export function admitFreshDeploy(
  environment: LayeredEnvironment,
  overrideReason: string | undefined,
  nowMs: number,
  log: Logger,
): FreezeOverride | undefined {
  const held = freezesNow(environment, nowMs);
  const first = held[0];
  if (!first) {
    if (overrideReason)
      log.info(`override-freeze is given, but no freeze window of ${environment.name} holds now`);
    return undefined;
  }
  const path = ["protection", "freeze", first.window.index];
  if (!overrideReason) {
    throw new ConfigurationError({
      path: `protection.freeze[${first.window.index}]`,
      ...(environment.locate(path) ? { at: environment.locate(path) } : {}),
      message:
        `${environment.name} is frozen by ${held.map(describeFreeze).join("; ")}. ` +
        "A fresh deploy does not start (rollbacks are never blocked); to deploy anyway, give " +
        "override-freeze a reason, which is recorded on the deployment",
    });
  }
  const window = held.map((freeze) => freeze.window.name).join(", ");
  log.warning(
    `deploying to ${environment.name} during ${held.map(describeFreeze).join("; ")}: ` +
      `overridden (${overrideReason}); recorded on the deployment`,
    { title: "deploy: freeze overridden", ...environment.locate(path) },
  );
  return { window, reason: overrideReason };
}
