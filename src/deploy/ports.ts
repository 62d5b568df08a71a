// The rollout's side effects for real: hooks run under their timeout, health checks against the
// slot or environment URL, and the canary gate, each logged through the step's scrubbing log.
import { runGate, type GatePlan } from "../analysis/gate.js";
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import { healthDetail, planHealth, runHealth } from "../health/plan.js";
import type { Logger } from "../shared/log.js";
import type { SecretRegistry } from "../shared/secrets.js";
import { hookEnvironment, renderHook, type HookKind, type HookValues } from "./hooks.js";
import type { GateOutcome, HealthOutcome } from "./rollout.js";
import { runHook, type HookRun } from "./run-hook.js";
import type { DeploySettings } from "./settings.js";

export interface PortContext {
  /** The rendered configuration handed to hooks ({{ config_file }}, SHIPGATE_CONFIG_FILE). */
  configFile?: string;
  settings: DeploySettings;
  environment: LayeredEnvironment;
  workspace: string;
  lookup: VariableLookup;
  log: Logger;
  secrets: SecretRegistry;
  /** A drill's faulty build, whose hooks get SHIPGATE_DRILL=1 (a restore drill: every hook). */
  drillVersion?: string;
}

/** A command template rendered with `values` and run in the workspace, its output in a log group. */
function runRendered(
  context: PortContext,
  what: string,
  template: string,
  values: HookValues,
  onStdout?: (line: string) => void,
  drill?: boolean,
): Promise<HookRun> {
  const all = { ...values, config_file: context.configFile ?? "" };
  const command = renderHook(template, all);
  return context.log.group(`${what}: ${command}`, () =>
    runHook({
      command,
      env: hookEnvironment(all, drill),
      timeoutMs: context.settings.hookTimeoutMs,
      cwd: context.workspace,
      onLine: (line) => context.log.info(line),
      ...(onStdout ? { onStdout } : {}),
    }),
  );
}

/**
 * Whether a drill's hook gets SHIPGATE_DRILL=1: every hook that puts out or serves the faulty
 * build, never one that restores stable (the rollback hook, a redeploy of the previous version).
 */
export function drillHook(
  context: Pick<PortContext, "drillVersion">,
  kind: HookKind,
  values: HookValues,
  restoring: boolean,
): boolean {
  if (context.drillVersion === undefined || restoring || kind === "rollback") return false;
  return kind === "restore" || values.version === context.drillVersion;
}

/** Runs the hook of `kind` with `values`; a missing hook is a success that did nothing. */
export function hookPort(context: PortContext) {
  return async (
    kind: HookKind,
    values: HookValues,
    options: { restoring?: boolean; onStdout?: (line: string) => void } = {},
  ): Promise<HookRun> => {
    const template = context.settings.hooks[kind];
    if (!template)
      return { exitCode: 0, timedOut: false, durationMs: 0, tail: [`no ${kind} hook`] };
    const drill =
      context.drillVersion !== undefined
        ? drillHook(context, kind, values, options.restoring ?? false)
        : undefined;
    const run = await runRendered(
      context,
      `${kind} hook${drill ? " (drill: SHIPGATE_DRILL=1)" : ""}`,
      template,
      values,
      options.onStdout,
      drill,
    );
    // Scrubbed here, whole: the tail is cut into details and 140-character statuses later, and a
    // secret cut in two would no longer be recognised.
    return { ...run, tail: run.tail.map((line) => context.secrets.scrub(line)) };
  };
}

/**
 * The environment's health checks against `url`, `${env:SERVICE_URL}` being that URL; undefined
 * when the environment has no checks, or no URL for this target.
 */
export function healthPort(context: PortContext) {
  return async (
    url: string | undefined,
    expectVersion: string,
  ): Promise<HealthOutcome | undefined> => {
    if (context.environment.document.health?.checks === undefined) return undefined;
    if (url === undefined) {
      context.log.info(
        "health checks skipped here: no URL for this target (set url, or deploy.slot-urls for slots)",
      );
      return undefined;
    }
    const serviceUrl = url.replace(/\/+$/, "");
    const lookup: VariableLookup = (name, kind) =>
      kind === "env" && name === "SERVICE_URL" ? serviceUrl : context.lookup(name, kind);
    const plan = planHealth({ environment: context.environment }, lookup);
    context.secrets.add(...plan.secrets);
    const reports = await runHealth(plan, {
      concurrency: 10,
      expectVersion,
      progress: (check, line) => context.log.info(`[health ${check.name}] ${line}`),
    });
    const outcome = healthDetail(reports);
    // A failure may quote the response (bodies echo headers): scrubbed before it is cut anywhere.
    const detail = context.secrets.scrub(outcome.detail);
    return { healthy: outcome.healthy, detail: outcome.healthy ? `${detail} at ${url}` : detail };
  };
}

/** The canary gate at a traffic step; without a plan (no canary), every step is promoted. */
export function gatePort(gate: GatePlan | undefined, log: Logger, signal: AbortSignal) {
  return async (weight: number): Promise<GateOutcome> => {
    if (!gate) return { verdict: "promote", score: null, detail: "no gate" };
    const { settings, metrics } = gate;
    log.info(
      `canary gate at ${weight}%: ${metrics.length} metric(s), ` +
        `${settings.count} round(s) every ${settings.intervalMs / 1000}s`,
    );
    const result = await runGate(gate, {
      log: (line) => log.info(`  [gate ${weight}%] ${line}`),
      signal,
    });
    return {
      verdict: result.verdict,
      score: result.score.score,
      detail: result.decision.reasons.join("; "),
    };
  };
}

/**
 * Runs a command whose output deploy reads (the instances command, the weights hook) with the
 * hook's placeholders; resolves to its whole output, and throws with its last lines on failure.
 */
export function outputPort(context: PortContext) {
  return async (what: string, template: string, values: HookValues): Promise<string> => {
    const lines: string[] = [];
    const run = await runRendered(context, what, template, values, (line) => lines.push(line));
    if (run.exitCode !== 0) {
      const last = run.tail
        .map((line) => context.secrets.scrub(line))
        .slice(-3)
        .join(" | ");
      const ending = run.timedOut ? "timed out" : `exited ${run.exitCode}`;
      throw new Error(`${what} ${ending}${last ? `: ${last}` : ""}`);
    }
    return lines.join("\n");
  };
}
