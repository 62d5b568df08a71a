// The post step: when the main step died mid-rollout (killed, timed out), its saved stage is not
// `recorded`; traffic goes back to stable and the deployment is marked `error`.
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import type { Logger } from "../shared/log.js";
import type { SecretRegistry } from "../shared/secrets.js";
import type { DeployConfiguration } from "./configure.js";
import type { SavedDeployment } from "./deploy.js";
import type { HookKind, HookValues } from "./hooks.js";
import { hookPort } from "./ports.js";
import type { DeploymentRecords } from "./records.js";

export interface PostContext {
  environment: LayeredEnvironment;
  configuration: DeployConfiguration;
  workspace: string;
  lookup: VariableLookup;
  log: Logger;
  secrets: SecretRegistry;
  records: DeploymentRecords;
  runUrl?: string;
}

/** Whether the main step stopped without recording its result: only then is there work here. */
export function needsRestore(stage: string | undefined, saved: string | undefined): boolean {
  return saved !== undefined && saved !== "" && stage !== undefined && stage !== "recorded";
}

export async function restoreAfterKill(
  stage: string,
  deployment: SavedDeployment,
  context: PostContext,
): Promise<void> {
  const { log, configuration } = context;
  const { settings } = configuration;
  log.warning(
    `the deploy of ${deployment.version} stopped at stage "${stage}" without recording its result: ` +
      `restoring stable and marking deployment #${deployment.id} as error`,
  );
  const values: HookValues = {
    version: deployment.previousVersion ?? deployment.version,
    previous_version: deployment.previousVersion ?? "",
    slot: deployment.stableSlot,
    weight: "100",
    environment: deployment.environment,
  };
  if (stage !== "finished") {
    const kind: HookKind | undefined = settings.hooks.rollback
      ? "rollback"
      : settings.strategy === "rolling"
        ? undefined
        : "traffic";
    if (kind) {
      const run = await hookPort({ ...context, settings })(kind, values);
      if (run.exitCode !== 0) {
        log.error(`restoring stable with the ${kind} hook failed (exit ${run.exitCode})`, {
          title: "deploy post",
        });
      }
    }
  }
  await context.records.status(deployment.id, "error", {
    description: `stopped at stage ${stage}; stable restored by the post step`,
    ...(context.runUrl ? { logUrl: context.runUrl } : {}),
    ...(configuration.environmentUrl ? { environmentUrl: configuration.environmentUrl } : {}),
  });
}
