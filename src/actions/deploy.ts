// deploy: take a version to an environment with a strategy, record it as a GitHub Deployment, and
// roll back on its own when anything fails. The same bundle is the `post` step, which restores
// traffic when the main step was killed mid-rollout.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import * as z from "zod/mini";
import { configureDeploy, type DeployConfiguration } from "../deploy/configure.js";
import { runDeploy, STATE, type SavedDeployment } from "../deploy/deploy.js";
import { planFresh } from "../deploy/begin.js";
import { planLines, renderPlanSummary } from "../deploy/dry-run.js";
import { finishRecord, needsPost, type Leftover } from "../deploy/post.js";
import { DeploymentRecords } from "../deploy/records.js";
import { deploymentRef } from "../deploy/ref.js";
import { renderDeploySummary } from "../deploy/report.js";
import { admitDrill, drillObjectives, type DrillVerdict } from "../deploy/drill.js";
import { renderDrillVerdict, renderRestoreDrillSummary } from "../deploy/drill-report.js";
import { runRestoreDrill } from "../deploy/restore-drill.js";
import type { DeployOverrides } from "../deploy/settings.js";
import { parseVersion } from "../shared/version.js";
import { booleanInput, optionalBooleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";
import { ConfigurationError } from "../shared/errors.js";

const text = z.optional(z.string());
const Inputs = z.object({
  environment: z.string(),
  version: text,
  strategy: text,
  steps: text,
  ref: text,
  "config-dir": z._default(z.string(), "environments"),
  "deploy-command": text,
  "traffic-command": text,
  "promote-command": text,
  "rollback-command": text,
  "rollback-to": text,
  force: booleanInput(false),
  "on-inconclusive": text,
  "switch-buffer": text,
  timeout: text,
  notify: booleanInput(true),
  "pushgateway-url": z.optional(z.url({ protocol: /^https?$/, error: "expected an http(s) URL" })),
  token: text,
  secrets: text,
  vars: text,
  "config-file": text,
  "dry-run": booleanInput(false),
  "hold-at": text,
  "skip-analysis": optionalBooleanInput(),
  resume: z.optional(
    z.enum(["promote", "abort"], { error: "expected promote or abort (or leave it empty)" }),
  ),
  drill: z.optional(
    z.enum(["rollback", "restore"], { error: "expected rollback or restore (or leave it empty)" }),
  ),
  "override-freeze": z.optional(
    z.string().check(z.maxLength(500, { error: "expected a reason of at most 500 characters" })),
  ),
});
type Inputs = z.infer<typeof Inputs>;

interface Outputs {
  "deployment-id": string;
  result: string;
  version: string;
  "previous-version": string;
  "environment-url": string;
  report: string;
  notifications?: string;
  drill?: string;
}

/** A version input checked as semver, named by its input when it is not. */
function versionInput(inputs: Inputs, name: "version" | "rollback-to"): string | undefined {
  const value = inputs[name];
  if (value === undefined) return undefined;
  try {
    return parseVersion(value);
  } catch (error) {
    throw new ConfigurationError({ path: `input "${name}"`, message: (error as Error).message });
  }
}

function overrides(inputs: Inputs): DeployOverrides {
  const given = <K extends string>(key: K, value: string | undefined) =>
    value !== undefined && value !== "" ? { [key]: value } : {};
  return {
    ...given("strategy", inputs.strategy),
    ...given("steps", inputs.steps),
    ...given("timeout", inputs.timeout),
    ...given("switch-buffer", inputs["switch-buffer"]),
    ...given("on-inconclusive", inputs["on-inconclusive"]),
    ...given("hold-at", inputs["hold-at"]),
    ...(inputs["skip-analysis"] !== undefined ? { "skip-analysis": inputs["skip-analysis"] } : {}),
    ...(inputs.drill === "restore" ? { restoreDrill: true } : {}),
    hooks: {
      ...given("deploy", inputs["deploy-command"]),
      ...given("traffic", inputs["traffic-command"]),
      ...given("promote", inputs["promote-command"]),
      ...given("rollback", inputs["rollback-command"]),
    },
  };
}

/** Everything checked before anything is deployed: inputs, environment file, hooks, token. */
async function prepare(step: StepContext) {
  const inputs = readInputs(Inputs, step.env, ["token", "secrets"]);
  step.useReferenceInputs(inputs);
  const version = versionInput(inputs, "version") ?? "";
  if (version === "" && !inputs.resume)
    throw new ConfigurationError({
      path: 'input "version"',
      message: "the version to deploy is required (only a resume takes it from the held rollout)",
    });
  const rollbackTo = versionInput(inputs, "rollback-to");
  const environment = await step.environmentOrInputs(inputs["config-dir"], inputs.environment);
  const pushgateway = inputs["pushgateway-url"];
  const configuration: DeployConfiguration = configureDeploy(
    environment,
    overrides(inputs),
    step.lookup,
    {
      ...(pushgateway ? { pushgateway } : {}),
    },
  );
  const token = inputs.token ?? step.env.GITHUB_TOKEN;
  if (!token) {
    throw new ConfigurationError({
      path: 'input "token"',
      message: "a token is required to record the deployment: pass github.token (the default)",
    });
  }
  step.secrets.add(token, ...configuration.secrets);
  const client = step.github(token);
  const records = new DeploymentRecords(client, step.repository());
  const drill = drillOf(inputs, environment);
  return { inputs, version, rollbackTo, environment, configuration, client, records, drill };
}

/**
 * The drill asked for, checked before anything runs: the environment may be drilled, declares
 * recovery.rto, and the run is a fresh one (a drill is never resumed, held or planned).
 */
function drillOf(inputs: Inputs, environment: Parameters<typeof admitDrill>[0]) {
  const kind = inputs.drill;
  if (!kind) return undefined;
  const clash = inputs.resume ? "resume" : inputs["dry-run"] ? "dry-run" : undefined;
  if (clash)
    throw new ConfigurationError({
      path: 'input "drill"',
      message: `a drill runs a fresh deploy or restore; it does not take ${clash}`,
    });
  admitDrill(environment, kind);
  return { kind, objectives: drillObjectives(environment, kind) };
}

/** The override-freeze reason, trimmed; none when empty. */
function overrideFreeze(inputs: Inputs): { overrideFreeze?: string } {
  const reason = inputs["override-freeze"]?.trim();
  return reason ? { overrideFreeze: reason } : {};
}

/** What `prepare` read and checked, for the deploy or its dry run. */
type Prepared = Awaited<ReturnType<typeof prepare>>;

/** The rendered configuration for hooks: an absolute path, which must exist when given. */
function configFileOf(step: StepContext, inputs: Inputs): { configFile?: string } {
  const given = inputs["config-file"];
  if (given === undefined) return {};
  const configFile = resolve(step.workspace, given);
  if (!existsSync(configFile)) {
    throw new ConfigurationError({
      path: 'input "config-file"',
      message: `${given} does not exist: render it first (env-config's output-file)`,
    });
  }
  return { configFile };
}

/** SIGTERM and SIGINT (a cancelled job) stop the rollout, which then restores stable. */
function cancellation(step: StepContext): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: string) => {
    step.log.warning(`received ${signal}: stopping the rollout and restoring stable`);
    controller.abort();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  return controller.signal;
}

async function main(step: StepContext): Promise<void> {
  if (step.state(STATE.isPost) === "true") return post(step);
  step.saveState(STATE.isPost, "true");
  // Listening from the first moment: a cancel before the rollout still ends with stable serving.
  const signal = cancellation(step);
  const prepared = await prepare(step);
  if (prepared.inputs["dry-run"]) return dryRun(step, prepared);
  if (prepared.drill?.kind === "restore") return restoreDrill(step, prepared, signal);
  const { inputs, version, rollbackTo, environment, configuration, client, records } = prepared;
  const drill = prepared.drill?.kind === "rollback" ? prepared.drill : undefined;
  const request = {
    environment,
    configuration,
    version,
    ...(rollbackTo ? { rollbackTo } : {}),
    force: inputs.force,
    ...(await runContext(step, inputs)),
    ...(inputs.resume ? { resume: inputs.resume } : {}),
    ...overrideFreeze(inputs),
    ...(drill ? { drill: { kind: "rollback" as const, objectives: drill.objectives } } : {}),
  };
  const result = await runDeploy(request, {
    records,
    client,
    log: step.log,
    secrets: step.secrets,
    saveState: step.saveState,
    signal,
    recorded: async (recorded, _outcome, verdict) => {
      step.setOutputs<Outputs>({
        "deployment-id": String(recorded.deploymentId),
        result: recorded.result,
        version: recorded.version,
        "previous-version": recorded.previousVersion ?? "",
        "environment-url": configuration.environmentUrl ?? "",
        report: JSON.stringify(recorded),
        ...(verdict ? { drill: JSON.stringify(verdict.payload) } : {}),
      });
      const drillPart = verdict ? `\n${renderDrillVerdict(verdict)}\n` : "";
      await step.appendSummary(renderDeploySummary(recorded) + drillPart);
    },
  });
  const { report, outcome, notifications, recordFailure } = result;
  if (notifications)
    step.setOutputs<Partial<Outputs>>({ notifications: JSON.stringify(notifications) });
  if (recordFailure) {
    step.fail();
    step.log.error(recordFailure, { title: "deploy: record" });
  }
  const aborted = inputs.resume === "abort" && report.result === "rolled-back";
  if (aborted) step.log.info(`the held rollout of ${report.version} was aborted: ${report.reason}`);
  if (result.drill) drillEnding(step, environment.name, result.drill);
  else if (report.result !== "deployed" && report.result !== "held" && !aborted) {
    step.fail();
    const ending =
      report.result === "rolled-back" ? `was rolled back to ${report.previousVersion}` : "failed";
    step.log.error(
      `deploy of ${report.version} to ${environment.name} ${ending}: ${report.reason}`,
      {
        title: "deploy",
      },
    );
  }
  // A cancelled deploy must not linger: its listeners would keep waiting for work that never comes.
  if (outcome.cancelled) process.exit(1);
}

/** What a deploy and a restore drill both take from the run: the ref, where, who, the config file. */
async function runContext(step: StepContext, inputs: Prepared["inputs"]) {
  return {
    ref: deploymentRef(await step.event(), step.env.GITHUB_SHA, inputs.ref),
    repository: step.repository(),
    ...(step.runUrl ? { runUrl: step.runUrl } : {}),
    serverUrl: step.serverUrl,
    workspace: step.workspace,
    lookup: step.lookup,
    notify: inputs.notify,
    ...configFileOf(step, inputs),
  };
}

/** A drill's step passes when the drill did, whatever the faulty build's own result. */
function drillEnding(step: StepContext, environment: string, drill: DrillVerdict): void {
  if (drill.payload.passed) {
    step.log.info(`${drill.payload.kind} drill of ${environment}: ${drill.reason}`);
    return;
  }
  step.fail();
  step.log.error(`${drill.payload.kind} drill of ${environment}: ${drill.reason}`, {
    title: "deploy drill",
  });
}

/** A restore drill: the restore hook, the health checks, the verdict, one record. */
async function restoreDrill(
  step: StepContext,
  prepared: Prepared,
  signal: AbortSignal,
): Promise<void> {
  const { inputs, version, environment, configuration, client, records, drill } = prepared;
  if (!drill) return;
  const result = await runRestoreDrill(
    {
      environment,
      configuration,
      version,
      objectives: drill.objectives,
      ...(await runContext(step, inputs)),
    },
    { records, client, log: step.log, secrets: step.secrets, signal },
  );
  step.setOutputs<Partial<Outputs>>({
    "deployment-id": String(result.deploymentId),
    result: result.drill.payload.passed ? "drill-passed" : "drill-failed",
    version,
    "environment-url": configuration.environmentUrl ?? "",
    report: JSON.stringify(result),
    drill: JSON.stringify(result.drill.payload),
    ...(result.notifications ? { notifications: JSON.stringify(result.notifications) } : {}),
  });
  await step.appendSummary(renderRestoreDrillSummary(environment.name, version, result));
  drillEnding(step, environment.name, result.drill);
}

/**
 * dry-run: inputs, environment file and recent deployments read and checked as for a deploy, and
 * the plan shown (log, summary, the report output); no hook runs and nothing is recorded.
 */
async function dryRun(step: StepContext, prepared: Prepared): Promise<void> {
  const { inputs, version, rollbackTo, environment, configuration, records } = prepared;
  if (inputs.resume)
    throw new ConfigurationError({
      path: 'input "dry-run"',
      message: "a dry run plans a fresh rollout; it does not plan a resume",
    });
  const request = {
    environment,
    configuration,
    version,
    ...(rollbackTo ? { rollbackTo } : {}),
    force: inputs.force,
    ref: "",
    repository: step.repository(),
    serverUrl: step.serverUrl,
    workspace: step.workspace,
    lookup: step.lookup,
    notify: false,
    ...configFileOf(step, inputs),
    ...overrideFreeze(inputs),
  };
  const checks = (environment.document.health?.checks ?? []).map((check) => check.name);
  const plan = await planFresh(request, { log: step.log, secrets: step.secrets, records }, checks);
  for (const line of planLines(plan)) step.log.info(line);
  step.setOutputs<Partial<Outputs>>({
    version,
    "previous-version": plan.previousVersion ?? "",
    "environment-url": configuration.environmentUrl ?? "",
    report: JSON.stringify(plan),
  });
  await step.appendSummary(renderPlanSummary(plan));
}

async function post(step: StepContext): Promise<void> {
  const saved = (name: string) => {
    const text = step.state(name);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const leftover: Leftover = {
    stage: step.state(STATE.stage),
    deployment: saved(STATE.deployment) as SavedDeployment | undefined,
    outcome: saved(STATE.outcome) as Leftover["outcome"],
  };
  if (!needsPost(leftover) || !leftover.deployment) return;
  const { inputs, environment, configuration, records } = await prepare(step);
  const context = { ...step, environment, configuration, records, ...configFileOf(step, inputs) };
  await finishRecord(leftover.deployment, leftover, context);
}

await runAction("deploy", main);
