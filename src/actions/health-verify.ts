// health-verify: post-deploy health checks with conditions, probe thresholds and a version check.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import * as z from "zod/mini";
import { healthDetail, planHealth, runHealth } from "../health/plan.js";
import { healthReportJson, renderHealthSummary } from "../health/report.js";
import type { CheckReport } from "../health/verify.js";
import { announce, announcePorts, runLink } from "../notify/announce.js";
import { booleanInput, integerInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";
import { ConfigurationError } from "../shared/errors.js";
import type { Logger } from "../shared/log.js";

const Inputs = z.object({
  environment: z.optional(z.string()),
  "config-dir": z._default(z.string(), "environments"),
  checks: z.optional(z.string()),
  concurrency: integerInput(10, 1, 200),
  "expect-version": z.optional(z.string()),
  insecure: booleanInput(false),
  "ca-file": z.optional(z.string()),
  notify: booleanInput(true),
  secrets: z.optional(z.string()),
  vars: z.optional(z.string()),
});
type Inputs = z.infer<typeof Inputs>;

interface Outputs {
  healthy: string;
  "failed-checks": string;
  report: string;
}

async function main(step: StepContext): Promise<void> {
  const inputs = readInputs(Inputs, step.env, ["secrets"]);
  step.useReferenceInputs(inputs);
  if (!inputs.environment && !inputs.checks) {
    throw new ConfigurationError({
      path: 'input "environment"',
      message: "give an environment (its health.checks) or a checks input, or both",
    });
  }
  const environment = inputs.environment
    ? await step.environmentOrInputs(inputs["config-dir"], inputs.environment)
    : undefined;
  const plan = planHealth(
    {
      ...(environment ? { environment } : {}),
      ...(inputs.checks ? { checksInput: inputs.checks } : {}),
    },
    step.lookup,
  );
  if (plan.checks.length === 0) {
    throw new ConfigurationError({
      path: "health.checks",
      message: `no checks to run for ${inputs.environment ?? "the checks input"}`,
    });
  }
  step.secrets.add(...plan.secrets);
  const ca = inputs["ca-file"]
    ? await readCa(resolve(step.workspace, inputs["ca-file"]))
    : undefined;
  const expectVersion = inputs["expect-version"];
  step.log.info(
    `Verifying ${plan.checks.length} check(s), ${inputs.concurrency} at a time` +
      (expectVersion ? `, expecting version ${expectVersion}` : ""),
  );
  const reports = await runHealth(plan, {
    concurrency: inputs.concurrency,
    ...(expectVersion ? { expectVersion } : {}),
    insecure: inputs.insecure,
    ...(ca ? { ca } : {}),
    progress: (check, line) => step.log.info(`[${check.name}] ${line}`),
  });
  await logAttempts(reports, step.log);
  const { failed } = healthDetail(reports);
  step.setOutputs<Outputs>({
    healthy: String(failed.length === 0),
    "failed-checks": JSON.stringify(failed.map((report) => report.name)),
    report: healthReportJson(reports),
  });
  await step.appendSummary(renderHealthSummary(reports, inputs.environment));
  if (failed.length === 0) return;
  step.fail();
  for (const report of failed) {
    step.log.error(`check "${report.name}" failed: ${report.failure ?? report.verdict}`, {
      title: "health-verify",
    });
  }
  if (environment && inputs.notify) {
    await announce(
      environment,
      {
        kind: "verification-failed",
        title: `${failed.length} of ${reports.length} health check(s) failed on ${environment.name}`,
        text: failed
          .map((report) => `${report.name}: ${report.failure ?? report.verdict}`)
          .join("\n"),
        facts: expectVersion ? [{ name: "Expected version", value: expectVersion }] : [],
        links: runLink(step.runUrl),
      },
      announcePorts({ ...step, title: "health-verify notify" }),
    );
  }
}

/** Each check's attempts and conditions, in a collapsed group per check. */
async function logAttempts(reports: readonly CheckReport[], log: Logger): Promise<void> {
  for (const report of reports) {
    const mark = report.healthy ? "✓" : "✗";
    const title = `${mark} ${report.name}: ${report.verdict} after ${report.attempts.length} attempt(s)`;
    await log.group(title, () => {
      for (const [index, attempt] of report.attempts.entries()) {
        const status = attempt.connected ? `, HTTP ${attempt.status}` : `, ${attempt.error}`;
        const verdict = attempt.passed ? "pass" : "fail";
        log.info(`attempt ${index + 1}: ${verdict}${status}, ${attempt.responseTimeMs}ms`);
        for (const condition of attempt.conditions) {
          const reason = condition.reason ? ` (${condition.reason})` : "";
          const conditionMark = condition.success ? "✓" : "✗";
          log.info(`  ${conditionMark} ${condition.condition}: saw ${condition.actual}${reason}`);
        }
      }
    });
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
