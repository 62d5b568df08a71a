// Deployment environments and their protection rules (wait timer, required reviewers, branch
// policy and its branch and tag patterns). Writes need the token's "Administration: write".
import type { Handler, StandInRequest } from "../http.js";
import {
  envelopeReply,
  errorBody,
  found,
  getRecord,
  pathNumber,
  ReplyError,
  repositoryOf,
  validationFailed,
} from "../http.js";
import { renderBranchPattern, renderEnvironment } from "../render.js";
import type {
  BranchPatternRecord,
  BranchPolicy,
  EnvironmentRecord,
  GitHubState,
  RepositoryState,
} from "../state.js";

interface EnvironmentFields {
  wait_timer?: number;
  prevent_self_review?: boolean;
  reviewers?: { type?: "User" | "Team"; id?: number }[] | null;
  deployment_branch_policy?: BranchPolicy | null;
}

const MAX_WAIT_MINUTES = 43_200;
const MAX_REVIEWERS = 6;

const getEnvironment = getRecord(environmentOf, renderEnvironment);

/**
 * PUT creates the environment or updates it: a field left out keeps its value, `null` (or a wait
 * of 0, or no reviewers) removes the rule.
 */
const createOrUpdateEnvironment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  requireAdministration(state);
  const fields = (request.body ?? {}) as EnvironmentFields;
  const name = String(request.path.environment_name);
  const now = state.now();
  // Changes go to a copy, stored only once every field is accepted: a 422 leaves nothing half-done.
  const environment: EnvironmentRecord = structuredClone(
    repository.environments.get(name.toLowerCase()),
  ) ?? {
    id: state.nextId(),
    name,
    createdAt: now,
    updatedAt: now,
    waitTimer: null,
    reviewers: null,
    branchPolicy: null,
  };
  applyWaitTimer(state, environment, fields.wait_timer);
  applyReviewers(state, environment, fields);
  applyBranchPolicy(state, environment, fields.deployment_branch_policy);
  environment.updatedAt = now;
  repository.environments.set(name.toLowerCase(), environment);
  return { status: 200, body: renderEnvironment(state, repository, environment) };
};

/** Sorted by name; GitHub wraps the page in `{ total_count, environments }`. */
const listEnvironments: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const environments = [...repository.environments.values()].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  return envelopeReply("environments", environments, request, (environment) =>
    renderEnvironment(state, repository, environment),
  );
};

const deleteEnvironment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  requireAdministration(state);
  repository.environments.delete(environmentOf(request, repository).name.toLowerCase());
  return { status: 204 };
};

function applyWaitTimer(
  state: GitHubState,
  environment: EnvironmentRecord,
  minutes: number | undefined,
): void {
  if (minutes === undefined) return;
  if (minutes < 0 || minutes > MAX_WAIT_MINUTES) {
    throw validationFailed(`wait_timer must be an integer between 0 and ${MAX_WAIT_MINUTES}.`);
  }
  environment.waitTimer =
    minutes === 0 ? null : { ruleId: environment.waitTimer?.ruleId ?? state.nextId(), minutes };
}

function applyReviewers(
  state: GitHubState,
  environment: EnvironmentRecord,
  fields: EnvironmentFields,
): void {
  const reviewers = fields.reviewers;
  if (reviewers === undefined) {
    if (environment.reviewers && fields.prevent_self_review !== undefined) {
      environment.reviewers.preventSelfReview = fields.prevent_self_review;
    }
    return;
  }
  if (reviewers === null || reviewers.length === 0) {
    environment.reviewers = null;
    return;
  }
  if (reviewers.length > MAX_REVIEWERS)
    throw validationFailed(`An environment can have at most ${MAX_REVIEWERS} reviewers.`);
  const users: string[] = [];
  const teams: number[] = [];
  for (const reviewer of reviewers) {
    if (reviewer.type === "Team") {
      const team = reviewer.id === undefined ? undefined : state.teamById(reviewer.id);
      if (!team)
        throw validationFailed(`Reviewer Team ${reviewer.id ?? "(no id)"} does not exist.`);
      teams.push(team.id);
      continue;
    }
    const user = reviewer.id === undefined ? undefined : state.userById(reviewer.id);
    if (!user || user.type === "Organization")
      throw validationFailed(
        `Reviewer ${reviewer.type ?? "User"} ${reviewer.id ?? "(no id)"} does not exist.`,
      );
    users.push(user.login);
  }
  environment.reviewers = {
    ruleId: environment.reviewers?.ruleId ?? state.nextId(),
    preventSelfReview:
      fields.prevent_self_review ?? environment.reviewers?.preventSelfReview ?? false,
    users,
    ...(teams.length > 0 ? { teams } : {}),
  };
}

/** Exactly one of the two flags must be true, as the description says; `null` lets every branch deploy. */
function applyBranchPolicy(
  state: GitHubState,
  environment: EnvironmentRecord,
  policy: BranchPolicy | null | undefined,
): void {
  if (policy === undefined) return;
  if (policy === null) {
    environment.branchPolicy = null;
    delete environment.branchPatterns;
    return;
  }
  if (policy.protected_branches === policy.custom_branch_policies) {
    throw validationFailed(
      "Exactly one of protected_branches and custom_branch_policies must be true.",
    );
  }
  environment.branchPolicy = {
    ruleId: environment.branchPolicy?.ruleId ?? state.nextId(),
    policy: { ...policy },
  };
  if (policy.custom_branch_policies) environment.branchPatterns ??= [];
  else delete environment.branchPatterns;
}

/** GitHub's answer to an integration token without the "Administration: write" permission. */
function requireAdministration(state: GitHubState): void {
  if (state.administration) return;
  throw new ReplyError({
    status: 403,
    body: errorBody(403, "Resource not accessible by integration"),
    headers: { "x-accepted-github-permissions": "administration=write" },
  });
}

/** The patterns of an environment whose policy is custom; 404 otherwise, as GitHub answers. */
function patternsOf(request: StandInRequest, repository: RepositoryState): BranchPatternRecord[] {
  const environment = environmentOf(request, repository);
  if (!environment.branchPolicy?.policy.custom_branch_policies)
    throw new ReplyError({ status: 404, body: errorBody(404, "Not Found") });
  environment.branchPatterns ??= [];
  return environment.branchPatterns;
}

const listBranchPatterns: Handler = (request, state) => {
  const patterns = patternsOf(request, repositoryOf(request, state));
  return envelopeReply("branch_policies", patterns, request, renderBranchPattern);
};

const createBranchPattern: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  requireAdministration(state);
  const patterns = patternsOf(request, repository);
  const body = request.body as { name: string; type?: "branch" | "tag" };
  const type = body.type ?? "branch";
  // GitHub's answer when the same pattern already exists: a bodiless 303.
  if (patterns.some((pattern) => pattern.name === body.name && pattern.type === type))
    return { status: 303 };
  const pattern: BranchPatternRecord = { id: state.nextId(), name: body.name, type };
  patterns.push(pattern);
  return { status: 200, body: renderBranchPattern(pattern) };
};

const deleteBranchPattern: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  requireAdministration(state);
  const patterns = patternsOf(request, repository);
  const id = pathNumber(request, "branch_policy_id");
  const index = patterns.findIndex((pattern) => pattern.id === id);
  if (index < 0) throw new ReplyError({ status: 404, body: errorBody(404, "Not Found") });
  patterns.splice(index, 1);
  return { status: 204 };
};

function environmentOf(request: StandInRequest, repository: RepositoryState): EnvironmentRecord {
  return found(repository.environments.get(String(request.path.environment_name).toLowerCase()));
}

export const environmentHandlers: Record<string, Handler> = {
  "repos/get-environment": getEnvironment,
  "repos/create-or-update-environment": createOrUpdateEnvironment,
  "repos/get-all-environments": listEnvironments,
  "repos/delete-an-environment": deleteEnvironment,
  "repos/list-deployment-branch-policies": listBranchPatterns,
  "repos/create-deployment-branch-policy": createBranchPattern,
  "repos/delete-deployment-branch-policy": deleteBranchPattern,
};
