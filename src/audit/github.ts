// Reading a deployment's change evidence from GitHub: the commits it brought (compare), their pull
// requests and reviews, the workflow run that deployed it and its environment approvals, the checks
// on the commit, the branch protection's required checks, and incident issues. Every judgement is
// in evidence.ts; this module only reads.
import type { GitHubClient, Repository } from "../runtime/github.js";
import { classify, type HistoryDeployment } from "../dora/metrics.js";
import { INCIDENT_LABEL, isIncidentOf, occurrenceMarker } from "../incidents/render.js";
import type {
  ApprovalFact,
  CheckFact,
  DeploymentFacts,
  PullRequestFact,
  RequiredChecks,
  RunFact,
} from "./evidence.js";

const CONCURRENCY = 6;
/** At most this many commits of one deployment (and its head) are traced to pull requests. */
const MAX_COMMITS = 100;

async function inBatches<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let index = 0; index < items.length; index += CONCURRENCY)
    results.push(...(await Promise.all(items.slice(index, index + CONCURRENCY).map(work))));
  return results;
}

const statusOf = (error: unknown): number | undefined => {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
};

/** The run id in a status's log URL (`.../actions/runs/123` or `.../runs/123/attempts/2`). */
export function runIdOf(url: string | undefined): number | undefined {
  const match = /\/actions\/runs\/(\d+)/.exec(url ?? "");
  return match ? Number(match[1]) : undefined;
}

/** The deployment an incident's occurrence comment records (deploy writes one per occurrence). */
function occurrenceOf(body: string): number | undefined {
  const match = /shipgate-incident-occurrence deployment=(\d+) /.exec(body);
  const id = match ? Number(match[1]) : undefined;
  return id !== undefined && body.includes(occurrenceMarker(id)) ? id : undefined;
}

/** Reads once what several deployments share: pull requests by commit, reviews by pull request. */
export class EvidenceReader {
  private readonly pullsByCommit = new Map<string, Promise<PullRequestFact[]>>();
  private readonly reviews = new Map<number, Promise<PullRequestFact["reviews"]>>();

  constructor(
    private readonly client: GitHubClient,
    private readonly repository: Repository,
  ) {}

  /** The input's list, else the default branch's required status checks when they can be read. */
  async requiredChecks(given: readonly string[]): Promise<RequiredChecks> {
    if (given.length > 0) return { names: given, source: "input" };
    const { data: repo } = await this.client.request("GET /repos/{owner}/{repo}", {
      ...this.repository,
    });
    try {
      const { data } = await this.client.request(
        "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks",
        { ...this.repository, branch: repo.default_branch },
      );
      const names = [
        ...new Set([
          ...(data.contexts ?? []),
          ...(data.checks ?? []).map((check) => check.context),
        ]),
      ];
      return { names, source: "branch protection" };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 403) throw error;
      const note =
        status === 404
          ? `${repo.default_branch} has no required status checks`
          : `the branch protection of ${repo.default_branch} could not be read (403)`;
      return { names: [], source: "none", note };
    }
  }

  /** Incident issues of the environment (open or closed) by the deployment each occurrence names. */
  async incidentsByDeployment(
    environment: string,
  ): Promise<Map<number, NonNullable<DeploymentFacts["incident"]>>> {
    const issues = await this.client.paginate("GET /repos/{owner}/{repo}/issues", {
      ...this.repository,
      state: "all",
      labels: INCIDENT_LABEL,
      per_page: 100,
    });
    const found = new Map<number, NonNullable<DeploymentFacts["incident"]>>();
    for (const issue of issues.filter(
      (item) => !item.pull_request && isIncidentOf(item.body, environment),
    )) {
      const comments = await this.client.paginate(
        "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        { ...this.repository, issue_number: issue.number, per_page: 100 },
      );
      for (const comment of comments) {
        const id = occurrenceOf(comment.body ?? "");
        if (id !== undefined && !found.has(id))
          found.set(id, {
            number: issue.number,
            url: issue.html_url,
            title: issue.title,
            state: issue.state,
          });
      }
    }
    return found;
  }

  /** The evidence of each change deployment of `environment` created in the window. */
  async deploymentFacts(
    history: readonly HistoryDeployment[],
    environment: string,
    window: { startMs: number; endMs: number },
  ): Promise<DeploymentFacts[]> {
    const mine = history.filter(
      (deployment) =>
        deployment.environment === environment && (deployment.task ?? "deploy") === "deploy",
    );
    const byId = new Map(mine.map((deployment) => [deployment.id, deployment]));
    const rollbacks = new Map(
      mine
        .filter((deployment) => deployment.rollbackOf !== undefined)
        .map((deployment) => [deployment.rollbackOf as number, deployment]),
    );
    const classified = classify(mine);
    const incidents = await this.incidentsByDeployment(environment);
    const wanted = classified.filter((deployment) => {
      const at = Date.parse(deployment.createdAt);
      return at >= window.startMs && at < window.endMs && byId.get(deployment.id)?.version;
    });
    return inBatches(wanted, async (deployment): Promise<DeploymentFacts> => {
      const record = byId.get(deployment.id) as HistoryDeployment;
      // What it brought: the commits since the deployment that was live when it started.
      const before = classified
        .filter(
          (other) =>
            other.outcome === "success" &&
            Date.parse(other.createdAt) < Date.parse(deployment.createdAt),
        )
        .at(-1);
      const [brought, runFacts, checks] = await Promise.all([
        this.broughtBy(before?.sha, deployment.sha),
        this.runFacts(record, environment),
        this.checks(deployment.sha),
      ]);
      const rollback = rollbacks.get(deployment.id);
      const incident = incidents.get(deployment.id);
      const last = [...record.statuses]
        .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
        .filter((status) => status.state !== "inactive")
        .at(-1);
      return {
        id: deployment.id,
        environment,
        ...(record.version ? { version: record.version } : {}),
        sha: deployment.sha,
        ...(record.strategy ? { strategy: record.strategy } : {}),
        createdAt: deployment.createdAt,
        ...(record.creator ? { creator: record.creator } : {}),
        outcome: deployment.outcome,
        ...(last?.description ? { resultDescription: last.description } : {}),
        analysisSkipped: record.analysisSkipped === true,
        ...(record.freezeOverride ? { freezeOverride: record.freezeOverride } : {}),
        ...brought,
        ...runFacts,
        checks,
        ...(rollback
          ? {
              rollback: {
                id: rollback.id,
                createdAt: rollback.createdAt,
                ...(rollback.version ? { version: rollback.version } : {}),
              },
            }
          : {}),
        ...(incident ? { incident } : {}),
      };
    });
  }

  /** The commits `head` brought since `base`, and the merged pull requests behind them. */
  private async broughtBy(
    base: string | undefined,
    head: string,
  ): Promise<
    Pick<DeploymentFacts, "commits" | "commitsTotal" | "commitsWithoutPullRequest" | "pullRequests">
  > {
    const { shas, total } = await this.commitsBetween(base, head);
    const pullsPerCommit = await inBatches(shas, (sha) => this.pullsOf(sha));
    const pulls = new Map<number, PullRequestFact>();
    pullsPerCommit.flat().forEach((pull) => pulls.set(pull.number, pull));
    return {
      commits: shas,
      commitsTotal: total,
      commitsWithoutPullRequest: shas.filter((_, index) => pullsPerCommit[index]?.length === 0),
      pullRequests: [...pulls.values()].sort((a, b) => a.number - b.number),
    };
  }

  /** The run named in the deployment's statuses, and its reviews for the environment. */
  private async runFacts(
    record: HistoryDeployment,
    environment: string,
  ): Promise<Pick<DeploymentFacts, "run" | "approvals">> {
    const runId = runIdOf(record.statuses.find((status) => status.logUrl)?.logUrl);
    if (runId === undefined) return { approvals: [] };
    const [run, approvals] = await Promise.all([
      this.run(runId),
      this.approvals(runId, environment),
    ]);
    return { ...(run ? { run } : {}), approvals };
  }

  /**
   * `base...head`'s commits, oldest first: the first page of the comparison (MAX_COMMITS) and the
   * head itself when it is beyond it; the head alone without a base. `total` counts them all.
   */
  private async commitsBetween(
    base: string | undefined,
    head: string,
  ): Promise<{ shas: string[]; total: number }> {
    if (base === undefined || base === head) return { shas: [head], total: 1 };
    const { data } = await this.client.request("GET /repos/{owner}/{repo}/compare/{basehead}", {
      ...this.repository,
      basehead: `${base}...${head}`,
      per_page: MAX_COMMITS,
    });
    const shas = data.commits.map((commit) => commit.sha);
    return {
      shas: shas.includes(head) ? shas : [...shas, head],
      total: Math.max(data.total_commits, shas.length, 1),
    };
  }

  /** The merged pull requests a commit belongs to, with their reviews. */
  private pullsOf(sha: string): Promise<PullRequestFact[]> {
    let pending = this.pullsByCommit.get(sha);
    if (!pending) {
      pending = (async () => {
        const pulls = await this.client.paginate(
          "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
          { ...this.repository, commit_sha: sha, per_page: 100 },
        );
        const merged = pulls.filter((pull) => pull.merged_at !== null);
        return Promise.all(
          merged.map(async (pull) => ({
            number: pull.number,
            title: pull.title,
            url: pull.html_url,
            author: pull.user?.login ?? "(unknown)",
            headSha: pull.head.sha,
            mergedAt: pull.merged_at,
            mergedCommitSha: pull.merge_commit_sha,
            reviews: await this.reviewsOf(pull.number),
          })),
        );
      })();
      this.pullsByCommit.set(sha, pending);
    }
    return pending;
  }

  private reviewsOf(number: number): Promise<PullRequestFact["reviews"]> {
    let pending = this.reviews.get(number);
    if (!pending) {
      pending = this.client
        .paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", {
          ...this.repository,
          pull_number: number,
          per_page: 100,
        })
        .then((reviews) =>
          reviews.map((review) => ({
            reviewer: review.user?.login ?? "(unknown)",
            state: review.state,
            commitId: review.commit_id ?? "",
            ...(review.submitted_at ? { submittedAt: review.submitted_at } : {}),
          })),
        );
      this.reviews.set(number, pending);
    }
    return pending;
  }

  /** The run, or undefined when it is gone (runs are deleted after the retention period). */
  private async run(runId: number): Promise<RunFact | undefined> {
    try {
      const { data } = await this.client.request(
        "GET /repos/{owner}/{repo}/actions/runs/{run_id}",
        {
          ...this.repository,
          run_id: runId,
        },
      );
      return {
        id: runId,
        url: data.html_url,
        ...(data.triggering_actor ? { triggeredBy: data.triggering_actor.login } : {}),
        ...(data.actor ? { actor: data.actor.login } : {}),
        event: data.event,
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  private async approvals(runId: number, environment: string): Promise<ApprovalFact[]> {
    try {
      const { data } = await this.client.request(
        "GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals",
        { ...this.repository, run_id: runId },
      );
      return data
        .filter((approval) =>
          approval.environments.some(
            (item) => item.name?.toLowerCase() === environment.toLowerCase(),
          ),
        )
        .map((approval) => ({
          reviewer: approval.user.login,
          state: approval.state,
          comment: approval.comment,
        }));
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw error;
    }
  }

  /** The latest check run per name and the latest commit status per context on the commit. */
  private async checks(sha: string): Promise<CheckFact[]> {
    const [runs, combined] = await Promise.all([
      this.client.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
        ...this.repository,
        ref: sha,
        per_page: 100,
      }),
      this.client.request("GET /repos/{owner}/{repo}/commits/{ref}/status", {
        ...this.repository,
        ref: sha,
        per_page: 100,
      }),
    ]);
    return [
      ...runs.map((run) => ({
        name: run.name,
        source: "check" as const,
        result: run.status === "completed" ? (run.conclusion ?? "completed") : "pending",
      })),
      ...combined.data.statuses.map((status) => ({
        name: status.context,
        source: "status" as const,
        result: status.state,
      })),
    ];
  }
}
