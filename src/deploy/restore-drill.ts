// A restore drill: the environment's restore hook rebuilds a scratch environment from the latest
// backup and names the backup's time; the health checks then prove it serves. The recovery time
// (hook start to checks passed) and the backup's age are judged against recovery.rto and .rpo,
// and recorded as one deployment with task deploy:drill once the drill is over.
import { ConfigurationError } from "../shared/errors.js";
import { DRILL_TASK } from "../schema/deployment.js";
import type { AfterDeployResult } from "./after-deploy.js";
import { afterDrill, type DrillFacts } from "./drill-after.js";
import {
  backupTimeOf,
  judgeRestoreDrill,
  type DrillObjectives,
  type DrillVerdict,
} from "./drill.js";
import { healthPort, hookPort } from "./ports.js";
import { failedHook } from "./rollout.js";
import type { DeployIo, DeployRequest } from "./request.js";

export interface RestoreDrillRequest extends Omit<
  DeployRequest,
  "drill" | "resume" | "rollbackTo" | "force" | "overrideFreeze"
> {
  objectives: DrillObjectives;
}

export interface RestoreDrillResult {
  drill: DrillVerdict;
  deploymentId: number;
  /** When the backup was taken (ms since the epoch), as the restore hook printed it. */
  backupAtMs?: number;
  /** What happened, step by step, for the log and the summary. */
  steps: { step: "restore" | "health"; ok: boolean; detail: string; seconds: number }[];
  notifications?: AfterDeployResult;
}

/** Refuses, before anything runs, a restore drill that could not be judged. */
export function checkRestoreDrill(
  request: Pick<RestoreDrillRequest, "configuration" | "environment">,
): void {
  const problems = [];
  if (!request.configuration.settings.hooks.restore)
    problems.push({
      path: "deploy.hooks.restore",
      message:
        "a restore drill runs the restore hook: declare deploy.hooks.restore, a command that " +
        "rebuilds the environment from the latest backup and prints the backup's time",
    });
  if (!request.environment.document.health?.checks?.length)
    problems.push({
      path: "health.checks",
      message:
        "a restore drill proves the rebuilt environment serves with its health checks: declare health.checks",
    });
  if (!request.configuration.environmentUrl)
    problems.push({
      path: "url",
      message: "a restore drill checks the rebuilt environment at its url: declare url",
    });
  if (problems.length > 0) throw new ConfigurationError(problems);
}

type RestoreIo = Omit<DeployIo, "recorded" | "saveState">;

export async function runRestoreDrill(
  request: RestoreDrillRequest,
  io: RestoreIo,
): Promise<RestoreDrillResult> {
  checkRestoreDrill(request);
  const started = Date.now();
  const { steps, served, backupAtMs } = await restoreAndCheck(request, io, started);
  const drill = judgeRestoreDrill(
    {
      served,
      recoveryMs: Date.now() - started,
      // A backup stamped a little after the start (clocks apart) is taken as fresh, not negative.
      ...(backupAtMs !== undefined ? { backupAgeMs: Math.max(0, started - backupAtMs) } : {}),
    },
    request.objectives,
  );
  io.log.info(drill.reason);
  const deploymentId = await record(request, io, drill, served);
  const notifications = request.notify
    ? await afterDrill(drillFacts(request, deploymentId, steps), drill, io)
    : undefined;
  return {
    drill,
    deploymentId,
    ...(backupAtMs !== undefined ? { backupAtMs } : {}),
    steps,
    ...(notifications ? { notifications } : {}),
  };
}

/** The restore hook (its output read for the backup's time), then the health checks. */
async function restoreAndCheck(request: RestoreDrillRequest, io: RestoreIo, started: number) {
  const { configuration } = request;
  const name = request.environment.name;
  const context = {
    ...request,
    ...io,
    settings: configuration.settings,
    drillVersion: request.version,
  };
  const lines: string[] = [];
  const elapsed = () => (Date.now() - started) / 1000;
  const steps: RestoreDrillResult["steps"] = [];
  io.log.info(
    `restore drill of ${name}: rebuilding it from the latest backup with ${request.version}`,
  );
  const run = await hookPort(context)(
    "restore",
    { version: request.version, previous_version: "", slot: "", weight: "100", environment: name },
    { onStdout: (line) => lines.push(line) },
  );
  const restored = run.exitCode === 0;
  const backupAtMs = backupTimeOf(lines);
  const backup =
    backupAtMs !== undefined
      ? `; backup of ${new Date(backupAtMs).toISOString()}`
      : "; no backup time printed";
  steps.push({
    step: "restore",
    ok: restored,
    detail: restored
      ? `restore hook done in ${(run.durationMs / 1000).toFixed(1)}s${backup}`
      : failedHook("restore", run, configuration.settings.hookTimeoutMs).detail,
    seconds: elapsed(),
  });
  if (!restored)
    return { steps, served: false, ...(backupAtMs !== undefined ? { backupAtMs } : {}) };
  const health = await healthPort(context)(configuration.environmentUrl, "");
  const served = health?.healthy ?? false;
  steps.push({
    step: "health",
    ok: served,
    detail: health?.detail ?? "no health checks ran",
    seconds: elapsed(),
  });
  return { steps, served, ...(backupAtMs !== undefined ? { backupAtMs } : {}) };
}

/** What the drill's metrics and incident say of it. */
function drillFacts(
  request: RestoreDrillRequest,
  deploymentId: number,
  steps: RestoreDrillResult["steps"],
): DrillFacts {
  const { configuration } = request;
  const name = request.environment.name;
  const service = configuration.service ?? request.repository.repo;
  return {
    environment: name,
    service,
    repository: request.repository,
    ...(configuration.notify.pushgateway ? { pushgateway: configuration.notify.pushgateway } : {}),
    evidence: {
      environment: name,
      service,
      version: request.version,
      strategy: "restore",
      deploymentId,
      gate: [],
      failures: steps.filter((step) => !step.ok).map((step) => `${step.step}: ${step.detail}`),
      ...(request.runUrl ? { runUrl: request.runUrl } : {}),
      at: new Date().toISOString(),
    },
  };
}

/** One deployment of the scratch environment, its payload the verdict, its state whether it serves. */
async function record(
  request: RestoreDrillRequest,
  io: Pick<DeployIo, "records">,
  drill: DrillVerdict,
  served: boolean,
): Promise<number> {
  const { configuration } = request;
  const id = await io.records.create({
    ref: request.ref,
    environment: request.environment.name,
    payload: { version: request.version, strategy: "restore", drill: drill.payload },
    description: `restore drill: ${request.version} from the latest backup`,
    production: configuration.production,
    transient: configuration.transient,
    task: DRILL_TASK,
  });
  await io.records.status(id, served ? "success" : "failure", {
    description: drill.reason,
    ...(request.runUrl ? { logUrl: request.runUrl } : {}),
    ...(configuration.environmentUrl ? { environmentUrl: configuration.environmentUrl } : {}),
  });
  return id;
}
