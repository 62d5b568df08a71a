// The post step: when the main step stopped without recording its result (killed, timed out, or
// GitHub did not take the record), the record is finished here. A result the main step saved is
// written as it was; a rollout cut short has traffic put back on stable first.
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import type { Logger } from "../shared/log.js";
import type { SecretRegistry } from "../shared/secrets.js";
import type { DeployConfiguration } from "./configure.js";
import type { SavedDeployment } from "./deploy.js";
import type { HookKind, HookValues } from "./hooks.js";
import { hookPort } from "./ports.js";
import type { DeploymentRecords } from "./records.js";
import { recorder, type RecordedOutcome } from "./recorder.js";

export interface PostContext {
  configFile?: string;
  environment: LayeredEnvironment;
  configuration: DeployConfiguration;
  workspace: string;
  lookup: VariableLookup;
  log: Logger;
  secrets: SecretRegistry;
  records: DeploymentRecords;
}

/** What the main step left: the stage it reached, the deployment, and a result it could not write. */
export interface Leftover {
  stage: string | undefined;
  deployment: SavedDeployment | undefined;
  outcome: RecordedOutcome | undefined;
}

/** Whether the main step stopped without recording its result: only then is there work here. */
export function needsPost(leftover: Leftover): boolean {
  return (
    leftover.deployment !== undefined &&
    leftover.stage !== undefined &&
    leftover.stage !== "recorded"
  );
}

export async function finishRecord(
  deployment: SavedDeployment,
  leftover: Omit<Leftover, "deployment">,
  context: PostContext,
): Promise<void> {
  const { outcome, stage } = leftover;
  const record = recorder(deployment, context.records);
  if (outcome) {
    context.log.warning(
      `the deploy of ${deployment.version} ended ${outcome.result} but its result was not recorded: ` +
        `recording it on deployment #${deployment.id}`,
    );
    await record.finish(deployment.id, outcome);
    return;
  }
  context.log.warning(
    `the deploy of ${deployment.version} stopped at stage "${stage}" without recording its result: ` +
      `restoring stable and marking deployment #${deployment.id} as error`,
  );
  const restored = stage !== "finished" && (await restoreStable(deployment, context));
  const after = restored
    ? "stable restored by the post step"
    : "the rollout had finished, nothing to restore";
  await record.status(deployment.id, "error", `stopped at stage ${stage}; ${after}`);
}

/** Traffic back to the stable slot (or the rollback hook); whether a hook ran and succeeded. */
async function restoreStable(deployment: SavedDeployment, context: PostContext): Promise<boolean> {
  const { settings } = context.configuration;
  const values: HookValues = {
    version: deployment.previousVersion ?? deployment.version,
    previous_version: deployment.previousVersion ?? "",
    slot: deployment.stableSlot,
    weight: "100",
    environment: deployment.environment,
  };
  const kind: HookKind | undefined = settings.hooks.rollback
    ? "rollback"
    : settings.strategy === "rolling"
      ? undefined
      : "traffic";
  if (!kind) return false;
  const run = await hookPort({ ...context, settings })(kind, values);
  if (run.exitCode === 0) return true;
  context.log.error(`restoring stable with the ${kind} hook failed (exit ${run.exitCode})`, {
    title: "deploy post",
  });
  return false;
}
