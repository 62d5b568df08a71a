// How records look on the wire: GitHub's JSON representations, with URLs on the stand-in's own address.
import { createHash } from "node:crypto";
import { specExample, type JsonObject } from "./spec.js";
import type {
  CommentRecord,
  DeploymentRecord,
  DeploymentStatusRecord,
  EnvironmentRecord,
  GitHubState,
  IssueRecord,
  BranchPatternRecord,
  LabelRecord,
  RepositoryState,
  TeamRecord,
  UserRecord,
} from "./state.js";

/** A GitHub-looking global node id; clients treat it as opaque. */
function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString("base64");
}

function repositoryApiUrl(state: GitHubState, repository: RepositoryState): string {
  return `${state.baseUrl}/repos/${repository.fullName}`;
}

function repositoryHtmlUrl(state: GitHubState, repository: RepositoryState): string {
  return `${state.baseUrl}/${repository.fullName}`;
}

export function renderUser(state: GitHubState, user: UserRecord): JsonObject {
  // Bot logins carry brackets (`github-actions[bot]`), which a URI must percent-encode.
  const login = encodeURIComponent(user.login);
  const url = `${state.baseUrl}/users/${login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId("User", user.id),
    avatar_url: `${state.baseUrl}/avatars/${user.id}`,
    gravatar_id: "",
    url,
    html_url: `${state.baseUrl}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    site_admin: false,
  };
}

/** `GET /users/{username}`: the public profile, a simple user plus the profile fields GitHub adds. */
export function renderPublicUser(state: GitHubState, user: UserRecord): JsonObject {
  const created = "2011-01-25T18:44:36Z";
  return {
    ...renderUser(state, user),
    user_view_type: "public",
    name: null,
    company: null,
    blog: "",
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: created,
    updated_at: created,
  };
}

/** A team as environment reviewers list it (GitHub's `team`). */
export function renderTeam(state: GitHubState, team: TeamRecord): JsonObject {
  const url = `${state.baseUrl}/organizations/${state.user(team.org)?.id ?? 0}/team/${team.id}`;
  return {
    id: team.id,
    node_id: nodeId("Team", team.id),
    url,
    html_url: `${state.baseUrl}/orgs/${encodeURIComponent(team.org)}/teams/${encodeURIComponent(team.slug)}`,
    name: team.name,
    slug: team.slug,
    description: null,
    privacy: "closed",
    notification_setting: "notifications_enabled",
    permission: "pull",
    members_url: `${url}/members{/member}`,
    repositories_url: `${url}/repos`,
    parent: null,
    type: "organization",
  };
}

/** `GET /orgs/{org}/teams/{team_slug}`: the team with its counts and organization (GitHub's `team-full`). */
export function renderTeamFull(state: GitHubState, team: TeamRecord): JsonObject {
  const example = specExample("team-full");
  const organization = state.user(team.org);
  const orgUrl = `${state.baseUrl}/orgs/${encodeURIComponent(team.org)}`;
  const { parent, ...simple } = renderTeam(state, team);
  return {
    ...simple,
    parent,
    members_count: 0,
    repos_count: 0,
    created_at: example.created_at,
    updated_at: example.updated_at,
    organization: {
      ...(example.organization as JsonObject),
      login: team.org,
      id: organization?.id ?? 0,
      node_id: nodeId("Organization", organization?.id ?? 0),
      url: orgUrl,
      repos_url: `${orgUrl}/repos`,
      events_url: `${orgUrl}/events`,
      hooks_url: `${orgUrl}/hooks`,
      issues_url: `${orgUrl}/issues`,
      members_url: `${orgUrl}/members{/member}`,
      public_members_url: `${orgUrl}/public_members{/member}`,
      html_url: `${state.baseUrl}/${encodeURIComponent(team.org)}`,
      name: team.org,
      archived_at: null,
    },
  };
}

/** A deployment branch or tag policy of an environment. */
export function renderBranchPattern(pattern: BranchPatternRecord): JsonObject {
  return {
    id: pattern.id,
    node_id: nodeId("GateBranchPolicy", pattern.id),
    name: pattern.name,
    type: pattern.type,
  };
}

/** Renders a user known by login; a login nobody seeded is a bug in the stand-in. */
export function renderLogin(state: GitHubState, login: string): JsonObject {
  const user = state.user(login);
  if (!user) throw new Error(`The stand-in has no user ${login}`);
  return renderUser(state, user);
}

/** `GET /repos/{owner}/{repo}`: the description's example, moved to this repository and address. */
export function renderRepository(state: GitHubState, repository: RepositoryState): JsonObject {
  const example = specExample("full-repository");
  // Fork and template details describe other repositories; a seeded repository is neither.
  for (const key of ["parent", "source", "template_repository", "organization", "temp_clone_token"])
    delete example[key];
  const api = repositoryApiUrl(state, repository);
  const html = repositoryHtmlUrl(state, repository);
  const retargeted = replaceInStrings(example, [
    ["https://api.github.com/repos/octocat/Hello-World", api],
    ["https://github.com/octocat/Hello-World", html],
  ]) as JsonObject;
  const host = new URL(state.baseUrl).host;
  return {
    ...retargeted,
    id: repository.id,
    node_id: nodeId("Repository", repository.id),
    name: repository.name,
    full_name: repository.fullName,
    owner: renderUser(state, repository.owner),
    description: null,
    homepage: null,
    git_url: `git://${host}/${repository.fullName}.git`,
    ssh_url: `git@${host}:${repository.fullName}.git`,
    svn_url: html,
    mirror_url: null,
    default_branch: "main",
    has_discussions: false,
    open_issues_count: openIssueCount(repository),
    open_issues: openIssueCount(repository),
    created_at: repository.createdAt,
    updated_at: repository.createdAt,
    pushed_at: repository.createdAt,
    ...repository.overrides,
  };
}

function openIssueCount(repository: RepositoryState): number {
  return [...repository.issues.values()].filter((issue) => issue.state === "open").length;
}

export function renderLabel(
  state: GitHubState,
  repository: RepositoryState,
  label: LabelRecord,
): JsonObject {
  return {
    id: label.id,
    node_id: nodeId("Label", label.id),
    url: `${repositoryApiUrl(state, repository)}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false,
  };
}

export function renderIssue(
  state: GitHubState,
  repository: RepositoryState,
  issue: IssueRecord,
): JsonObject {
  const url = `${repositoryApiUrl(state, repository)}/issues/${issue.number}`;
  const assignees = issue.assignees.map((login) => renderLogin(state, login));
  return {
    id: issue.id,
    node_id: nodeId("Issue", issue.id),
    url,
    repository_url: repositoryApiUrl(state, repository),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${repositoryHtmlUrl(state, repository)}/issues/${issue.number}`,
    number: issue.number,
    state: issue.state,
    state_reason: issue.stateReason,
    title: issue.title,
    body: issue.body,
    user: renderLogin(state, issue.author),
    labels: issue.labels.map((name) => {
      const label = repository.labels.get(name.toLowerCase());
      if (!label) throw new Error(`Issue #${issue.number} carries unknown label ${name}`);
      return renderLabel(state, repository, label);
    }),
    assignee: assignees[0] ?? null,
    assignees,
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: [...repository.comments.values()].filter(
      (comment) => comment.issueNumber === issue.number,
    ).length,
    closed_at: issue.closedAt,
    closed_by: issue.closedBy === null ? null : renderLogin(state, issue.closedBy),
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    author_association: authorAssociation(repository, issue.author),
  };
}

export function renderComment(
  state: GitHubState,
  repository: RepositoryState,
  comment: CommentRecord,
): JsonObject {
  return {
    id: comment.id,
    node_id: nodeId("IssueComment", comment.id),
    url: `${repositoryApiUrl(state, repository)}/issues/comments/${comment.id}`,
    html_url: `${repositoryHtmlUrl(state, repository)}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: renderLogin(state, comment.author),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${repositoryApiUrl(state, repository)}/issues/${comment.issueNumber}`,
    author_association: authorAssociation(repository, comment.author),
  };
}

function authorAssociation(repository: RepositoryState, login: string): string {
  return login.toLowerCase() === repository.owner.login.toLowerCase() ? "OWNER" : "NONE";
}

export function renderDeployment(
  state: GitHubState,
  repository: RepositoryState,
  deployment: DeploymentRecord,
): JsonObject {
  const url = deploymentApiUrl(state, repository, deployment);
  return {
    url,
    id: deployment.id,
    node_id: nodeId("Deployment", deployment.id),
    sha: deployment.sha,
    ref: deployment.ref,
    task: deployment.task,
    payload: deployment.payload,
    original_environment: deployment.originalEnvironment,
    environment: deployment.environment,
    description: deployment.description,
    creator: renderLogin(state, deployment.creator),
    created_at: deployment.createdAt,
    updated_at: deployment.updatedAt,
    statuses_url: `${url}/statuses`,
    repository_url: repositoryApiUrl(state, repository),
    transient_environment: deployment.transient,
    production_environment: deployment.production,
  };
}

function deploymentApiUrl(
  state: GitHubState,
  repository: RepositoryState,
  deployment: DeploymentRecord,
): string {
  return `${repositoryApiUrl(state, repository)}/deployments/${deployment.id}`;
}

export function renderDeploymentStatus(
  state: GitHubState,
  repository: RepositoryState,
  deployment: DeploymentRecord,
  status: DeploymentStatusRecord,
): JsonObject {
  return {
    url: `${deploymentApiUrl(state, repository, deployment)}/statuses/${status.id}`,
    id: status.id,
    node_id: nodeId("DeploymentStatus", status.id),
    state: status.state,
    creator: renderLogin(state, status.creator),
    description: status.description,
    environment: status.environment,
    target_url: status.targetUrl,
    log_url: status.logUrl,
    environment_url: status.environmentUrl,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    deployment_url: deploymentApiUrl(state, repository, deployment),
    repository_url: repositoryApiUrl(state, repository),
  };
}

function renderTeamById(state: GitHubState, id: number): JsonObject {
  const team = state.teamById(id);
  if (!team) throw new Error(`The stand-in has no team ${id}`);
  return renderTeam(state, team);
}

export function renderEnvironment(
  state: GitHubState,
  repository: RepositoryState,
  environment: EnvironmentRecord,
): JsonObject {
  const rules: JsonObject[] = [];
  if (environment.waitTimer) {
    const { ruleId, minutes } = environment.waitTimer;
    rules.push({
      id: ruleId,
      node_id: nodeId("Gate", ruleId),
      type: "wait_timer",
      wait_timer: minutes,
    });
  }
  if (environment.reviewers) {
    const { ruleId, preventSelfReview, users, teams = [] } = environment.reviewers;
    rules.push({
      id: ruleId,
      node_id: nodeId("Gate", ruleId),
      type: "required_reviewers",
      prevent_self_review: preventSelfReview,
      reviewers: [
        ...users.map((login) => ({ type: "User", reviewer: renderLogin(state, login) })),
        ...teams.map((id) => ({ type: "Team", reviewer: renderTeamById(state, id) })),
      ],
    });
  }
  if (environment.branchPolicy) {
    rules.push({
      id: environment.branchPolicy.ruleId,
      node_id: nodeId("Gate", environment.branchPolicy.ruleId),
      type: "branch_policy",
    });
  }
  const name = encodeURIComponent(environment.name);
  return {
    id: environment.id,
    node_id: nodeId("Environment", environment.id),
    name: environment.name,
    url: `${repositoryApiUrl(state, repository)}/environments/${name}`,
    html_url: `${repositoryHtmlUrl(state, repository)}/deployments/activity_log?environments_filter=${name}`,
    created_at: environment.createdAt,
    updated_at: environment.updatedAt,
    protection_rules: rules,
    deployment_branch_policy: environment.branchPolicy?.policy ?? null,
  };
}

/** A workflow run for a test to seed: the description's example, moved here, then `overrides`. */
export function buildWorkflowRun(
  state: GitHubState,
  repository: RepositoryState,
  id: number,
  overrides: JsonObject,
): JsonObject {
  const example = specExample("workflow-run");
  delete example.previous_attempt_url;
  const api = repositoryApiUrl(state, repository);
  const html = repositoryHtmlUrl(state, repository);
  const retargeted = replaceInStrings(example, [
    [
      "https://api.github.com/repos/octo-org/octo-repo/actions/runs/30433642",
      `${api}/actions/runs/${id}`,
    ],
    ["https://github.com/octo-org/octo-repo/actions/runs/30433642", `${html}/actions/runs/${id}`],
    ["https://api.github.com/repos/octo-org/octo-repo", api],
  ]) as JsonObject;
  const now = state.now();
  const headSha =
    typeof overrides.head_sha === "string" ? overrides.head_sha : fakeSha(`run ${id}`);
  const actor = renderUser(state, state.actor);
  const repositoryJson = renderRepository(state, repository);
  return {
    ...retargeted,
    id,
    node_id: nodeId("WorkflowRun", id),
    check_suite_id: id,
    check_suite_node_id: nodeId("CheckSuite", id),
    run_number: id,
    head_sha: headSha,
    head_commit: {
      ...(retargeted.head_commit as JsonObject),
      id: headSha,
      tree_id: fakeSha(`tree ${headSha}`),
    },
    actor,
    triggering_actor: actor,
    referenced_workflows: [],
    created_at: now,
    updated_at: now,
    run_started_at: now,
    repository: repositoryJson,
    head_repository: repositoryJson,
    ...overrides,
  };
}

/** A job of a seeded workflow run, built the same way. */
export function buildJob(
  state: GitHubState,
  repository: RepositoryState,
  run: JsonObject,
  id: number,
  overrides: JsonObject,
): JsonObject {
  const example = specExample("job");
  const api = repositoryApiUrl(state, repository);
  const now = state.now();
  return {
    ...example,
    id,
    node_id: nodeId("Job", id),
    run_id: run.id,
    run_url: run.url,
    run_attempt: 1,
    head_sha: run.head_sha,
    head_branch: run.head_branch,
    workflow_name: run.name,
    url: `${api}/actions/jobs/${id}`,
    html_url: `${repositoryHtmlUrl(state, repository)}/actions/runs/${String(run.id)}/job/${id}`,
    check_run_url: `${api}/check-runs/${id}`,
    created_at: now,
    started_at: now,
    completed_at: now,
    ...overrides,
  };
}

/** A stable 40-hex-digit commit id for a ref: the stand-in has no git history to resolve refs. */
export function fakeSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

function replaceInStrings(
  value: unknown,
  replacements: readonly (readonly [string, string])[],
): unknown {
  if (typeof value === "string") {
    return replacements.reduce((text, [from, to]) => text.split(from).join(to), value);
  }
  if (Array.isArray(value)) return value.map((item) => replaceInStrings(item, replacements));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, replaceInStrings(item, replacements)]),
    );
  }
  return value;
}
