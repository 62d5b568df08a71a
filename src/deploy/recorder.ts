// A deploy's record on GitHub: the deployment created in progress, its result, and a rollback as a
// deployment of its own. Everything it needs is plain data, saved for the post step, so a record
// the main step could not finish is finished by the post step with the same result.
import { DRILL_TASK, type DeploymentState, type DrillPayload } from "../schema/deployment.js";
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
  /** A rollback drill: its figures as known at the start (recovery_seconds null, passed false). */
  drill?: DrillPayload;
}

/** The part of a rollout's outcome the record holds, saved before it is written. */
export type RecordedOutcome = Pick<
  RolloutOutcome,
  "result" | "reason" | "cancelled" | "liveSlot"
> & {
  /** A drill's verdict, carried by its rollback deployment. */
  drill?: DrillPayload;
};

export function recorder(plan: RecordPlan, records: DeploymentRecords) {
  const { version, previousVersion, strategy, environment, production, transient } = plan;
  const task = plan.drill ? { task: DRILL_TASK } : {};
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
        ...(plan.drill ? { drill: plan.drill } : {}),
      };
      const skipped = plan.analysisSkipped ? `, analysis skipped: ${plan.analysisSkipped}` : "";
      const frozen = plan.freezeOverride
        ? `; freeze ${plan.freezeOverride.window} overridden: ${plan.freezeOverride.reason}`
        : "";
      const drill = plan.drill ? `${plan.drill.kind} drill: ` : "";
      const description = `${drill}${version} (${strategy}${skipped})${frozen}`;
      const { ref } = plan;
      const id = await records.create({
        ref,
        environment,
        payload,
        description,
        production,
        transient,
        ...task,
      });
      await status(id, "in_progress", `${drill}deploying ${version} (${strategy})${frozen}`);
      return id;
    },
    /** The final status, and for a rollback a deployment of its own; returns the rollback's id. */
    async finish(id: number, outcome: RecordedOutcome): Promise<number | undefined> {
      // A held rollout stays in progress, its status saying where: what a resume looks for.
      if (outcome.result === "held") {
        await status(id, "in_progress", outcome.reason);
        return undefined;
      }
      // A drill's faulty build that went live is a failure all the same: never a rollback target.
      const state = outcome.cancelled
        ? "error"
        : outcome.result === "deployed" && !plan.drill
          ? "success"
          : "failure";
      const live = plan.drill
        ? `drill failed: the faulty build ${version} was not rolled back and serves`
        : `${version} is live`;
      await status(id, state, outcome.result === "deployed" ? live : outcome.reason);
      if (outcome.result !== "rolled-back" || !previousVersion) return undefined;
      return recordRollback(plan, records, id, outcome, previousVersion);
    },
  };
}

/** A rollback as a deployment of its own, already done: one status says so. */
async function recordRollback(
  plan: RecordPlan,
  records: DeploymentRecords,
  id: number,
  outcome: RecordedOutcome,
  previousVersion: string,
): Promise<number> {
  const { version, environment, production, transient } = plan;
  const rollbackId = await records.create({
    ref: plan.rollbackRef ?? plan.ref,
    environment,
    payload: {
      version: previousVersion,
      strategy: "rollback",
      previous_version: version,
      slot: outcome.liveSlot,
      rollback_of: id,
      // The post step finishing a drill has no verdict: the drill as it started (not passed).
      ...(plan.drill ? { drill: outcome.drill ?? plan.drill } : {}),
    },
    description: `${plan.drill ? "drill: " : ""}rollback to ${previousVersion} after ${version} failed`,
    production,
    transient,
    ...(plan.drill ? { task: DRILL_TASK } : {}),
  });
  // A deploy costs at most 6 requests: the rollback's one status is its last.
  await records.status(rollbackId, "success", {
    description: `${previousVersion} restored`,
    ...(plan.runUrl ? { logUrl: plan.runUrl } : {}),
    ...(plan.environmentUrl ? { environmentUrl: plan.environmentUrl } : {}),
  });
  return rollbackId;
}
