// One deploy from start to record: where it starts (recent deployments), the gate for a canary,
// the deployment record, the rollout, the final status and the rollback's own record, then what
// follows (alerts, incident issue, Pushgateway figures). Side effects come in through `DeployIo`.
import { afterDeploy, type AfterDeployResult } from "./after-deploy.js";
import { afterDrill } from "./drill-after.js";
import { judgeRollbackDrill, type DrillVerdict } from "./drill.js";
import { beginFresh, resumeHeld, type Begun } from "./begin.js";
import type { DeployIo, DeployRequest } from "./request.js";
import { gatePort, healthPort, hookPort } from "./ports.js";
import type { recorder, RecordedOutcome, RecordPlan } from "./recorder.js";
import { deployEvidence } from "./incident-evidence.js";
import { buildReport, type DeployReport } from "./report.js";
import type { RolloutOutcome, RolloutPlan } from "./rollout.js";
import { runRollout } from "./strategies.js";
import { scrubbedSend } from "../notify/http.js";

/** Names of what the main step saves for the post step. */
export const STATE = {
  isPost: "isPost",
  stage: "stage",
  deployment: "deployment",
  outcome: "outcome",
} as const;

/** What the post step needs: the record's plan and the deployment's id, saved once it exists. */
export interface SavedDeployment extends RecordPlan {
  id: number;
}

export interface DeployResult {
  report: DeployReport;
  outcome: RolloutOutcome;
  /** Undefined when notifications were off. */
  notifications?: AfterDeployResult;
  /** Why the result is not on the deployment yet (the post step writes it). */
  recordFailure?: string;
  /** A drill's verdict: passed within its objectives, or failed (and its incident opened). */
  drill?: DrillVerdict;
}

export type { DeployIo, DeployRequest } from "./request.js";

export async function runDeploy(request: DeployRequest, io: DeployIo): Promise<DeployResult> {
  const name = request.environment.name;
  const recent = await io.records.recent(name);
  const begun = request.resume
    ? await resumeHeld(request, io, recent, request.resume)
    : await beginFresh(request, io, recent);
  const { settings, targets, plan, record, deploymentId, state } = begun;
  const version = plan.version;
  io.saveState(STATE.deployment, JSON.stringify({ ...plan, id: deploymentId }));
  const context = {
    ...request,
    ...io,
    settings,
    ...(request.drill ? { drillVersion: version } : {}),
  };
  const outcome = await runRollout(rolloutPlan(request, begun), {
    hook: hookPort(context),
    health: healthPort(context),
    gate: gatePort(begun.gate, io.log, io.signal),
    now: () => Date.now(),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    log: (line) => io.log.info(line),
    checkpoint: (stage) => io.saveState(STATE.stage, stage),
    signal: io.signal,
  });
  const drill = request.drill ? judgeRollbackDrill(outcome, request.drill.objectives) : undefined;
  if (drill) io.log.info(drill.reason);
  const recorded = await recordOutcome(record, deploymentId, outcome, io, drill);

  const report = buildReport(
    {
      environment: name,
      version,
      ...(targets.previousVersion ? { previousVersion: targets.previousVersion } : {}),
      strategy: settings.strategy,
      deploymentId,
      ...(state.fleet ? { instances: state.fleet.instances.map((instance) => instance.name) } : {}),
      ...(recorded.rollbackDeploymentId
        ? { rollbackDeploymentId: recorded.rollbackDeploymentId }
        : {}),
      ...(request.configuration.environmentUrl
        ? { environmentUrl: request.configuration.environmentUrl }
        : {}),
      ...(plan.analysisSkipped ? { analysisSkipped: plan.analysisSkipped } : {}),
    },
    outcome,
  );
  await io.recorded(report, outcome, drill);
  // A held rollout has not ended: what follows a deploy comes when it is promoted. An abort is a
  // reviewer's decision, not a failure: it is recorded, and raises no alert and no incident. A
  // drill's rollback is what it is for: its figures are pushed, and only a failed drill opens an
  // incident.
  const decided = outcome.result === "held" || request.resume === "abort";
  const notifications = !request.notify
    ? undefined
    : drill
      ? await afterDrill(drillFacts(request, report), drill, io)
      : decided
        ? undefined
        : await notifyAfter(request, io, report, begun.startedAtMs);
  return {
    report,
    outcome,
    ...(drill ? { drill } : {}),
    ...(notifications ? { notifications } : {}),
    ...(recorded.failure ? { recordFailure: recorded.failure.message } : {}),
  };
}

/**
 * The outcome is saved before it is written: if writing it fails (or the step dies), the post step
 * writes the same result instead of restoring a rollout that had in fact finished.
 */
async function recordOutcome(
  record: ReturnType<typeof recorder>,
  id: number,
  outcome: RolloutOutcome,
  io: DeployIo,
  drill?: DrillVerdict,
): Promise<{ rollbackDeploymentId?: number; failure?: Error }> {
  const { result, reason, cancelled, liveSlot } = outcome;
  const saved: RecordedOutcome = {
    result,
    reason,
    cancelled,
    liveSlot,
    ...(drill ? { drill: drill.payload } : {}),
  };
  io.saveState(STATE.outcome, JSON.stringify(saved));
  io.saveState(STATE.stage, "outcome");
  try {
    const rollbackDeploymentId = await record.finish(id, saved);
    io.saveState(STATE.stage, "recorded");
    return rollbackDeploymentId ? { rollbackDeploymentId } : {};
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const message =
      `deployment #${id} ended ${result}, but GitHub did not take its result (${why}); ` +
      "the post step records it";
    return { failure: new Error(message) };
  }
}

function rolloutPlan(request: DeployRequest, begun: Begun): RolloutPlan {
  const { environmentUrl } = request.configuration;
  const { targets, settings, plan, state } = begun;
  return {
    environment: request.environment.name,
    version: plan.version,
    ...(targets.previousVersion ? { previousVersion: targets.previousVersion } : {}),
    stableSlot: targets.stableSlot,
    targetSlot: targets.targetSlot,
    ...(environmentUrl ? { environmentUrl } : {}),
    settings,
    ...(state.fleet ? { fleet: state.fleet } : {}),
    ...(state.targetIdle ? { targetIdle: true } : {}),
    ...(begun.resume ? { resume: begun.resume } : {}),
  };
}

/** What a rollback drill's metrics and incident say of it, from its report. */
function drillFacts(request: DeployRequest, report: DeployReport) {
  const { owner, repo } = request.repository;
  return {
    environment: report.environment,
    service: request.configuration.service ?? repo,
    repository: request.repository,
    pushgateway: request.configuration.notify.pushgateway,
    evidence: deployEvidence(report, "drill-failed", {
      service: request.configuration.service ?? repo,
      ...(request.runUrl ? { runUrl: request.runUrl } : {}),
      deploymentsUrl:
        `${request.serverUrl}/${owner}/${repo}/deployments/` +
        encodeURIComponent(report.environment),
      at: new Date().toISOString(),
    }),
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
