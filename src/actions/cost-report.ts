// cost-report: what a pull request does to each environment's bill (mode pr), and scheduled digests
// of what was actually spent from FOCUS exports (mode digest).
import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import * as z from "zod/mini";
import {
  openEnvironmentDirectory,
  type EnvironmentDirectory,
} from "../runtime/environment-directory.js";
import { BEHAVIORS, parseThreshold } from "../cost/comment-plan.js";
import { loadRateCards } from "../cost/defaults.js";
import { publishDigestIssue } from "../cost/digest-issue.js";
import { expandFocusFiles, runDigest } from "../cost/digest-mode.js";
import { PeriodError, periodText, resolvePeriod } from "../cost/digest/period.js";
import { digestJson, digestText, digestTitle, renderDigest } from "../cost/digest/render.js";
import { loadCatalog, loadOverlay } from "../cost/inputs.js";
import { plainDecimal } from "../cost/money.js";
import { pullRequestFromPayload, runPullRequestMode, type Notice } from "../cost/pr-mode.js";
import { postWebhook } from "../cost/webhook.js";
import { layerEnvironment } from "../config/layering.js";
import { announce, runLink, stepPorts } from "../notify/announce.js";
import { ConfigurationError } from "../shared/errors.js";
import { createGitHubClient } from "../runtime/github.js";
import { booleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import {
  appendSummary,
  logError,
  logInfo,
  logNotice,
  logWarning,
  markFailed,
  registerSecret,
  setOutput,
} from "../runtime/runner.js";

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
  "fail-on-budget": booleanInput(false),
  "focus-files": z.optional(z.string()),
  period: z._default(z.string(), "month"),
  "tag-key": z._default(z.string().check(z.minLength(1)), "environment"),
  "digest-issue": booleanInput(false),
  "webhook-url": z.optional(z.url({ protocol: /^https?$/, error: "expected an http(s) URL" })),
  token: z.optional(z.string()),
  notify: booleanInput(true),
});
type Settings = z.infer<typeof Inputs>;

const SECRET_INPUTS = ["webhook-url", "token"];
/** The secret inputs' values, kept to scrub notification log lines. */
const secretValues: string[] = [];

function repository(): { owner: string; repo: string } {
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo)
    throw new Error("GITHUB_REPOSITORY is not set: not running under a GitHub runner");
  return { owner, repo };
}

function report(notices: readonly Notice[]): void {
  for (const notice of notices)
    (notice.level === "warning" ? logWarning : logNotice)(notice.message, { title: "cost-report" });
}

async function pullRequestMode(inputs: Settings, workspace: string): Promise<void> {
  const payload = JSON.parse(
    await readFile(process.env.GITHUB_EVENT_PATH ?? "", "utf8").catch(() => "{}"),
  ) as unknown;
  const event = pullRequestFromPayload(payload);
  const configDir = resolve(workspace, inputs["config-dir"]);
  const directory = await openEnvironmentDirectory(configDir, workspace);
  const [catalog, rateCards, overlay] = await Promise.all([
    loadCatalog(workspace, inputs.pricing),
    loadRateCards(),
    loadOverlay(workspace, inputs.rates),
  ]);
  const threshold = inputs["comment-threshold"]
    ? parseThreshold(inputs["comment-threshold"])
    : undefined;
  const runId = Number(process.env.GITHUB_RUN_ID);
  const outcome = await runPullRequestMode({
    workspace,
    directory,
    configPath: relative(workspace, configDir) || ".",
    repository: repository(),
    event,
    ...(inputs["base-ref"] ? { baseRef: inputs["base-ref"] } : {}),
    catalog,
    rateCards,
    overlay,
    behavior: inputs.behavior,
    ...(threshold ? { threshold } : {}),
    client: createGitHubClient({ token: inputs.token ?? "" }),
    ...(Number.isSafeInteger(runId) ? { runId } : {}),
    now: () => new Date(),
  });
  report(outcome.notices);
  setOutput("total-monthly-delta", plainDecimal(outcome.report.totalDelta));
  setOutput("report", JSON.stringify(outcome.json));
  if (outcome.comment?.url) setOutput("comment-url", outcome.comment.url);
  await appendSummary(outcome.markdown);
  logInfo(outcome.markdown.split("\n\n")[1] ?? "");
  if (outcome.comment && outcome.comment.plan.action !== "skip")
    logInfo(
      `Comment ${outcome.comment.plan.action === "update" ? "updated" : "posted"}: ${outcome.comment.url ?? ""}`,
    );

  const broken = outcome.report.environments.filter((environment) => environment.budget?.broken);
  for (const environment of broken) {
    const message = `this pull request pushes ${environment.name} over its budget: ${environment.budget?.after.usedPercent.toFixed(1)}% of ${plainDecimal(environment.budget!.budget.monthly)} ${environment.currency} a month`;
    if (inputs["fail-on-budget"]) logError(message, { title: "cost-report: over budget" });
    else logWarning(message, { title: "cost-report: over budget" });
  }
  if (inputs["fail-on-budget"] && broken.length > 0) markFailed();
  if (inputs.notify && directory) {
    for (const environment of broken) {
      await announceBreach(directory, environment.name, {
        title: `A pull request would push ${environment.name} over its budget`,
        text: `${environment.budget?.after.usedPercent.toFixed(1)}% of ${plainDecimal(environment.budget!.budget.monthly)} ${environment.currency} a month after this change`,
      });
    }
  }
}

/** Sends budget-breach to the environment's notify channels; best-effort. */
async function announceBreach(
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
    { kind: "budget-breach", ...what, facts: [], links: runLink(process.env) },
    stepPorts("cost-report notify", [...secretValues]),
  );
}

async function digestMode(inputs: Settings, workspace: string): Promise<void> {
  if (!inputs["focus-files"])
    throw new ConfigurationError({
      path: 'input "focus-files"',
      message: "is required in digest mode (a FOCUS CSV or Parquet file, or a glob)",
    });
  let period;
  try {
    period = resolvePeriod(inputs.period, new Date());
  } catch (error) {
    if (error instanceof PeriodError)
      throw new ConfigurationError({
        path: 'input "period"',
        message: `${error.message} (got ${JSON.stringify(inputs.period)})`,
      });
    throw error;
  }
  const files = await expandFocusFiles(workspace, inputs["focus-files"]);
  let directory: EnvironmentDirectory | undefined;
  try {
    directory = await openEnvironmentDirectory(resolve(workspace, inputs["config-dir"]), workspace);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
  }
  const repo = repository();
  const client = inputs.token ? createGitHubClient({ token: inputs.token }) : undefined;
  if (inputs["digest-issue"] && !client)
    throw new ConfigurationError({
      path: 'input "token"',
      message: "is required to create the digest issue",
    });
  const [catalog, rateCards, overlay] = await Promise.all([
    loadCatalog(workspace, inputs.pricing),
    loadRateCards(),
    loadOverlay(workspace, inputs.rates),
  ]);
  const outcome = await runDigest({
    workspace,
    files,
    period,
    tagKey: inputs["tag-key"],
    ...(directory ? { directory } : {}),
    commitmentDiscount: catalog.commitmentDiscount,
    ...(client ? { ci: { client, repository: repo, rateCards, overlay } } : {}),
  });
  report(outcome.notices);
  const markdown = renderDigest(outcome.report);
  setOutput("total-billed", plainDecimal(outcome.report.total.billed));
  setOutput("total-effective", plainDecimal(outcome.report.total.effective));
  setOutput("report", JSON.stringify(digestJson(outcome.report)));
  await appendSummary(markdown);
  logInfo(markdown.split("\n\n")[1] ?? "");

  let link = process.env.GITHUB_RUN_ID
    ? `${process.env.GITHUB_SERVER_URL ?? "https://github.com"}/${repo.owner}/${repo.repo}/actions/runs/${process.env.GITHUB_RUN_ID}`
    : undefined;
  if (inputs["digest-issue"] && client) {
    const issue = await publishDigestIssue(
      client,
      repo,
      periodText(period),
      digestTitle(outcome.report),
      markdown,
    );
    setOutput("issue-url", issue.url);
    logInfo(`Digest issue #${issue.number} ${issue.action}: ${issue.url}`);
    link = issue.url;
  }
  if (inputs.notify && directory) {
    for (const environment of outcome.report.environments.filter(
      (candidate) => candidate.budget?.standing.status === "over",
    )) {
      await announceBreach(directory, environment.name, {
        title: `${environment.name} is over its budget for ${periodText(period)}`,
        text: `${environment.budget?.standing.usedPercent.toFixed(1)}% of its budget for the period spent`,
      });
    }
  }
  if (inputs["webhook-url"]) {
    const delivered = await postWebhook(inputs["webhook-url"], digestText(outcome.report, link));
    if (delivered.ok) logInfo("Digest sent to the webhook");
    else
      logWarning(`the webhook did not take the digest (${delivered.error ?? "unknown error"})`, {
        title: "cost-report",
      });
  }
}

async function main(): Promise<void> {
  const inputs = readInputs(Inputs, process.env, SECRET_INPUTS);
  for (const name of SECRET_INPUTS) {
    const value = inputs[name as "token" | "webhook-url"];
    if (value) {
      registerSecret(value);
      secretValues.push(value);
    }
  }
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  if (inputs.mode === "pr") await pullRequestMode(inputs, workspace);
  else await digestMode(inputs, workspace);
}

await runAction("cost-report", main);
