// health-verify: post-deploy health checks with conditions, probe thresholds and a version check.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import * as z from "zod/mini";
import { openEnvironmentDirectory } from "../runtime/environment-directory.js";
import { layerEnvironment, type LayeredEnvironment } from "../config/layering.js";
import { parseYamlSource } from "../config/yaml-source.js";
import { prepareChecks, type CheckSource } from "../health/checks.js";
import { probeHttp } from "../health/http-probe.js";
import { healthReportJson, renderHealthSummary } from "../health/report.js";
import { verifyChecks } from "../health/verify.js";
import { announce, runLink, stepPorts } from "../notify/announce.js";
import { ConfigurationError } from "../shared/errors.js";
import { booleanInput, integerInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import {
  appendSummary,
  logError,
  logGroup,
  logInfo,
  markFailed,
  registerSecret,
  setOutput,
} from "../runtime/runner.js";
import { scrubSecrets } from "../shared/secrets.js";

const Inputs = z.object({
  environment: z.optional(z.string()),
  "config-dir": z._default(z.string(), "environments"),
  checks: z.optional(z.string()),
  concurrency: integerInput(10, 1, 200),
  "expect-version": z.optional(z.string()),
  insecure: booleanInput(false),
  "ca-file": z.optional(z.string()),
  notify: booleanInput(true),
});

async function checkSources(
  inputs: z.infer<typeof Inputs>,
  workspace: string,
): Promise<{ sources: CheckSource[]; environment?: LayeredEnvironment }> {
  const sources: CheckSource[] = [];
  let environment: LayeredEnvironment | undefined;
  if (inputs.environment) {
    const directory = await openEnvironmentDirectory(
      resolve(workspace, inputs["config-dir"]),
      workspace,
    );
    environment = layerEnvironment(await directory.sources(inputs.environment));
    const checks = environment.document.health?.checks;
    if (checks !== undefined)
      sources.push({ checks, path: ["health", "checks"], locate: environment.locate });
  }
  if (inputs.checks) {
    // Problems in the input are named by key path (checks[0].url); it has no file to annotate.
    sources.push({
      checks: parseYamlSource('input "checks"', inputs.checks).data,
      path: ["checks"],
    });
  }
  return { sources, ...(environment ? { environment } : {}) };
}

async function main(): Promise<void> {
  const inputs = readInputs(Inputs);
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  if (!inputs.environment && !inputs.checks) {
    throw new ConfigurationError({
      path: 'input "environment"',
      message: "give an environment (its health.checks) or a checks input, or both",
    });
  }
  const { sources, environment } = await checkSources(inputs, workspace);
  const prepared = prepareChecks(sources, (name) => process.env[name]);
  if ("problems" in prepared) throw new ConfigurationError(prepared.problems);
  if (prepared.checks.length === 0) {
    throw new ConfigurationError({
      path: "health.checks",
      message: `no checks to run for ${inputs.environment ?? "the checks input"}`,
    });
  }
  for (const secret of prepared.secrets) registerSecret(secret);
  const scrub = (text: string): string => scrubSecrets(text, prepared.secrets);
  const ca = inputs["ca-file"] ? await readCa(resolve(workspace, inputs["ca-file"])) : undefined;

  logInfo(
    `Verifying ${prepared.checks.length} check(s), ${inputs.concurrency} at a time${inputs["expect-version"] ? `, expecting version ${inputs["expect-version"]}` : ""}`,
  );
  const reports = await verifyChecks(prepared.checks, {
    concurrency: inputs.concurrency,
    ...(inputs["expect-version"] ? { expectVersion: inputs["expect-version"] } : {}),
    insecure: inputs.insecure,
    ...(ca ? { ca } : {}),
    request: probeHttp,
    progress: (check, line) => logInfo(scrub(`[${check.name}] ${line}`)),
  });

  for (const report of reports) {
    await logGroup(
      `${report.healthy ? "✓" : "✗"} ${report.name}: ${report.verdict} after ${report.attempts.length} attempt(s)`,
      () => {
        for (const [index, attempt] of report.attempts.entries()) {
          logInfo(
            scrub(
              `attempt ${index + 1}: ${attempt.passed ? "pass" : "fail"}${attempt.connected ? `, HTTP ${attempt.status}` : `, ${attempt.error}`}, ${attempt.responseTimeMs}ms`,
            ),
          );
          for (const condition of attempt.conditions) {
            logInfo(
              scrub(
                `  ${condition.success ? "✓" : "✗"} ${condition.condition}: saw ${condition.actual}${condition.reason ? ` (${condition.reason})` : ""}`,
              ),
            );
          }
        }
      },
    );
  }
  const failed = reports.filter((report) => !report.healthy);
  setOutput("healthy", String(failed.length === 0));
  setOutput("failed-checks", JSON.stringify(failed.map((report) => report.name)));
  setOutput("report", scrub(healthReportJson(reports)));
  await appendSummary(scrub(renderHealthSummary(reports, inputs.environment)));
  if (failed.length > 0) {
    markFailed();
    for (const report of failed)
      logError(scrub(`check "${report.name}" failed: ${report.failure ?? report.verdict}`), {
        title: "health-verify",
      });
    if (environment && inputs.notify) {
      await announce(
        environment,
        {
          kind: "verification-failed",
          title: `${failed.length} of ${reports.length} health check(s) failed on ${environment.name}`,
          text: scrub(
            failed
              .map((report) => `${report.name}: ${report.failure ?? report.verdict}`)
              .join("\n"),
          ),
          facts: inputs["expect-version"]
            ? [{ name: "Expected version", value: inputs["expect-version"] }]
            : [],
          links: runLink(process.env),
        },
        stepPorts("health-verify notify", [...prepared.secrets]),
      );
    }
  }
}

async function readCa(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigurationError({
      path: 'input "ca-file"',
      message: `cannot read ${path}: ${(error as Error).message}`,
    });
  }
}

await runAction("health-verify", main);
