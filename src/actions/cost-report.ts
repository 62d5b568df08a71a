// cost-report: what a pull request does to each environment's bill (mode pr), and scheduled digests
// of what was actually spent from FOCUS exports (mode digest).
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import * as z from "zod/mini";
import { BEHAVIORS, parseThreshold, TAG } from "../cost/comment-plan.js";
import { loadRateCards } from "../cost/defaults.js";
import { publishDigestIssue } from "../cost/digest-issue.js";
import { expandFocusFiles, runDigest } from "../cost/digest-mode.js";
import { PeriodError, periodText, resolvePeriod } from "../cost/digest/period.js";
import { digestJson, digestText, digestTitle, renderDigest } from "../cost/digest/render.js";
import { loadCatalog, loadOverlay } from "../cost/inputs.js";
import { plainDecimal } from "../cost/money.js";
import {
  pullRequestFromPayload,
  runPullRequestMode,
  type PullRequestOutcome,
} from "../cost/pr-mode.js";
import type { Notice } from "../cost/notice.js";
import { postWebhook } from "../cost/webhook.js";
import { layerEnvironment } from "../config/layering.js";
import { announce, announcePorts, runLink } from "../notify/announce.js";
import { ConfigurationError } from "../shared/errors.js";
import type { EnvironmentDirectory } from "../runtime/environment-directory.js";
import { booleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";

const Inputs = z.object({
  mode: z._default(z.enum(["pr", "digest"]), "pr"),
  "config-dir": z._default(z.string(), "environments"),
  pricing: z.optional(z.string()),
  rates: z.optional(z.string()),
  "base-ref": z.optional(z.string()),
  behavior: z._default(z.enum(BEHAVIORS), "update"),
  "comment-threshold": z.optional(
    z.string().check(
      z.refine((text) => parseThreshold(text) !== undefined, {
        error: "expected an amount such as 10 or a percentage such as 5%",
      }),
    ),
  ),
  tag: z.optional(
    z.string().check(z.regex(TAG, { error: "expected letters, digits, '.', '_' or '-'" })),
  ),
  "fail-on-budget": booleanInput(false),
  "terraform-plan": z.optional(z.string()),
  "usage-file": z.optional(z.string()),
  "focus-files": z.optional(z.string()),
  period: z._default(z.string(), "month"),
  "tag-key": z._default(z.string().check(z.minLength(1)), "environment"),
  "digest-issue": booleanInput(false),
  "webhook-url": z.optional(z.url({ protocol: /^https?$/, error: "expected an http(s) URL" })),
  token: z.optional(z.string()),
  notify: booleanInput(true),
});
type Inputs = z.infer<typeof Inputs>;

interface Outputs {
  "total-monthly-delta"?: string;
  report?: string;
  "comment-url"?: string;
  "total-billed"?: string;
  "total-effective"?: string;
  "issue-url"?: string;
}

function report(step: StepContext, notices: readonly Notice[]): void {
  for (const notice of notices) {
    if (notice.level === "warning") step.log.warning(notice.message, { title: "cost-report" });
    else step.log.notice(notice.message, { title: "cost-report" });
  }
}

/** The price catalog, GitHub's runner rate cards and the user's overlay of them. */
function loadPricing(step: StepContext, inputs: Inputs) {
  return Promise.all([
    loadCatalog(step.workspace, inputs.pricing),
    loadRateCards(),
    loadOverlay(step.workspace, inputs.rates),
  ]);
}

async function pullRequestMode(step: StepContext, inputs: Inputs): Promise<void> {
  const event = pullRequestFromPayload((await step.event()) ?? {});
  const plan = inputs["terraform-plan"];
  // With plans, environments are optional: a repository may price its Terraform alone.
  const directory =
    plan && !existsSync(resolve(step.workspace, inputs["config-dir"]))
      ? undefined
      : await step.environments(inputs["config-dir"]);
  const [catalog, rateCards, overlay] = await loadPricing(step, inputs);
  const threshold = inputs["comment-threshold"]
    ? parseThreshold(inputs["comment-threshold"])
    : undefined;
  const runId = Number(step.env.GITHUB_RUN_ID);
  const outcome = await runPullRequestMode({
    workspace: step.workspace,
    ...(directory ? { directory } : {}),
    ...(plan ? { terraformPlan: plan } : {}),
    ...(inputs["usage-file"] ? { usageFile: inputs["usage-file"] } : {}),
    configPath: relative(step.workspace, resolve(step.workspace, inputs["config-dir"])) || ".",
    repository: step.repository(),
    event,
    ...(inputs["base-ref"] ? { baseRef: inputs["base-ref"] } : {}),
    catalog,
    rateCards,
    overlay,
    behavior: inputs.behavior,
    ...(threshold ? { threshold } : {}),
    ...(inputs.tag ? { tag: inputs.tag } : {}),
    client: step.github(inputs.token ?? ""),
    ...(Number.isSafeInteger(runId) ? { runId } : {}),
    ...(step.runUrl ? { runUrl: step.runUrl } : {}),
    now: () => new Date(),
  });
  report(step, outcome.notices);
  step.setOutputs<Outputs>({
    "total-monthly-delta": plainDecimal(outcome.report.totalDelta),
    report: JSON.stringify(outcome.json),
    "comment-url": outcome.comment?.url || undefined,
  });
  await step.appendSummary(outcome.markdown);
  step.log.info(outcome.markdown.split("\n\n")[1] ?? "");
  const comment = outcome.comment;
  if (comment && comment.plan.action !== "skip") {
    const done = comment.plan.action === "update" ? "updated" : "posted";
    step.log.info(`Comment ${done}: ${comment.url ?? ""}`);
  }
  // Budgets belong to environment files; plan projects have none.
  if (directory) await reportBudgets(step, inputs, directory, outcome.report.environments);
}

/** Environments this pull request pushes over budget: warned (or failed), and announced. */
async function reportBudgets(
  step: StepContext,
  inputs: Inputs,
  directory: EnvironmentDirectory,
  environments: PullRequestOutcome["report"]["environments"],
): Promise<void> {
  const broken = environments.filter((environment) => environment.budget?.broken);
  for (const environment of broken) {
    const message = `this pull request pushes ${environment.name} over its budget: ${budgetShare(environment)}`;
    const at = { title: "cost-report: over budget" };
    if (inputs["fail-on-budget"]) step.log.error(message, at);
    else step.log.warning(message, at);
  }
  if (inputs["fail-on-budget"] && broken.length > 0) step.fail();
  if (!inputs.notify) return;
  for (const environment of broken) {
    await announceBreach(step, directory, environment.name, {
      title: `A pull request would push ${environment.name} over its budget`,
      text: `${budgetShare(environment)} after this change`,
    });
  }
}

function budgetShare(environment: PullRequestOutcome["report"]["environments"][number]): string {
  const budget = environment.budget!;
  return (
    `${budget.after.usedPercent.toFixed(1)}% of ${plainDecimal(budget.budget.monthly)} ` +
    `${environment.currency} a month`
  );
}

/** Sends budget-breach to the environment's notify channels; best-effort. */
async function announceBreach(
  step: StepContext,
  directory: EnvironmentDirectory,
  name: string,
  what: { title: string; text: string },
): Promise<void> {
  let environment;
  try {
    environment = layerEnvironment(await directory.sources(name));
  } catch {
    return; // Not an environment of environments/ (a FOCUS tag without a file): nowhere to send.
  }
  await announce(
    environment,
    { kind: "budget-breach", ...what, facts: [], links: runLink(step.runUrl) },
    announcePorts({ ...step, title: "cost-report notify" }),
  );
}

function digestPeriod(inputs: Inputs) {
  try {
    return resolvePeriod(inputs.period, new Date());
  } catch (error) {
    if (!(error instanceof PeriodError)) throw error;
    throw new ConfigurationError({
      path: 'input "period"',
      message: `${error.message} (got ${JSON.stringify(inputs.period)})`,
    });
  }
}

/** The environments directory when there is one: a digest works from FOCUS files alone. */
async function optionalDirectory(step: StepContext, configDir: string) {
  try {
    return await step.environments(configDir);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return undefined;
  }
}

async function digestMode(step: StepContext, inputs: Inputs): Promise<void> {
  const focusFiles = inputs["focus-files"];
  if (!focusFiles) {
    throw new ConfigurationError({
      path: 'input "focus-files"',
      message: "is required in digest mode (a FOCUS CSV or Parquet file, or a glob)",
    });
  }
  const period = digestPeriod(inputs);
  const files = await expandFocusFiles(step.workspace, focusFiles);
  const directory = await optionalDirectory(step, inputs["config-dir"]);
  const repository = step.repository();
  const client = inputs.token ? step.github(inputs.token) : undefined;
  if (inputs["digest-issue"] && !client) {
    throw new ConfigurationError({
      path: 'input "token"',
      message: "is required to create the digest issue",
    });
  }
  const [catalog, rateCards, overlay] = await loadPricing(step, inputs);
  const outcome = await runDigest({
    workspace: step.workspace,
    files,
    period,
    tagKey: inputs["tag-key"],
    ...(directory ? { directory } : {}),
    commitmentDiscount: catalog.commitmentDiscount,
    ...(client ? { ci: { client, repository, rateCards, overlay } } : {}),
  });
  report(step, outcome.notices);
  const markdown = renderDigest(outcome.report);
  step.setOutputs<Outputs>({
    "total-billed": plainDecimal(outcome.report.total.billed),
    "total-effective": plainDecimal(outcome.report.total.effective),
    report: JSON.stringify(digestJson(outcome.report)),
  });
  await step.appendSummary(markdown);
  step.log.info(markdown.split("\n\n")[1] ?? "");
  let link = step.runUrl;
  if (inputs["digest-issue"] && client) {
    const title = digestTitle(outcome.report);
    const issue = await publishDigestIssue(client, repository, periodText(period), title, markdown);
    step.setOutputs<Outputs>({ "issue-url": issue.url });
    step.log.info(`Digest issue #${issue.number} ${issue.action}: ${issue.url}`);
    link = issue.url;
  }
  if (inputs.notify && directory) {
    const over = outcome.report.environments.filter(
      (candidate) => candidate.budget?.standing.status === "over",
    );
    for (const environment of over) {
      await announceBreach(step, directory, environment.name, {
        title: `${environment.name} is over its budget for ${periodText(period)}`,
        text: `${environment.budget?.standing.usedPercent.toFixed(1)}% of its budget for the period spent`,
      });
    }
  }
  if (inputs["webhook-url"]) {
    const delivered = await postWebhook(inputs["webhook-url"], digestText(outcome.report, link));
    if (delivered.ok) step.log.info("Digest sent to the webhook");
    else {
      const why = delivered.error ?? "unknown error";
      step.log.warning(`the webhook did not take the digest (${why})`, { title: "cost-report" });
    }
  }
}

async function main(step: StepContext): Promise<void> {
  const inputs = readInputs(Inputs, step.env, ["webhook-url", "token"]);
  step.secrets.add(inputs["webhook-url"], inputs.token);
  if (inputs.mode === "pr") await pullRequestMode(step, inputs);
  else await digestMode(step, inputs);
}

await runAction("cost-report", main);
