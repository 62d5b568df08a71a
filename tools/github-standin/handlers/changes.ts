// What a change went through before it was deployed: the pull requests a commit belongs to, their
// reviews, the checks and statuses on a commit, a branch's required checks, a run's approvals.
import type { Handler, StandInRequest } from "../http.js";
import {
  envelopeReply,
  errorBody,
  listReply,
  notFound,
  pathNumber,
  pathRecord,
  queryString,
  ReplyError,
  repositoryOf,
} from "../http.js";
import {
  renderCheckRun,
  renderCombinedStatus,
  renderPullRequest,
  renderReview,
  renderRunApproval,
} from "../render-changes.js";
import type { RepositoryState } from "../state.js";

/** A full sha as given, or the one commit a prefix names; GitHub's 422 otherwise. */
function commitSha(repository: RepositoryState, ref: string): string {
  if (repository.commits.has(ref)) return ref;
  const matches = [...repository.commits.keys()].filter(
    (sha) => ref.length >= 7 && sha.startsWith(ref),
  );
  if (matches.length === 1) return matches[0] as string;
  throw new ReplyError({ status: 422, body: errorBody(422, `No commit found for SHA: ${ref}`) });
}

/** Merged pull requests whose merge commit it is, and open or merged ones that contain it. */
const pullsOfCommit: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const sha = commitSha(repository, String(request.path.commit_sha));
  const pulls = [...repository.pullRequests.values()]
    .filter((pull) => pull.mergeCommitSha === sha || pull.commits.includes(sha))
    .sort((a, b) => a.number - b.number);
  return listReply(pulls, request, (pull) => renderPullRequest(state, repository, pull));
};

const pullOf = (request: StandInRequest, repository: RepositoryState) =>
  pathRecord(repository.pullRequests, request, "pull_number");

/** Oldest first, as GitHub lists them. */
const listReviews: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const pull = pullOf(request, repository);
  const reviews = repository.reviews
    .filter((review) => review.pullNumber === pull.number)
    .sort((a, b) => a.id - b.id);
  return listReply(reviews, request, (review) => renderReview(state, repository, review));
};

/** `filter=latest` (the default) keeps the newest run of each name; `check_name` filters by name. */
const checkRunsForRef: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const sha = commitSha(repository, String(request.path.ref));
  const name = queryString(request, "check_name");
  const all = repository.checkRuns
    .filter((run) => run.headSha === sha && (name === undefined || run.name === name))
    .sort((a, b) => b.id - a.id);
  const runs =
    queryString(request, "filter") === "all"
      ? all
      : all.filter((run, index) => all.findIndex((other) => other.name === run.name) === index);
  return envelopeReply("check_runs", runs, request, (run) =>
    renderCheckRun(state, repository, run),
  );
};

const combinedStatus: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const sha = commitSha(repository, String(request.path.ref));
  const statuses = repository.commitStatuses.filter((status) => status.sha === sha);
  return { status: 200, body: renderCombinedStatus(state, repository, sha, statuses) };
};

/** 404 "Branch not protected" for a branch without required checks, as GitHub answers. */
const requiredStatusChecks: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const branch = String(request.path.branch);
  const checks = repository.requiredChecks.get(branch);
  if (!checks) throw new ReplyError({ status: 404, body: errorBody(404, "Branch not protected") });
  const api = `${state.baseUrl}/repos/${repository.fullName}`;
  const url = `${api}/branches/${encodeURIComponent(branch)}/protection/required_status_checks`;
  return {
    status: 200,
    body: {
      url,
      strict: checks.strict,
      contexts: checks.contexts,
      checks: checks.contexts.map((context) => ({ context, app_id: null })),
      contexts_url: `${url}/contexts`,
    },
  };
};

const runApprovals: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const runId = pathNumber(request, "run_id");
  if (!repository.workflowRuns.has(runId)) throw notFound();
  const approvals = repository.runApprovals.filter((approval) => approval.runId === runId);
  return {
    status: 200,
    body: approvals.map((approval) => renderRunApproval(state, repository, approval)),
  };
};

export const changeHandlers: Record<string, Handler> = {
  "repos/list-pull-requests-associated-with-commit": pullsOfCommit,
  "pulls/list-reviews": listReviews,
  "checks/list-for-ref": checkRunsForRef,
  "repos/get-combined-status-for-ref": combinedStatus,
  "repos/get-status-checks-protection": requiredStatusChecks,
  "actions/get-reviews-for-run": runApprovals,
};
