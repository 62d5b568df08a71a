// canary-gate: promote or roll back a canary from real metrics, with a verdict that explains itself.
import { resolve } from "node:path";
import * as z from "zod/mini";
import { gateReportJson, renderGateSummary } from "../analysis/report.js";
import { SettingsSchema, type RawSettings } from "../schema/analysis.js";
import { planGate } from "../analysis/gate.js";
import { announce, runLink, stepPorts } from "../notify/announce.js";
import { runGate } from "../analysis/gate.js";
import { openEnvironmentDirectory } from "../runtime/environment-directory.js";
import { layerEnvironment } from "../config/layering.js";
import { parseYamlSource } from "../config/yaml-source.js";
import { ConfigurationError, throwIfProblems, type Problem } from "../shared/errors.js";
import { booleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import {
  appendSummary,
  logError,
  logInfo,
  logWarning,
  markFailed,
  registerSecret,
  setOutput,
} from "../runtime/runner.js";
import { scrubSecrets } from "../shared/secrets.js";
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

async function main(): Promise<void> {
  const inputs = readInputs(Inputs, process.env, ["bearer-token", "password"]);
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const secrets = [inputs["bearer-token"], inputs.password].filter((value): value is string =>
    Boolean(value),
  );
  secrets.forEach(registerSecret);
  if (!inputs.environment && !inputs.metrics) {
    throw new ConfigurationError({
      path: 'input "environment"',
      message: "give an environment (its analysis section) or a metrics input, or both",
    });
  }
  // Both input checks run before either is reported, so one run names every bad input.
  const problems: Problem[] = [];
  const failing = failOn(inputs["fail-on"], problems);
  const inputSettings = settingsFromInputs(inputs, problems);
  throwIfProblems(problems);
  const environment = inputs.environment
    ? layerEnvironment(
        await (
          await openEnvironmentDirectory(resolve(workspace, inputs["config-dir"]), workspace)
        ).sources(inputs.environment),
      )
    : undefined;
  const overrides = {
    settings: inputSettings,
    settingPath: (key: string) => `input "${key}"`,
    metrics: metricsInput(inputs.metrics),
  };
  const context = {
    canary: inputs.canary,
    baseline: inputs.baseline,
    version: inputs.version ?? inputs.canary,
  };
  const plan = planGate(environment, overrides, context, (name) => process.env[name]);
  plan.secrets.forEach(registerSecret);
  secrets.push(...plan.secrets);
  const scrub = (line: string): string => scrubSecrets(line, secrets);

  const { settings, metrics } = plan;
  logInfo(
    `Analysing ${metrics.length} metric(s): ${settings.count} measurement(s) every ${settings.intervalMs / 1000}s`,
  );
  for (const metric of metrics) {
    const queries =
      metric.kind === "threshold"
        ? metric.query
        : `canary: ${metric.queries.canary} | baseline: ${metric.queries.baseline}`;
    logInfo(
      scrub(
        `  ${metric.name} (${metric.kind}${metric.dryRun ? ", dry run" : ""}${metric.critical ? ", critical" : ""}): ${queries}`,
      ),
    );
  }
  const result = await runGate(plan, {
    auth: {
      bearerToken: inputs["bearer-token"],
      username: inputs.username,
      password: inputs.password,
    },
    log: (line) => logInfo(scrub(line)),
  });
  const reportContext = {
    environment: inputs.environment,
    canary: inputs.canary,
    baseline: inputs.baseline,
  };
  setOutput("verdict", result.verdict);
  setOutput("score", result.score.score === null ? "" : String(result.score.score));
  setOutput("report", scrub(gateReportJson(result, settings, reportContext)));
  await appendSummary(scrub(renderGateSummary(result, metrics, settings, reportContext)));
  const sentence = scrub(
    `canary-gate: ${result.verdict}, score ${result.score.score ?? "n/a"}: ${result.decision.reasons.join("; ")}`,
  );
  if (failing.has(result.verdict)) {
    markFailed();
    logError(sentence, { title: "canary-gate" });
  } else if (result.verdict !== "promote") {
    logWarning(sentence, { title: "canary-gate" });
  } else {
    logInfo(sentence);
  }
  if (result.verdict === "inconclusive" && environment && inputs.notify) {
    await announce(
      environment,
      {
        kind: "gate-inconclusive",
        title: `The canary gate could not judge ${inputs.canary ?? "the canary"} on ${environment.name}`,
        text: scrub(result.decision.reasons.join("\n")),
        facts: [
          ...(inputs.canary ? [{ name: "Canary", value: inputs.canary }] : []),
          ...(inputs.baseline ? [{ name: "Baseline", value: inputs.baseline }] : []),
          {
            name: "Score",
            value: result.score.score === null ? "n/a" : String(result.score.score),
          },
        ],
        links: runLink(process.env),
      },
      stepPorts("canary-gate notify", secrets),
    );
  }
}

await runAction("canary-gate", main);
