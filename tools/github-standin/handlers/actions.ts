// Workflow runs and their jobs, as seeded by tests: listed with GitHub's filters, read one by one.
import type { Handler, StandInRequest } from "../http.js";
import { envelopeReply, getRecord, pathRecord, queryString, repositoryOf } from "../http.js";
import type { JsonObject } from "../spec.js";
import type { RepositoryState } from "../state.js";

/** The list filters GitHub applies, each against the field it names in a run. */
const RUN_FILTERS: Record<string, (run: JsonObject, wanted: string) => boolean> = {
  actor: (run, wanted) => (run.actor as JsonObject | null)?.login === wanted,
  branch: (run, wanted) => run.head_branch === wanted,
  event: (run, wanted) => run.event === wanted,
  // `status` matches either the status or the conclusion (`?status=success`).
  status: (run, wanted) => run.status === wanted || run.conclusion === wanted,
  head_sha: (run, wanted) => run.head_sha === wanted,
  check_suite_id: (run, wanted) => String(run.check_suite_id) === wanted,
  // GitHub's date-range syntax on created_at: `2026-01-01..2026-01-31`, `>=2026-01-01`, or one day.
  created: (run, wanted) => createdMatches(String(run.created_at), wanted),
};

function createdMatches(createdAt: string, wanted: string): boolean {
  const day = createdAt.slice(0, 10);
  const range = /^(\S+)\.\.(\S+)$/.exec(wanted);
  if (range)
    return (range[1] === "*" || day >= range[1]!) && (range[2] === "*" || day <= range[2]!);
  const compare = /^(>=|<=|>|<)(\S+)$/.exec(wanted);
  if (compare) {
    const bound = compare[2]!;
    return compare[1] === ">="
      ? day >= bound
      : compare[1] === "<="
        ? day <= bound
        : compare[1] === ">"
          ? day > bound
          : day < bound;
  }
  return day === wanted;
}

const runOf = (request: StandInRequest, repository: RepositoryState): JsonObject =>
  pathRecord(repository.workflowRuns, request, "run_id");

/** Newest first, in GitHub's `{ total_count, workflow_runs }` envelope. */
const listRuns: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const matching = [...repository.workflowRuns.values()]
    .filter((run) =>
      Object.entries(RUN_FILTERS).every(([name, matches]) => {
        const wanted = queryString(request, name);
        return wanted === undefined || matches(run, wanted);
      }),
    )
    .sort((a, b) => Number(b.id) - Number(a.id));
  const withoutPullRequests = request.query.exclude_pull_requests === true;
  return envelopeReply("workflow_runs", matching, request, (run) =>
    withoutPullRequests ? { ...run, pull_requests: [] } : run,
  );
};

/** Runs are stored as GitHub shows them. */
const getRun = getRecord(runOf, (_state, _repository, run) => run);

/** Oldest first, in GitHub's `{ total_count, jobs }` envelope. */
const listJobs: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const run = runOf(request, repository);
  const jobs = [...repository.jobs.values()]
    .filter((job) => job.run_id === run.id)
    .sort((a, b) => Number(a.id) - Number(b.id));
  return envelopeReply("jobs", jobs, request, (job) => job);
};

export const actionsHandlers: Record<string, Handler> = {
  "actions/list-workflow-runs-for-repo": listRuns,
  "actions/get-workflow-run": getRun,
  "actions/list-jobs-for-workflow-run": listJobs,
};
