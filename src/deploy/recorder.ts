// A deploy's record on GitHub: the deployment created in progress, its result, and a rollback as a
// deployment of its own. Everything it needs is plain data, saved for the post step, so a record
// the main step could not finish is finished by the post step with the same result.
import type { DeploymentState } from "../schema/deployment.js";
import type { FreezeOverride } from "./freeze.js";
import type { DeploymentRecords } from "./records.js";
import type { RolloutOutcome } from "./rollout.js";

/** What the record says and where it links: saved in the step's state once the deployment exists. */
export interface RecordPlan {
  environment: string;
  version: string;
  previousVersion?: string;
  strategy: string;
  stableSlot: string;
  targetSlot: string;
  /** The ref recorded on the deployment, and on a rollback's (the last good deployment's). */
  ref: string;
  rollbackRef?: string;
  production: boolean;
  transient: boolean;
  runUrl?: string;
  environmentUrl?: string;
  /** Canary: the step the rollout is held at for approval. */
  holdAt?: number;
  /** A fleet's instances, in the rollout's order. */
  instances?: string[];
  /** Why the canary gate is skipped (a first deployment, skip-analysis); undefined when it runs. */
  analysisSkipped?: string;
  /** A freeze window held and override-freeze gave the reason to deploy anyway. */
  freezeOverride?: FreezeOverride;
}

/** The part of a rollout's outcome the record holds, saved before it is written. */
export type RecordedOutcome = Pick<RolloutOutcome, "result" | "reason" | "cancelled" | "liveSlot">;

export function recorder(plan: RecordPlan, records: DeploymentRecords) {
  const { version, previousVersion, strategy, environment, production, transient } = plan;
  const status = (id: number, state: DeploymentState, description: string) =>
    records.status(id, state, {
      description,
      ...(plan.runUrl ? { logUrl: plan.runUrl } : {}),
      ...(plan.environmentUrl ? { environmentUrl: plan.environmentUrl } : {}),
    });
  return {
    status,
    async start(): Promise<number> {
      const payload = {
        version,
        strategy,
        ...(previousVersion ? { previous_version: previousVersion } : {}),
        slot: plan.targetSlot,
        ...(plan.holdAt !== undefined ? { hold_at: plan.holdAt } : {}),
        ...(plan.instances ? { instances: plan.instances } : {}),
        ...(plan.analysisSkipped ? { analysis: "skipped" as const } : {}),
        ...(plan.freezeOverride ? { freeze_override: plan.freezeOverride } : {}),
      };
      const skipped = plan.analysisSkipped ? `, analysis skipped: ${plan.analysisSkipped}` : "";
      const frozen = plan.freezeOverride
        ? `; freeze ${plan.freezeOverride.window} overridden: ${plan.freezeOverride.reason}`
        : "";
      const description = `${version} (${strategy}${skipped})${frozen}`;
      const { ref } = plan;
      const id = await records.create({
        ref,
        environment,
        payload,
        description,
        production,
        transient,
      });
      await status(id, "in_progress", `deploying ${version} (${strategy})${frozen}`);
      return id;
    },
    /** The final status, and for a rollback a deployment of its own; returns the rollback's id. */
    async finish(id: number, outcome: RecordedOutcome): Promise<number | undefined> {
      // A held rollout stays in progress, its status saying where: what a resume looks for.
      if (outcome.result === "held") {
        await status(id, "in_progress", outcome.reason);
        return undefined;
      }
      const state = outcome.cancelled
        ? "error"
        : outcome.result === "deployed"
          ? "success"
          : "failure";
      await status(
        id,
        state,
        outcome.result === "deployed" ? `${version} is live` : outcome.reason,
      );
      if (outcome.result !== "rolled-back" || !previousVersion) return undefined;
      const rollbackId = await records.create({
        ref: plan.rollbackRef ?? plan.ref,
        environment,
        payload: {
          version: previousVersion,
          strategy: "rollback",
          previous_version: version,
          slot: outcome.liveSlot,
          rollback_of: id,
        },
        description: `rollback to ${previousVersion} after ${version} failed`,
        production,
        transient,
      });
      // The rollback is already done: one status says so (a deploy costs at most 6 requests).
      await status(rollbackId, "success", `${previousVersion} restored`);
      return rollbackId;
    },
  };
}
