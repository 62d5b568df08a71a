// One deploy from start to record: where it starts (recent deployments), the gate for a canary,
// the deployment record, the rollout, the final status and the rollback's own record, then what
// follows (alerts, incident issue, Pushgateway figures). Side effects come in through `DeployIo`.
import { planGate, type GatePlan } from "../analysis/gate.js";
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import type { GitHubClient, Repository } from "../runtime/github.js";
import type { Logger } from "../shared/log.js";
import type { SecretRegistry } from "../shared/secrets.js";
import { afterDeploy, type AfterDeployResult } from "./after-deploy.js";
import type { DeployConfiguration } from "./configure.js";
import { gatePort, healthPort, hookPort } from "./ports.js";
import type { DeploymentRecords, DeploymentState } from "./records.js";
import { buildReport, type DeployReport } from "./report.js";
import { runRollout, type RolloutOutcome, type RolloutPlan } from "./rollout.js";
import { scrubbedSend } from "../notify/http.js";
import { chooseTargets, type DeployTargets } from "./targets.js";

/** Names of what the main step saves for the post step. */
export const STATE = { isPost: "isPost", stage: "stage", deployment: "deployment" } as const;

/** What the post step needs to restore stable: saved once the deployment is recorded. */
export interface SavedDeployment {
  id: number;
  version: string;
  previousVersion?: string;
  stableSlot: string;
  targetSlot: string;
  environment: string;
}

export interface DeployRequest {
  environment: LayeredEnvironment;
  configuration: DeployConfiguration;
  version: string;
  rollbackTo?: string;
  force: boolean;
  /** The ref recorded on the deployment. */
  ref: string;
  repository: Repository;
  runUrl?: string;
  serverUrl: string;
  workspace: string;
  lookup: VariableLookup;
  /** Send alerts, incidents and figures after the record is complete. */
  notify: boolean;
}

export interface DeployIo {
  records: DeploymentRecords;
  client: GitHubClient;
  log: Logger;
  secrets: SecretRegistry;
  saveState(name: string, value: string): void;
  /** Aborted when the deploy is being cancelled (SIGTERM, SIGINT). */
  signal: AbortSignal;
  /** Called once the record is complete, before what follows it: outputs and summary go here. */
  recorded(report: DeployReport, outcome: RolloutOutcome): Promise<void>;
}

export interface DeployResult {
  report: DeployReport;
  outcome: RolloutOutcome;
  /** Undefined when notifications were off. */
  notifications?: AfterDeployResult;
}

export async function runDeploy(request: DeployRequest, io: DeployIo): Promise<DeployResult> {
  const { settings } = request.configuration;
  const name = request.environment.name;
  const recent = await io.records.recent(name);
  const targets = chooseTargets(recent, settings, { ...request, environment: name });
  const gate = settings.strategy === "canary" ? planCanaryGate(request, targets) : undefined;
  io.secrets.add(...(gate?.secrets ?? []));

  const startedAtMs = Date.now();
  const record = deploymentRecord(request, targets, io);
  const deploymentId = await record.start();
  const { version } = request;
  const previous = targets.previousVersion ? `, previous ${targets.previousVersion}` : "";
  io.log.info(
    `Deployment #${deploymentId}: ${version} to ${name} with ${settings.strategy}${previous}; ` +
      `new version in slot ${targets.targetSlot}, stable in ${targets.stableSlot}`,
  );
  const saved: SavedDeployment = {
    id: deploymentId,
    version,
    ...(targets.previousVersion ? { previousVersion: targets.previousVersion } : {}),
    stableSlot: targets.stableSlot,
    targetSlot: targets.targetSlot,
    environment: name,
  };
  io.saveState(STATE.deployment, JSON.stringify(saved));

  const outcome = await runRollout(rolloutPlan(request, targets), {
    hook: hookPort({ ...request, ...io, settings }),
    health: healthPort({ ...request, ...io, settings }),
    gate: gatePort(gate, io.log, io.signal),
    now: () => Date.now(),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    log: (line) => io.log.info(line),
    checkpoint: (stage) => io.saveState(STATE.stage, stage),
    signal: io.signal,
  });
  const rollbackDeploymentId = await record.finish(deploymentId, outcome);
  io.saveState(STATE.stage, "recorded");

  const report = buildReport(
    {
      environment: name,
      version,
      ...(targets.previousVersion ? { previousVersion: targets.previousVersion } : {}),
      strategy: settings.strategy,
      deploymentId,
      ...(rollbackDeploymentId ? { rollbackDeploymentId } : {}),
      ...(request.configuration.environmentUrl
        ? { environmentUrl: request.configuration.environmentUrl }
        : {}),
    },
    outcome,
  );
  await io.recorded(report, outcome);
  const notifications = request.notify
    ? await notifyAfter(request, io, report, startedAtMs)
    : undefined;
  return { report, outcome, ...(notifications ? { notifications } : {}) };
}

/** The gate of a canary: the environment's analysis, the new version against the one serving. */
function planCanaryGate(request: DeployRequest, targets: DeployTargets): GatePlan {
  const context = { canary: request.version, baseline: targets.baseline, version: request.version };
  const overrides = { settings: {}, settingPath: (key: string) => `analysis.${key}` };
  return planGate(request.environment, overrides, context, request.lookup);
}

function rolloutPlan(request: DeployRequest, targets: DeployTargets): RolloutPlan {
  const { environmentUrl, settings } = request.configuration;
  return {
    environment: request.environment.name,
    version: request.version,
    ...(targets.previousVersion ? { previousVersion: targets.previousVersion } : {}),
    stableSlot: targets.stableSlot,
    targetSlot: targets.targetSlot,
    ...(environmentUrl ? { environmentUrl } : {}),
    settings,
  };
}

/** The deployment's record on GitHub: created in progress, then its result, then any rollback. */
function deploymentRecord(request: DeployRequest, targets: DeployTargets, io: DeployIo) {
  const { configuration, version } = request;
  const { strategy } = configuration.settings;
  const environment = request.environment.name;
  const { production, transient, environmentUrl } = configuration;
  const status = (id: number, state: DeploymentState, description: string) =>
    io.records.status(id, state, {
      description,
      ...(request.runUrl ? { logUrl: request.runUrl } : {}),
      ...(environmentUrl ? { environmentUrl } : {}),
    });
  const previousVersion = targets.previousVersion;
  return {
    async start(): Promise<number> {
      const payload = {
        version,
        strategy,
        ...(previousVersion ? { previous_version: previousVersion } : {}),
        slot: targets.targetSlot,
      };
      const description = `${version} (${strategy})`;
      const id = await io.records.create({
        ref: request.ref,
        environment,
        payload,
        description,
        production,
        transient,
      });
      await status(id, "in_progress", `deploying ${version} (${strategy})`);
      return id;
    },
    /** The final status, and for a rollback a deployment of its own; returns the rollback's id. */
    async finish(id: number, outcome: RolloutOutcome): Promise<number | undefined> {
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
      const rollbackId = await io.records.create({
        ref: targets.rollbackRef ?? request.ref,
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

/** Alerts, the incident issue and pipeline figures: best-effort, after the record is complete. */
async function notifyAfter(
  request: DeployRequest,
  io: DeployIo,
  report: DeployReport,
  startedAtMs: number,
): Promise<AfterDeployResult> {
  const { repository, configuration } = request;
  const { owner, repo } = repository;
  const environmentUrl = configuration.environmentUrl;
  const title = { title: "deploy notify" };
  const deploymentsUrl =
    `${request.serverUrl}/${owner}/${repo}/deployments/` + encodeURIComponent(report.environment);
  return afterDeploy(
    {
      report,
      repository,
      service: configuration.service ?? repo,
      notify: configuration.notify,
      links: {
        ...(request.runUrl ? { runUrl: request.runUrl } : {}),
        deploymentsUrl,
        ...(environmentUrl ? { environmentUrl } : {}),
      },
      startedAtMs,
    },
    {
      client: io.client,
      send: scrubbedSend((text) => io.secrets.scrub(text)),
      now: () => Date.now(),
      info: (line) => io.log.info(line),
      warn: (line) => io.log.warning(line, title),
    },
  ).catch((error: unknown) => {
    io.log.warning(`notifications failed unexpectedly: ${(error as Error).message}`, title);
    return { deliveries: [], incidents: [], warnings: ["notifications failed unexpectedly"] };
  });
}
