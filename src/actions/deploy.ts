// deploy: take a version to an environment with a strategy, record it as a GitHub Deployment, and
// roll back on its own when anything fails. The same bundle is the `post` step, which restores
// traffic when the main step was killed mid-rollout.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import * as z from "zod/mini";
import { planGate, runGate, type GatePlan } from "../analysis/gate.js";
import { openEnvironmentDirectory } from "../runtime/environment-directory.js";
import { layerEnvironment, type LayeredEnvironment } from "../config/layering.js";
import { resolveReferences } from "../config/references.js";
import { formatKeyPath } from "../config/yaml-source.js";
import { runContext, type RunContext } from "../deploy/context.js";
import { hookEnvironment, renderHook, type HookKind, type HookValues } from "../deploy/hooks.js";
import {
  DeploymentRecords,
  selectCurrent,
  selectRollbackTarget,
  selectRunning,
  type DeploymentPayload,
} from "../deploy/records.js";
import { buildReport, renderDeploySummary } from "../deploy/report.js";
import { runRollout, type HealthOutcome, type RolloutPlan } from "../deploy/rollout.js";
import { runHook, type HookRun } from "../deploy/run-hook.js";
import { resolveDeploySettings, type DeploySettings } from "../deploy/settings.js";
import { parseVersion } from "../deploy/version.js";
import { prepareChecks } from "../health/checks.js";
import { probeHttp } from "../health/http-probe.js";
import { verifyChecks } from "../health/verify.js";
import { ConfigurationError } from "../shared/errors.js";
import { createGitHubClient, type GitHubClient } from "../runtime/github.js";
import { booleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import {
  appendSummary,
  logError,
  logInfo,
  logWarning,
  markFailed,
  registerSecret,
  saveState,
  setOutput,
} from "../runtime/runner.js";
import { scrubSecrets } from "../shared/secrets.js";
import { afterDeploy } from "../notify/after-deploy.js";
import { sendHttp } from "../notify/http.js";
import { resolveNotify, type ResolvedNotify } from "../notify/settings.js";

const text = z.optional(z.string());
const Inputs = z.object({
  environment: z.string(),
  version: z.string(),
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
});
type Inputs = z.infer<typeof Inputs>;

interface Prepared {
  inputs: Inputs;
  version: string;
  environment: LayeredEnvironment;
  settings: DeploySettings;
  environmentUrl?: string;
  gate?: GatePlan;
  records: DeploymentRecords;
  client: GitHubClient;
  notify: ResolvedNotify;
  context: RunContext;
  secrets: string[];
  workspace: string;
}

async function readEvent(): Promise<unknown> {
  const path = process.env.GITHUB_EVENT_PATH;
  if (!path) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/** Everything checked before anything is deployed: inputs, environment file, hooks, gate, token. */
async function prepare(): Promise<Prepared> {
  const inputs = readInputs(Inputs, process.env, ["token"]);
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  let version: string;
  try {
    version = parseVersion(inputs.version);
  } catch (error) {
    throw new ConfigurationError({ path: 'input "version"', message: (error as Error).message });
  }
  const rollbackTo = inputs["rollback-to"];
  if (rollbackTo !== undefined) {
    try {
      parseVersion(rollbackTo);
    } catch (error) {
      throw new ConfigurationError({
        path: 'input "rollback-to"',
        message: (error as Error).message,
      });
    }
  }
  const directory = await openEnvironmentDirectory(
    resolve(workspace, inputs["config-dir"]),
    workspace,
  );
  const environment = layerEnvironment(await directory.sources(inputs.environment));
  const lookup = (name: string) => process.env[name];
  const resolved = resolveReferences(
    { deploy: environment.document.deploy ?? {}, url: environment.document.url },
    lookup,
    (path) => ({ path: formatKeyPath(path), at: environment.locate(path) }),
  );
  if (resolved.problems.length > 0) throw new ConfigurationError(resolved.problems);
  const { deploy, url } = resolved.value as { deploy: unknown; url?: string };
  const settings = resolveDeploySettings(
    deploy,
    {
      ...(inputs.strategy !== undefined ? { strategy: inputs.strategy } : {}),
      ...(inputs.steps !== undefined ? { steps: inputs.steps } : {}),
      ...(inputs.timeout !== undefined ? { timeout: inputs.timeout } : {}),
      ...(inputs["switch-buffer"] !== undefined
        ? { "switch-buffer": inputs["switch-buffer"] }
        : {}),
      ...(inputs["on-inconclusive"] !== undefined
        ? { "on-inconclusive": inputs["on-inconclusive"] }
        : {}),
      hooks: {
        ...(inputs["deploy-command"] ? { deploy: inputs["deploy-command"] } : {}),
        ...(inputs["traffic-command"] ? { traffic: inputs["traffic-command"] } : {}),
        ...(inputs["promote-command"] ? { promote: inputs["promote-command"] } : {}),
        ...(inputs["rollback-command"] ? { rollback: inputs["rollback-command"] } : {}),
      },
    },
    (path) => environment.locate(path),
  );
  if ("problems" in settings) throw new ConfigurationError(settings.problems);
  const token = inputs.token ?? process.env.GITHUB_TOKEN;
  if (!token)
    throw new ConfigurationError({
      path: 'input "token"',
      message: "a token is required to record the deployment: pass github.token (the default)",
    });
  const context = runContext(process.env, await readEvent(), inputs.ref);
  const client = createGitHubClient({ token });
  const records = new DeploymentRecords(client, { owner: context.owner, repo: context.repo });
  const pushgateway = inputs["pushgateway-url"];
  const notify = resolveNotify(environment, lookup, pushgateway ? { pushgateway } : {});
  const secrets = [token, ...resolved.secrets, ...notify.secrets];
  secrets.forEach(registerSecret);
  return {
    inputs,
    version,
    environment,
    settings,
    ...(url ? { environmentUrl: url } : {}),
    records,
    client,
    notify,
    context,
    secrets,
    workspace,
  };
}

function hookRunner(prepared: Prepared, scrub: (line: string) => string) {
  return async (kind: HookKind, values: HookValues): Promise<HookRun> => {
    const template = prepared.settings.hooks[kind];
    if (!template)
      return { exitCode: 0, timedOut: false, durationMs: 0, tail: [`no ${kind} hook`] };
    const command = renderHook(template, values);
    logInfo(`::group::${kind} hook: ${scrub(command)}`);
    try {
      return await runHook({
        command,
        env: hookEnvironment(values),
        timeoutMs: prepared.settings.hookTimeoutMs,
        cwd: prepared.workspace,
        onLine: (line) => logInfo(scrub(line)),
      });
    } finally {
      logInfo("::endgroup::");
    }
  };
}

function healthRunner(prepared: Prepared, scrub: (line: string) => string) {
  return async (
    url: string | undefined,
    expectVersion: string,
  ): Promise<HealthOutcome | undefined> => {
    const checks = prepared.environment.document.health?.checks;
    if (checks === undefined) return undefined;
    if (url === undefined) {
      logInfo(
        "health checks skipped here: no URL for this target (set url, or deploy.slot-urls for slots)",
      );
      return undefined;
    }
    const lookup = (name: string) =>
      name === "SERVICE_URL" ? url.replace(/\/+$/, "") : process.env[name];
    const checked = prepareChecks(
      [{ checks, path: ["health", "checks"], locate: prepared.environment.locate }],
      lookup,
    );
    if ("problems" in checked) throw new ConfigurationError(checked.problems);
    const reports = await verifyChecks(checked.checks, {
      concurrency: 10,
      expectVersion,
      insecure: false,
      request: probeHttp,
      progress: (check, line) => logInfo(scrub(`[health ${check.name}] ${line}`)),
    });
    const failed = reports.filter((report) => !report.healthy);
    return {
      healthy: failed.length === 0,
      detail:
        failed.length === 0
          ? `${reports.length} check(s) healthy at ${url}`
          : failed
              .map((report) => `${report.name}: ${report.failure ?? report.verdict}`)
              .join("; "),
    };
  };
}

async function main(): Promise<void> {
  if (process.env.STATE_isPost === "true") return post();
  saveState("isPost", "true");
  const prepared = await prepare();
  const { settings, version, records, context, inputs } = prepared;
  const scrub = (line: string) => scrubSecrets(line, prepared.secrets);
  const environmentName = inputs.environment;

  // What runs now, what "last good" is, and whether another deploy is under way.
  const recent = await records.recent(environmentName);
  const running = selectRunning(recent);
  if (running.length > 0 && !inputs.force) {
    const other = running[0];
    throw new ConfigurationError({
      path: 'input "force"',
      message: `deployment #${other?.id} of ${other?.payload.version ?? other?.ref} to ${environmentName} is still ${other?.state}: wait for it, or set force: true if it is stale`,
    });
  }
  const current = selectCurrent(recent);
  const target = selectRollbackTarget(recent, version);
  const previousVersion = inputs["rollback-to"]
    ? parseVersion(inputs["rollback-to"])
    : target?.payload.version;
  const stableSlot =
    current?.payload.slot && settings.slots.includes(current.payload.slot)
      ? current.payload.slot
      : settings.slots[0];
  const targetSlot =
    settings.strategy === "rolling"
      ? stableSlot
      : (settings.slots.find((slot) => slot !== stableSlot) ?? settings.slots[1]);
  if (settings.strategy === "canary") {
    if (!previousVersion) {
      throw new ConfigurationError({
        path: 'input "strategy"',
        message: `a canary needs a stable version beside it, and ${environmentName} has no successful deployment yet: deploy the first version with rolling or blue-green`,
      });
    }
    const baseline = current?.payload.version ?? previousVersion;
    prepared.gate = planGate(
      prepared.environment,
      { settings: {}, settingPath: (key) => `analysis.${key}` },
      { canary: version, baseline, version },
      (name) => process.env[name],
    );
    prepared.gate.secrets.forEach(registerSecret);
    prepared.secrets.push(...prepared.gate.secrets);
  }

  const payload: DeploymentPayload = {
    version,
    strategy: settings.strategy,
    ...(previousVersion ? { previous_version: previousVersion } : {}),
    slot: targetSlot,
  };
  const production = prepared.environment.document.production ?? false;
  const transient = prepared.environment.document.transient ?? false;
  const statusOptions = (description: string) => ({
    description,
    ...(context.logUrl ? { logUrl: context.logUrl } : {}),
    ...(prepared.environmentUrl ? { environmentUrl: prepared.environmentUrl } : {}),
  });
  const startedAtMs = Date.now();
  const deploymentId = await records.create({
    ref: context.ref,
    environment: environmentName,
    payload,
    description: `${version} (${settings.strategy})`,
    production,
    transient,
  });
  await records.status(
    deploymentId,
    "in_progress",
    statusOptions(`deploying ${version} (${settings.strategy})`),
  );
  logInfo(
    `Deployment #${deploymentId}: ${version} to ${environmentName} with ${settings.strategy}${previousVersion ? `, previous ${previousVersion}` : ""}; new version in slot ${targetSlot}, stable in ${stableSlot}`,
  );
  saveState(
    "deployment",
    JSON.stringify({
      id: deploymentId,
      version,
      previousVersion,
      stableSlot,
      targetSlot,
      environment: environmentName,
    }),
  );

  const controller = new AbortController();
  const onSignal = (signal: string) => {
    logWarning(`received ${signal}: stopping the rollout and restoring stable`);
    controller.abort();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));

  const plan: RolloutPlan = {
    environment: environmentName,
    version,
    ...(previousVersion ? { previousVersion } : {}),
    stableSlot,
    targetSlot,
    ...(prepared.environmentUrl ? { environmentUrl: prepared.environmentUrl } : {}),
    settings,
  };
  const gatePlan = prepared.gate;
  const outcome = await runRollout(plan, {
    hook: hookRunner(prepared, scrub),
    health: healthRunner(prepared, scrub),
    gate: async (weight) => {
      if (!gatePlan) return { verdict: "promote", score: null, detail: "no gate" };
      logInfo(
        `canary gate at ${weight}%: ${gatePlan.metrics.length} metric(s), ${gatePlan.settings.count} round(s) every ${gatePlan.settings.intervalMs / 1000}s`,
      );
      const result = await runGate(gatePlan, {
        log: (line) => logInfo(scrub(`  [gate ${weight}%] ${line}`)),
        signal: controller.signal,
      });
      return {
        verdict: result.verdict,
        score: result.score.score,
        detail: result.decision.reasons.join("; "),
      };
    },
    now: () => Date.now(),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    log: (line) => logInfo(scrub(line)),
    checkpoint: (stage) => saveState("stage", stage),
    signal: controller.signal,
  });

  // The record: the deployment's final status, and the rollback as its own deployment.
  let rollbackDeploymentId: number | undefined;
  const finalState = outcome.cancelled
    ? "error"
    : outcome.result === "deployed"
      ? "success"
      : "failure";
  await records.status(
    deploymentId,
    finalState,
    statusOptions(outcome.result === "deployed" ? `${version} is live` : outcome.reason),
  );
  if (outcome.result === "rolled-back" && previousVersion) {
    rollbackDeploymentId = await records.create({
      ref: target?.ref ?? context.ref,
      environment: environmentName,
      payload: {
        version: previousVersion,
        strategy: "rollback",
        previous_version: version,
        slot: outcome.liveSlot,
        rollback_of: deploymentId,
      },
      description: `rollback to ${previousVersion} after ${version} failed`,
      production,
      transient,
    });
    await records.status(
      rollbackDeploymentId,
      "in_progress",
      statusOptions(`rolling back to ${previousVersion}`),
    );
    await records.status(
      rollbackDeploymentId,
      "success",
      statusOptions(`${previousVersion} restored`),
    );
  }
  saveState("stage", "recorded");

  const report = buildReport(
    {
      environment: environmentName,
      version,
      ...(previousVersion ? { previousVersion } : {}),
      strategy: settings.strategy,
      deploymentId,
      ...(rollbackDeploymentId ? { rollbackDeploymentId } : {}),
      ...(prepared.environmentUrl ? { environmentUrl: prepared.environmentUrl } : {}),
    },
    outcome,
  );
  setOutput("deployment-id", String(deploymentId));
  setOutput("result", outcome.result);
  setOutput("version", version);
  setOutput("previous-version", previousVersion ?? "");
  setOutput("environment-url", prepared.environmentUrl ?? "");
  setOutput("report", scrub(JSON.stringify(report)));
  await appendSummary(scrub(renderDeploySummary(report)));
  // Alerts, the incident issue and pipeline metrics: best-effort, after the record is complete.
  if (inputs.notify) {
    const server = process.env.GITHUB_SERVER_URL ?? "https://github.com";
    const after = await afterDeploy(
      {
        report,
        repository: { owner: context.owner, repo: context.repo },
        service: prepared.environment.document.service ?? context.repo,
        notify: prepared.notify,
        links: {
          ...(context.logUrl ? { runUrl: context.logUrl } : {}),
          deploymentsUrl: `${server}/${context.owner}/${context.repo}/deployments/${encodeURIComponent(environmentName)}`,
          ...(prepared.environmentUrl ? { environmentUrl: prepared.environmentUrl } : {}),
        },
        startedAtMs,
      },
      {
        client: prepared.client,
        send: sendHttp,
        now: () => Date.now(),
        info: (line) => logInfo(scrub(line)),
        warn: (line) => logWarning(scrub(line), { title: "deploy notify" }),
      },
    ).catch((error: unknown) => {
      logWarning(scrub(`notifications failed unexpectedly: ${(error as Error).message}`), {
        title: "deploy notify",
      });
      return undefined;
    });
    setOutput(
      "notifications",
      scrub(
        JSON.stringify(
          after ?? {
            deliveries: [],
            incidents: [],
            warnings: ["notifications failed unexpectedly"],
          },
        ),
      ),
    );
  }
  if (outcome.result !== "deployed") {
    markFailed();
    logError(
      scrub(
        `deploy of ${version} to ${environmentName} ${outcome.result === "rolled-back" ? `was rolled back to ${previousVersion}` : "failed"}: ${outcome.reason}`,
      ),
      { title: "deploy" },
    );
  }
  // A cancelled deploy must not linger: its listeners would keep waiting for work that never comes.
  if (outcome.cancelled) process.exit(1);
}

/**
 * The post step: when the main step died mid-rollout (killed, timed out) its saved stage is not
 * `recorded`; traffic goes back to stable and the deployment is marked `error`.
 */
async function post(): Promise<void> {
  const stage = process.env.STATE_stage;
  const saved = process.env.STATE_deployment;
  if (!saved || stage === undefined || stage === "recorded") return;
  const deployment = JSON.parse(saved) as {
    id: number;
    version: string;
    previousVersion?: string;
    stableSlot: string;
    targetSlot: string;
    environment: string;
  };
  logWarning(
    `the deploy of ${deployment.version} stopped at stage "${stage}" without recording its result: restoring stable and marking deployment #${deployment.id} as error`,
  );
  const prepared = await prepare();
  const scrub = (line: string) => scrubSecrets(line, prepared.secrets);
  const values: HookValues = {
    version: deployment.previousVersion ?? deployment.version,
    previous_version: deployment.previousVersion ?? "",
    slot: deployment.stableSlot,
    weight: "100",
    environment: deployment.environment,
  };
  if (stage !== "finished") {
    const kind: HookKind | undefined = prepared.settings.hooks.rollback
      ? "rollback"
      : prepared.settings.strategy === "rolling"
        ? undefined
        : "traffic";
    if (kind) {
      const run = await hookRunner(prepared, scrub)(kind, values);
      if (run.exitCode !== 0)
        logError(`restoring stable with the ${kind} hook failed (exit ${run.exitCode})`, {
          title: "deploy post",
        });
    }
  }
  await prepared.records.status(deployment.id, "error", {
    description: `stopped at stage ${stage}; stable restored by the post step`,
    ...(prepared.context.logUrl ? { logUrl: prepared.context.logUrl } : {}),
    ...(prepared.environmentUrl ? { environmentUrl: prepared.environmentUrl } : {}),
  });
}

await runAction("deploy", main);
