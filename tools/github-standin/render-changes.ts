// How pull requests, reviews, check runs, commit statuses and run approvals look on the wire: the
// description's examples with the stand-in's records and addresses put in.
import { renderLogin, renderRepository } from "./render.js";
import { specExample, type JsonObject } from "./spec.js";
import type {
  CheckRunRecord,
  CommitStatusRecord,
  GitHubState,
  PullRequestRecord,
  RepositoryState,
  ReviewRecord,
  RunApprovalRecord,
} from "./state.js";

const nodeId = (kind: string, id: number): string =>
  Buffer.from(`0:${kind}${id}`).toString("base64");
const api = (state: GitHubState, repository: RepositoryState): string =>
  `${state.baseUrl}/repos/${repository.fullName}`;
const html = (state: GitHubState, repository: RepositoryState): string =>
  `${state.baseUrl}/${repository.fullName}`;

function branchSide(
  state: GitHubState,
  repository: RepositoryState,
  ref: string,
  sha: string,
): JsonObject {
  return {
    label: `${repository.owner.login}:${ref}`,
    ref,
    sha,
    user: renderLogin(state, repository.owner.login),
    repo: renderRepository(state, repository),
  };
}

/** `pull-request-simple`, as the commit's pull requests are listed. */
export function renderPullRequest(
  state: GitHubState,
  repository: RepositoryState,
  pull: PullRequestRecord,
): JsonObject {
  const example = (specExample("pull-request-simple-items") as unknown as JsonObject[])[0]!;
  const url = `${api(state, repository)}/pulls/${pull.number}`;
  const page = `${html(state, repository)}/pull/${pull.number}`;
  const issue = `${api(state, repository)}/issues/${pull.number}`;
  return {
    ...example,
    url,
    id: pull.id,
    node_id: nodeId("PullRequest", pull.id),
    html_url: page,
    diff_url: `${page}.diff`,
    patch_url: `${page}.patch`,
    issue_url: issue,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api(state, repository)}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${api(state, repository)}/statuses/${pull.headSha}`,
    number: pull.number,
    state: pull.mergedAt ? "closed" : "open",
    locked: false,
    active_lock_reason: null,
    title: pull.title,
    user: renderLogin(state, pull.author),
    body: null,
    labels: [],
    milestone: null,
    created_at: pull.createdAt,
    updated_at: pull.mergedAt ?? pull.createdAt,
    closed_at: pull.mergedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchSide(state, repository, pull.headRef, pull.headSha),
    base: branchSide(state, repository, pull.baseRef, pull.commits[0] ?? pull.headSha),
    _links: {
      self: { href: url },
      html: { href: page },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api(state, repository)}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api(state, repository)}/statuses/${pull.headSha}` },
    },
    author_association: "MEMBER",
    auto_merge: null,
    draft: false,
  };
}

export function renderReview(
  state: GitHubState,
  repository: RepositoryState,
  review: ReviewRecord,
): JsonObject {
  const pull = `${api(state, repository)}/pulls/${review.pullNumber}`;
  const page = `${html(state, repository)}/pull/${review.pullNumber}#pullrequestreview-${review.id}`;
  return {
    id: review.id,
    node_id: nodeId("PullRequestReview", review.id),
    user: renderLogin(state, review.user),
    body: review.body,
    state: review.state,
    html_url: page,
    pull_request_url: pull,
    _links: { html: { href: page }, pull_request: { href: pull } },
    submitted_at: review.submittedAt,
    commit_id: review.commitId,
    author_association: "MEMBER",
  };
}

export function renderCheckRun(
  state: GitHubState,
  repository: RepositoryState,
  run: CheckRunRecord,
): JsonObject {
  const example = (specExample("check-run-paginated").check_runs as JsonObject[])[0]!;
  const url = `${api(state, repository)}/check-runs/${run.id}`;
  return {
    ...example,
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId("CheckRun", run.id),
    external_id: "",
    url,
    html_url: `${html(state, repository)}/runs/${run.id}`,
    details_url: `${html(state, repository)}/runs/${run.id}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.name,
      summary: run.conclusion ?? run.status,
      text: null,
      annotations_count: 0,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    pull_requests: [],
  };
}

/** `GET .../commits/{ref}/status`: the latest status per context and their combined state. */
export function renderCombinedStatus(
  state: GitHubState,
  repository: RepositoryState,
  sha: string,
  statuses: readonly CommitStatusRecord[],
): JsonObject {
  const example = specExample("combined-commit-status");
  const latest = new Map<string, CommitStatusRecord>();
  for (const status of [...statuses].sort((a, b) => a.id - b.id))
    latest.set(status.context, status);
  const states = [...latest.values()].map((status) => status.state);
  const combined = states.some((item) => item === "failure" || item === "error")
    ? "failure"
    : states.length === 0 || states.some((item) => item === "pending")
      ? "pending"
      : "success";
  const statusTemplate = (example.statuses as JsonObject[])[0]!;
  return {
    state: combined,
    statuses: [...latest.values()].map((status) => ({
      ...statusTemplate,
      url: `${api(state, repository)}/statuses/${sha}`,
      id: status.id,
      node_id: nodeId("StatusContext", status.id),
      state: status.state,
      description: status.description,
      target_url: null,
      context: status.context,
      created_at: status.createdAt,
      updated_at: status.createdAt,
    })),
    sha,
    total_count: latest.size,
    repository: renderRepository(state, repository),
    commit_url: `${api(state, repository)}/commits/${sha}`,
    url: `${api(state, repository)}/commits/${sha}/status`,
  };
}

export function renderRunApproval(
  state: GitHubState,
  repository: RepositoryState,
  approval: RunApprovalRecord,
): JsonObject {
  return {
    environments: approval.environments.map((name) => {
      const record = repository.environments.get(name.toLowerCase());
      return {
        id: record?.id ?? 0,
        node_id: nodeId("Environment", record?.id ?? 0),
        name,
        url: `${api(state, repository)}/environments/${encodeURIComponent(name)}`,
        html_url: `${html(state, repository)}/deployments/activity_log?environments_filter=${encodeURIComponent(name)}`,
        created_at: record?.createdAt ?? repository.createdAt,
        updated_at: record?.updatedAt ?? repository.createdAt,
      };
    }),
    state: approval.state,
    user: renderLogin(state, approval.user),
    comment: approval.comment,
  };
}
