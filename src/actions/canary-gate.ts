// canary-gate: promote or roll back a canary from real metrics, with a verdict that explains itself.
import * as z from "zod/mini";
import type { AnalysisResult } from "../analysis/analysis.js";
import { addressSecrets, authSecrets, redactUserinfo } from "../analysis/endpoint.js";
import { planGate, runGate, type GatePlan } from "../analysis/gate.js";
import { gateReportJson, renderGateSummary } from "../analysis/report.js";
import type { LayeredEnvironment } from "../config/layering.js";
import { parseYamlSource } from "../config/yaml-source.js";
import { announce, announcePorts, runLink } from "../notify/announce.js";
import { booleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";
import { SettingsSchema, type RawSettings } from "../schema/analysis.js";
import { ConfigurationError, throwIfProblems, type Problem } from "../shared/errors.js";
import type { Logger } from "../shared/log.js";
import { issuesToProblems } from "../shared/validation.js";

const text = z.optional(z.string());
const VERDICTS = ["promote", "inconclusive", "rollback"] as const;

const Inputs = z.object({
  provider: text,
  address: text,
  metrics: text,
  environment: text,
  "config-dir": z._default(z.string(), "environments"),
  canary: text,
  baseline: text,
  version: text,
  interval: text,
  count: text,
  duration: text,
  "initial-delay": text,
  "failure-limit": text,
  "inconclusive-limit": text,
  "consecutive-error-limit": text,
  "consecutive-success-limit": text,
  "min-samples": text,
  "pass-score": text,
  "marginal-score": text,
  lookback: text,
  step: text,
  "query-timeout": text,
  "fail-on": z._default(z.string(), "rollback"),
  "bearer-token": text,
  username: text,
  password: text,
  notify: booleanInput(true),
  secrets: text,
  vars: text,
});
type Inputs = z.infer<typeof Inputs>;

const NUMERIC = [
  "count",
  "failure-limit",
  "inconclusive-limit",
  "consecutive-error-limit",
  "consecutive-success-limit",
  "min-samples",
  "pass-score",
  "marginal-score",
] as const;
const TEXTUAL = [
  "provider",
  "address",
  "interval",
  "duration",
  "initial-delay",
  "lookback",
  "step",
  "query-timeout",
] as const;

/** The settings given as inputs, validated by the same schema as the analysis section; problems go to `problems`. */
function settingsFromInputs(inputs: Inputs, problems: Problem[]): RawSettings {
  const raw: Record<string, unknown> = {};
  for (const key of TEXTUAL) if (inputs[key] !== undefined) raw[key] = inputs[key];
  for (const key of NUMERIC) {
    const value = inputs[key];
    if (value === undefined) continue;
    if (/^[+-]?\d+(\.\d+)?$/.test(value)) raw[key] = Number(value);
    else
      problems.push({
        path: `input "${key}"`,
        message: `expected a number, got ${JSON.stringify(value)}`,
      });
  }
  const parsed = SettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push(...issuesToProblems(parsed.error.issues, (path) => `input "${String(path[0])}"`));
  return {};
}

/** The verdicts that fail the step; an unknown one goes to `problems`. */
function failOn(value: string, problems: Problem[]): Set<string> {
  const verdicts = value.split(/[\s,]+/).filter(Boolean);
  if (verdicts.length === 1 && verdicts[0] === "none") return new Set();
  const unknown = verdicts.filter((verdict) => !(VERDICTS as readonly string[]).includes(verdict));
  if (unknown.length > 0)
    problems.push({
      path: 'input "fail-on"',
      message: `unknown verdict ${unknown.join(", ")}: use rollback, inconclusive, promote, or none`,
    });
  return new Set(verdicts);
}

function metricsInput(
  value: string | undefined,
): { metrics: unknown[]; path: string[] } | undefined {
  if (value === undefined) return undefined;
  const data = parseYamlSource('input "metrics"', value).data;
  if (!Array.isArray(data))
    throw new ConfigurationError({
      path: 'input "metrics"',
      message: "expected a YAML list of metrics",
    });
  return { metrics: data, path: ["metrics"] };
}

interface Outputs {
  verdict: string;
  score: string;
  report: string;
}

async function main(step: StepContext): Promise<void> {
  const inputs = readInputs(Inputs, step.env, ["bearer-token", "password", "secrets"]);
  step.useReferenceInputs(inputs);
  const auth = {
    bearerToken: inputs["bearer-token"],
    username: inputs.username,
    password: inputs.password,
  };
  // Credentials as given and as sent (Basic), and an address's userinfo, before anything is said.
  step.secrets.add(...authSecrets(auth), ...addressSecrets(inputs.address));
  if (!inputs.environment && !inputs.metrics) {
    throw new ConfigurationError({
      path: 'input "environment"',
      message: "give an environment (its analysis section) or a metrics input, or both",
    });
  }
  // Both input checks run before either is reported, so one run names every bad input.
  const problems: Problem[] = [];
  const failing = failOn(inputs["fail-on"], problems);
  const settings = settingsFromInputs(inputs, problems);
  throwIfProblems(problems);
  const environment = inputs.environment
    ? await step.environmentOrInputs(inputs["config-dir"], inputs.environment)
    : undefined;
  const overrides = {
    settings,
    settingPath: (key: string) => `input "${key}"`,
    metrics: metricsInput(inputs.metrics),
  };
  const { canary, baseline } = inputs;
  const context = { canary, baseline, version: inputs.version ?? canary };
  const plan = planGate(environment, overrides, context, step.lookup);
  step.secrets.add(...plan.secrets);
  logPlan(plan, step.log);
  // The inputs' credentials win; without any, the environment's analysis section gives them.
  const result = await runGate(plan, { auth, log: (line) => step.log.info(line) });
  const reportContext = { environment: inputs.environment, canary, baseline };
  step.setOutputs<Outputs>({
    verdict: result.verdict,
    score: result.score.score === null ? "" : String(result.score.score),
    report: gateReportJson(result, plan.settings, reportContext),
  });
  await step.appendSummary(renderGateSummary(result, plan.metrics, plan.settings, reportContext));
  const sentence =
    `canary-gate: ${result.verdict}, score ${result.score.score ?? "n/a"}: ` +
    result.decision.reasons.join("; ");
  if (failing.has(result.verdict)) {
    step.fail();
    step.log.error(sentence, { title: "canary-gate" });
  } else if (result.verdict !== "promote") {
    step.log.warning(sentence, { title: "canary-gate" });
  } else {
    step.log.info(sentence);
  }
  if (result.verdict === "inconclusive" && environment && inputs.notify) {
    await announceInconclusive(step, environment, inputs, result);
  }
}

function logPlan(plan: GatePlan, log: Logger): void {
  const { settings, metrics } = plan;
  log.info(
    `Analysing ${metrics.length} metric(s): ` +
      `${settings.count} measurement(s) every ${settings.intervalMs / 1000}s`,
  );
  for (const metric of metrics) {
    const queries =
      metric.kind === "threshold"
        ? redactUserinfo(metric.query)
        : `canary: ${redactUserinfo(metric.queries.canary)} | ` +
          `baseline: ${redactUserinfo(metric.queries.baseline)}`;
    const traits = `${metric.dryRun ? ", dry run" : ""}${metric.critical ? ", critical" : ""}`;
    log.info(`  ${metric.name} (${metric.kind}${traits}): ${queries}`);
  }
}

async function announceInconclusive(
  step: StepContext,
  environment: LayeredEnvironment,
  inputs: Inputs,
  result: AnalysisResult,
): Promise<void> {
  const score = result.score.score === null ? "n/a" : String(result.score.score);
  await announce(
    environment,
    {
      kind: "gate-inconclusive",
      title: `The canary gate could not judge ${inputs.canary ?? "the canary"} on ${environment.name}`,
      text: result.decision.reasons.join("\n"),
      facts: [
        ...(inputs.canary ? [{ name: "Canary", value: inputs.canary }] : []),
        ...(inputs.baseline ? [{ name: "Baseline", value: inputs.baseline }] : []),
        { name: "Score", value: score },
      ],
      links: runLink(step.runUrl),
    },
    announcePorts({ ...step, title: "canary-gate notify" }),
  );
}

await runAction("canary-gate", main);
