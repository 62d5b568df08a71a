// Reading the jobs of workflow runs from the Actions API for pricing (`/actions/runs/{id}/jobs`;
// the older run `timing` endpoints are closing down). Shared by pull request and digest modes.
import type { GitHubClient, Repository } from "../runtime/github.js";
import type { JobRecord } from "./ci-cost.js";
import type { Notice } from "./notice.js";

interface JobSummary {
  id: number;
  run_id: number;
  name: string;
  labels: string[];
  started_at: string;
  completed_at: string | null;
  conclusion: string | null;
}

/** Every job of every run (each attempt's jobs: `filter: all`), as the pricing reads them. */
export async function jobsOfRuns(
  client: GitHubClient,
  repository: Repository,
  runIds: readonly number[],
): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  for (const runId of runIds) {
    const list = (await client.paginate("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs", {
      ...repository,
      run_id: runId,
      filter: "all",
      per_page: 100,
    })) as unknown as JobSummary[];
    for (const job of list) {
      jobs.push({
        id: job.id,
        runId: job.run_id,
        name: job.name,
        labels: job.labels,
        startedAt: job.started_at,
        completedAt: job.completed_at,
        conclusion: job.conclusion,
      });
    }
  }
  return jobs;
}

/**
 * A token that cannot read workflow runs (403, 404) leaves the minutes out with a warning naming
 * the permission; any other error is thrown on.
 */
export function minutesLeftOut(error: unknown, notices: Notice[], what: string): undefined {
  const status = (error as { status?: unknown }).status;
  if (status !== 403 && status !== 404) throw error;
  notices.push({
    level: "warning",
    message: `${what} left out: the token cannot read workflow runs (HTTP ${String(status)}); grant actions: read`,
  });
  return undefined;
}
