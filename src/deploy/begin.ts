// How a deploy begins: a fresh rollout (where it starts, whether the gate runs, the fleet and the
// weights checked, the deployment created), or a held one resumed from its record by a later run.
import type { GatePlan } from "../analysis/gate.js";
import { ConfigurationError } from "../shared/errors.js";
import { planDeployGate } from "./canary-gate.js";
import { drillAtStart } from "./drill.js";
import type { DeployIo, DeployRequest } from "./request.js";
import type { HookValues } from "./hooks.js";
import { planDeploy, type DeployPlan } from "./dry-run.js";
import { planFleetSteps } from "./dry-run-fleet.js";
import { admitFreshDeploy, freezeLine, freezesNow } from "./freeze.js";
import { outputPort } from "./ports.js";
import type { DeploymentSummary } from "./records.js";
import { recorder, type RecordPlan } from "./recorder.js";
import type { DeploySettings } from "./settings.js";
import { readStartState, type StartState } from "./start-state.js";
import { chooseTargets, heldRollout, type DeployTargets } from "./targets.js";

/** A rollout begun: recorded, its start state read, ready to run. */
export interface Begun {
  /** The settings the rollout runs with (a canary without analysis goes straight to 100%). */
  settings: DeploySettings;
  targets: DeployTargets;
  gate?: GatePlan;
  plan: RecordPlan;
  record: ReturnType<typeof recorder>;
  deploymentId: number;
  state: StartState;
  resume?: { from: number; action: "promote" | "abort" };
  startedAtMs: number;
}

/** Why a canary goes to all traffic without the gate, or undefined when the gate runs. */
function analysisSkipped(settings: DeploySettings, targets: DeployTargets): string | undefined {
  if (settings.strategy !== "canary") return undefined;
  if (targets.firstDeploy) return "first deployment, nothing to compare with";
  return settings.skipAnalysis ? "skip-analysis" : undefined;
}

function startValues(request: DeployRequest, version: string, targets: DeployTargets): HookValues {
  return {
    version,
    previous_version: targets.previousVersion ?? "",
    slot: targets.targetSlot,
    weight: "0",
    environment: request.environment.name,
  };
}

/** Where a fresh rollout starts, the settings it runs with, and its gate: for a deploy or a plan. */
function freshStart(
  request: DeployRequest,
  recent: readonly DeploymentSummary[],
  io: Pick<DeployIo, "secrets">,
) {
  const configured = request.configuration.settings;
  const name = request.environment.name;
  const targets = chooseTargets(recent, configured, { ...request, environment: name });
  const skipped = analysisSkipped(configured, targets);
  // Without analysis a canary is promoted at once: one step, to all traffic, and no hold. A drill
  // never holds either: it runs unattended, and a held faulty build would wait for no one.
  const settings: DeploySettings = skipped
    ? { ...withoutHold(configured), steps: [100] }
    : request.drill
      ? withoutHold(configured)
      : configured;
  const gate = planDeployGate(
    request.environment,
    settings,
    request.version,
    targets,
    request.lookup,
  );
  io.secrets.add(...(gate?.secrets ?? []));
  return { targets, skipped, settings, ...(gate ? { gate } : {}) };
}

function withoutHold(settings: DeploySettings): DeploySettings {
  const { holdAt, ...rest } = settings;
  void holdAt;
  return rest;
}

export async function beginFresh(
  request: DeployRequest,
  io: DeployIo,
  recent: readonly DeploymentSummary[],
): Promise<Begun> {
  const name = request.environment.name;
  // A freeze window stops a fresh deploy before anything runs or is recorded.
  const freezeOverride = admitFreshDeploy(
    request.environment,
    request.overrideFreeze,
    Date.now(),
    io.log,
  );
  const { targets, skipped, settings, gate } = freshStart(request, recent, io);
  if (request.drill && !targets.previousVersion)
    throw new ConfigurationError({
      path: 'input "drill"',
      message:
        `a rollback drill needs a stable version to return to, and ${name} has no successful ` +
        "deployment yet: deploy a good version first",
    });
  const read = outputPort({ ...request, ...io, settings });
  const values = startValues(request, request.version, targets);
  const state = await readStartState(settings, targets, values, read);
  const startedAtMs = Date.now();
  const plan: RecordPlan = recordPlan(request, request.version, targets, {
    ref: request.ref,
    ...(settings.holdAt !== undefined ? { holdAt: settings.holdAt } : {}),
    ...(state.fleet ? { instances: state.fleet.instances.map((instance) => instance.name) } : {}),
    ...(skipped ? { analysisSkipped: skipped } : {}),
    ...(freezeOverride ? { freezeOverride } : {}),
    ...(request.drill ? { drill: drillAtStart("rollback", request.drill.objectives) } : {}),
  });
  const record = recorder(plan, io.records);
  if (io.signal.aborted) throw new Error("the deploy was cancelled before anything was deployed");
  const deploymentId = await record.start();
  const previous = targets.previousVersion ? `, previous ${targets.previousVersion}` : "";
  const where = state.fleet
    ? `a fleet of ${state.fleet.instances.length} (batch ${state.fleet.batch}, min-healthy ${state.fleet.minHealthy})`
    : `new version in slot ${targets.targetSlot}, stable in ${targets.stableSlot}`;
  io.log.info(
    `Deployment #${deploymentId}: ${request.version} to ${name} with ${settings.strategy}${previous}; ${where}`,
  );
  if (skipped) io.log.info(`The canary is promoted without analysis: ${skipped}`);
  return {
    settings,
    targets,
    ...(gate ? { gate } : {}),
    plan,
    record,
    deploymentId,
    state,
    startedAtMs,
  };
}

/**
 * The plan a fresh deploy would follow, read and checked as it would be (the instances command
 * and the weights hook run: they only read); nothing is deployed or recorded.
 */
export async function planFresh(
  request: DeployRequest,
  io: Pick<DeployIo, "log" | "secrets" | "records">,
  healthChecks: readonly string[],
): Promise<DeployPlan> {
  const recent = await io.records.recent(request.environment.name);
  const { targets, settings, gate } = freshStart(request, recent, io);
  const read = outputPort({ ...request, ...io, settings });
  const values = startValues(request, request.version, targets);
  const state = await readStartState(settings, targets, values, read);
  const configuration = { ...request.configuration, settings };
  const common = {
    healthChecks,
    ...(request.configFile ? { configFile: request.configFile } : {}),
  };
  const fleet = state.fleet
    ? {
        instances: state.fleet.instances.map((instance) => instance.name),
        batch: state.fleet.batch,
        minHealthy: state.fleet.minHealthy,
        steps: await planFleetSteps(
          {
            environment: request.environment.name,
            version: request.version,
            ...(targets.previousVersion ? { previousVersion: targets.previousVersion } : {}),
            stableSlot: targets.stableSlot,
            targetSlot: targets.targetSlot,
            settings,
            fleet: state.fleet,
            ...(state.targetIdle ? { targetIdle: true } : {}),
            ...(request.configuration.environmentUrl
              ? { environmentUrl: request.configuration.environmentUrl }
              : {}),
          },
          common,
        ),
      }
    : undefined;
  const freeze = request.environment.document.protection?.freeze?.length
    ? { freeze: freezeLine(freezesNow(request.environment, Date.now()), request.overrideFreeze) }
    : {};
  return planDeploy({
    environment: request.environment.name,
    version: request.version,
    configuration,
    targets,
    ...(gate ? { gate } : {}),
    ...common,
    ...(fleet ? { fleet } : {}),
    ...freeze,
  });
}

/** A held canary carried on (promote) or rolled back (abort) from its deployment record. */
export async function resumeHeld(
  request: DeployRequest,
  io: DeployIo,
  recent: readonly DeploymentSummary[],
  action: "promote" | "abort",
): Promise<Begun> {
  const settings = request.configuration.settings;
  const name = request.environment.name;
  const held = heldRollout(recent, settings, name);
  if (request.version !== "" && request.version !== held.version)
    throw new ConfigurationError({
      path: 'input "version"',
      message: `the held rollout of ${name} is of ${held.version}, not ${request.version}`,
    });
  if (settings.strategy !== "canary" || !settings.steps.includes(held.holdAt))
    throw new ConfigurationError({
      path: "deploy.steps",
      message:
        `the rollout was held at ${held.holdAt}%, which is no longer a canary step ` +
        `(${settings.steps.join(", ")})`,
    });
  const { targets } = held;
  const gate =
    action === "promote"
      ? planDeployGate(request.environment, settings, held.version, targets, request.lookup)
      : undefined;
  io.secrets.add(...(gate?.secrets ?? []));
  const read = outputPort({ ...request, ...io, settings });
  const values = startValues(request, held.version, targets);
  const state = await readStartState(settings, targets, values, read, {
    resumeOrder: held.instances ?? [],
  });
  const plan = recordPlan(request, held.version, targets, {
    ref: held.ref,
    holdAt: held.holdAt,
    ...(held.instances ? { instances: held.instances } : {}),
  });
  const record = recorder(plan, io.records);
  const by = request.runUrl ? ` by ${request.runUrl}` : "";
  await record.status(held.id, "in_progress", `${action} from ${held.holdAt}%${by}`);
  const doing = action === "promote" ? "carrying on" : "aborting: rolling back";
  io.log.info(
    `Deployment #${held.id}: ${held.version} to ${name}, held at ${held.holdAt}%: ${doing}`,
  );
  return {
    settings,
    targets,
    ...(gate ? { gate } : {}),
    plan,
    record,
    deploymentId: held.id,
    state,
    resume: { from: held.holdAt, action },
    startedAtMs: Date.now(),
  };
}

function recordPlan(
  request: DeployRequest,
  version: string,
  targets: DeployTargets,
  extra: Pick<
    RecordPlan,
    "holdAt" | "instances" | "analysisSkipped" | "ref" | "freezeOverride" | "drill"
  >,
): RecordPlan {
  const { configuration } = request;
  return {
    environment: request.environment.name,
    version,
    ...(targets.previousVersion ? { previousVersion: targets.previousVersion } : {}),
    strategy: configuration.settings.strategy,
    stableSlot: targets.stableSlot,
    targetSlot: targets.targetSlot,
    ...(targets.rollbackRef ? { rollbackRef: targets.rollbackRef } : {}),
    production: configuration.production,
    transient: configuration.transient,
    ...(request.runUrl ? { runUrl: request.runUrl } : {}),
    ...(configuration.environmentUrl ? { environmentUrl: configuration.environmentUrl } : {}),
    ...extra,
  };
}
