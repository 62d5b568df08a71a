// Pull request mode: price base and head, add the pull request's CI minutes, advise, and comment.
import { ConfigurationError } from "../shared/errors.js";
import type { GitHubClient, Repository } from "../runtime/github.js";
import type { EnvironmentDirectory } from "../runtime/environment-directory.js";
import { runStartTime } from "../runtime/sticky-comment.js";
import { readBaseFromApi, readBaseFromGit, type BaseFiles } from "./base-ref.js";
import type { Catalog } from "./catalog.js";
import { priceJobs, type CiCost, type RateCard, type RateOverlay } from "./ci-cost.js";
import { jobsOfRuns, minutesLeftOut } from "./ci-jobs.js";
import { CannotWriteError, publishComment, type CommentOutcome } from "./comment.js";
import { isMaterial, type Behavior, type Threshold } from "./comment-plan.js";
import { compareEnvironments } from "./compare.js";
import { priceBase, priceHead } from "./environments.js";
import {
  buildPullRequestReport,
  renderPullRequestReport,
  unpricedNotices,
  type PullRequestReport,
} from "./pr-report.js";
import { pullRequestReportJson } from "./pr-report-json.js";
import type { Notice } from "./notice.js";
import { recommendForPullRequest } from "./recommendations.js";
import { priceTerraformPlans } from "./terraform/load.js";
import { planProjectsJson, projectComparison, withPlanSections } from "./terraform/report.js";
import type { PlanProject } from "./terraform/price.js";

export interface PullRequestEvent {
  number: number;
  baseSha: string;
  headSha: string;
  headRef: string;
  /** `owner/name` of the head repository (a fork's, for pull requests from forks). */
  headRepository?: string;
}

/** Reads what pull request mode needs from a `pull_request` (or `pull_request_target`) payload. */
export function pullRequestFromPayload(payload: unknown): PullRequestEvent {
  const pr = (payload as { pull_request?: Record<string, unknown> } | undefined)?.pull_request as
    | {
        number?: number;
        base?: { sha?: string };
        head?: { sha?: string; ref?: string; repo?: { full_name?: string } | null };
      }
    | undefined;
  if (!pr || typeof pr.number !== "number" || !pr.base?.sha || !pr.head?.sha || !pr.head.ref) {
    throw new ConfigurationError({
      path: 'input "mode"',
      message: "pr mode runs on pull_request events: the event payload has no pull_request",
    });
  }
  return {
    number: pr.number,
    baseSha: pr.base.sha,
    headSha: pr.head.sha,
    headRef: pr.head.ref,
    ...(pr.head.repo?.full_name ? { headRepository: pr.head.repo.full_name } : {}),
  };
}

export interface PullRequestSettings {
  workspace: string;
  /** Undefined when only Terraform plans are priced (the config directory does not exist). */
  directory?: EnvironmentDirectory;
  /** Input `terraform-plan`: a plan JSON file or a glob of them, each priced as one project. */
  terraformPlan?: string;
  /** Input `usage-file`: monthly usage of the plans' resources. */
  usageFile?: string;
  /** The config directory relative to the workspace, as git and the contents API name it. */
  configPath: string;
  repository: Repository;
  event: PullRequestEvent;
  baseRef?: string;
  catalog: Catalog;
  rateCards: readonly RateCard[];
  overlay: RateOverlay;
  behavior: Behavior;
  threshold?: Threshold;
  /** Keys the sticky comment (input `tag`), so several cost-report steps keep a comment each. */
  tag?: string;
  client: GitHubClient;
  /** This workflow run (GITHUB_RUN_ID): its start time goes into the comment's marker. */
  runId?: number;
  /** This workflow run's page, linked from the report. */
  runUrl?: string;
  now: () => Date;
}

export interface PullRequestOutcome {
  report: PullRequestReport;
  /** The Terraform plans priced (input `terraform-plan`), each also in the report's environments. */
  projects: PlanProject[];
  markdown: string;
  json: unknown;
  comment?: CommentOutcome;
  /** The token could not write the comment (a fork's pull request): the summary has the report. */
  commentFallback: boolean;
  notices: Notice[];
}

export async function runPullRequestMode(
  settings: PullRequestSettings,
): Promise<PullRequestOutcome> {
  const notices: Notice[] = [];
  // Plans and head first: their problems are the author's to fix and fail the run before any API call.
  const projects = settings.terraformPlan
    ? await priceTerraformPlans({
        workspace: settings.workspace,
        plans: settings.terraformPlan,
        ...(settings.usageFile ? { usageFile: settings.usageFile } : {}),
        catalog: settings.catalog,
      })
    : [];
  const environments = settings.directory
    ? await compareEnvironmentFiles(settings, settings.directory, notices)
    : undefined;
  const comparisons = [...(environments?.comparisons ?? []), ...projects.map(projectComparison)];
  const ci = await pullRequestCi(settings, notices);
  const pricingSources = [
    ...settings.catalog.origins,
    ...(environments ? [environments.source] : []),
    ...projects.map((project) => `Terraform plan ${project.name}`),
    ...(settings.usageFile && projects.length > 0 ? [`usage from ${settings.usageFile}`] : []),
    ...(ci ? [`GitHub Actions rate cards ${ci.rateCards.join(", ") || "(none used)"}`] : []),
  ];
  const report = buildPullRequestReport(
    comparisons,
    recommendForPullRequest(comparisons),
    ci,
    pricingSources,
    { notes: environments?.notes ?? [], ...(settings.runUrl ? { runUrl: settings.runUrl } : {}) },
  );
  notices.push(...unpricedNotices(report));
  const markdown = withPlanSections(renderPullRequestReport(report), projects);
  const outcome: PullRequestOutcome = {
    report,
    projects,
    markdown,
    json: {
      ...(pullRequestReportJson(report) as object),
      ...(projects.length > 0 ? { terraform: planProjectsJson(projects) } : {}),
    },
    commentFallback: false,
    notices,
  };

  await commentOnPullRequest(settings, outcome);
  return outcome;
}

/** The environment files priced on the head (from disk) and the base (git or the API), compared. */
async function compareEnvironmentFiles(
  settings: PullRequestSettings,
  directory: EnvironmentDirectory,
  notices: Notice[],
) {
  const head = await priceHead(directory, settings.catalog);
  const currencies = new Set([...head.values()].map((side) => side.priced.currency));
  if (currencies.size > 1) {
    throw new ConfigurationError({
      path: "resources",
      message:
        `environments are priced in different currencies (${[...currencies].join(", ")}); ` +
        "use one catalog currency",
    });
  }

  const ref = settings.baseRef ?? settings.event.baseSha;
  const baseFiles = await readBase(settings, ref);
  const base = priceBase(
    baseFiles.files,
    directory.display,
    `base ${ref.slice(0, 12)}`,
    settings.catalog,
  );
  for (const { name, reason } of base.unreadable) {
    notices.push({
      level: "warning",
      message: `the base version of ${name} could not be priced (${reason}); it is compared as new`,
    });
  }
  const notes = baseFiles.missing
    ? [
        `The base has no environment files: ${baseFiles.missing}; every environment is compared as new.`,
      ]
    : [];
  for (const note of notes) notices.push({ level: "warning", message: note });
  return {
    comparisons: compareEnvironments(base.sides, head),
    source: `base read from ${baseFiles.via} at ${ref.slice(0, 12)}`,
    notes,
  };
}

/**
 * Posts or updates the sticky comment. A token that cannot write it (a fork's pull request) is no
 * failure: the report stays in the job summary and a warning says why.
 */
async function commentOnPullRequest(
  settings: PullRequestSettings,
  outcome: PullRequestOutcome,
): Promise<void> {
  const runTime = await runStartTime(
    settings.client,
    settings.repository,
    settings.runId,
    settings.now,
  );
  try {
    outcome.comment = await publishComment(
      settings.client,
      { ...settings.repository, issueNumber: settings.event.number },
      {
        content: outcome.markdown,
        runTime,
        behavior: settings.behavior,
        material: isMaterial(outcome.report, settings.threshold),
        ...(settings.tag ? { tag: settings.tag } : {}),
      },
    );
    if (outcome.comment.plan.action === "skip")
      outcome.notices.push({
        level: "notice",
        message: `no comment posted: ${outcome.comment.plan.reason}`,
      });
  } catch (error) {
    if (!(error instanceof CannotWriteError)) throw error;
    outcome.commentFallback = true;
    outcome.notices.push({
      level: "warning",
      message:
        `cannot comment on pull request #${settings.event.number} with this token (${error.message}); ` +
        "pull requests from forks get a read-only token. The report is in the job summary.",
    });
  }
}

async function readBase(settings: PullRequestSettings, ref: string): Promise<BaseFiles> {
  const fromGit = await readBaseFromGit(settings.workspace, settings.configPath, ref);
  return (
    fromGit ??
    (await readBaseFromApi(settings.client, settings.repository, settings.configPath, ref))
  );
}

interface RunSummary {
  id: number;
  head_sha: string;
  head_branch: string | null;
  pull_requests?: { number: number }[] | null;
  head_repository?: { full_name?: string } | null;
}

/** Jobs of every workflow run of this pull request's branch that belong to it, priced. */
async function pullRequestCi(
  settings: PullRequestSettings,
  notices: Notice[],
): Promise<CiCost | undefined> {
  const { client, repository, event } = settings;
  try {
    const runs = (await client.paginate("GET /repos/{owner}/{repo}/actions/runs", {
      ...repository,
      branch: event.headRef,
      per_page: 100,
    })) as unknown as RunSummary[];
    const fork =
      event.headRepository !== undefined &&
      event.headRepository.toLowerCase() !== `${repository.owner}/${repository.repo}`.toLowerCase();
    const ours = runs.filter(
      (run) =>
        run.head_sha === event.headSha ||
        (run.pull_requests ?? []).some((pr) => pr.number === event.number) ||
        // A fork's runs list no pull request: its branch in its repository identifies them.
        (fork && run.head_repository?.full_name === event.headRepository),
    );
    const jobs = await jobsOfRuns(
      client,
      repository,
      ours.map((run) => run.id),
    );
    return priceJobs(ours.length, jobs, settings.rateCards, settings.overlay);
  } catch (error) {
    return minutesLeftOut(error, notices, "CI minutes");
  }
}
