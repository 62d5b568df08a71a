// Deployment environments and their protection rules (wait timer, required reviewers, branch policy).
import {
  found,
  errorBody,
  paginate,
  ReplyError,
  repositoryOf,
  validationFailed,
  type Handler,
  type StandInRequest,
} from "../http.js";
import { renderEnvironment } from "../render.js";
import type { BranchPolicy, EnvironmentRecord, GitHubState, RepositoryState } from "../state.js";

interface EnvironmentFields {
  wait_timer?: number;
  prevent_self_review?: boolean;
  reviewers?: { type?: "User" | "Team"; id?: number }[] | null;
  deployment_branch_policy?: BranchPolicy | null;
}

const MAX_WAIT_MINUTES = 43_200;
const MAX_REVIEWERS = 6;

const getEnvironment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  return { status: 200, body: renderEnvironment(state, repository, environmentOf(request, repository)) };
};

/**
 * PUT creates the environment or updates it: a field left out keeps its value, `null` (or a wait
 * of 0, or no reviewers) removes the rule.
 */
const createOrUpdateEnvironment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const fields = (request.body ?? {}) as EnvironmentFields;
  const name = String(request.path.environment_name);
  const now = state.now();
  // Changes go to a copy, stored only once every field is accepted: a 422 leaves nothing half-done.
  const environment: EnvironmentRecord = structuredClone(repository.environments.get(name.toLowerCase())) ?? {
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
  const environments = [...repository.environments.values()].sort((a, b) => a.name.localeCompare(b.name));
  const page = paginate(environments, request);
  return {
    status: 200,
    body: {
      total_count: environments.length,
      environments: page.items.map((environment) => renderEnvironment(state, repository, environment)),
    },
    headers: page.headers,
  };
};

const deleteEnvironment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  repository.environments.delete(environmentOf(request, repository).name.toLowerCase());
  return { status: 204 };
};

function applyWaitTimer(state: GitHubState, environment: EnvironmentRecord, minutes: number | undefined): void {
  if (minutes === undefined) return;
  if (minutes < 0 || minutes > MAX_WAIT_MINUTES) {
    throw validationFailed(`wait_timer must be an integer between 0 and ${MAX_WAIT_MINUTES}.`);
  }
  environment.waitTimer = minutes === 0 ? null : { ruleId: environment.waitTimer?.ruleId ?? state.nextId(), minutes };
}

function applyReviewers(state: GitHubState, environment: EnvironmentRecord, fields: EnvironmentFields): void {
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
  const users = reviewers.map((reviewer) => {
    if (reviewer.type === "Team") {
      throw new ReplyError({
        status: 501,
        body: errorBody(501, "The GitHub stand-in does not model teams as reviewers"),
      });
    }
    const user = reviewer.id === undefined ? undefined : state.userById(reviewer.id);
    if (!user)
      throw validationFailed(`Reviewer ${reviewer.type ?? "User"} ${reviewer.id ?? "(no id)"} does not exist.`);
    return user.login;
  });
  environment.reviewers = {
    ruleId: environment.reviewers?.ruleId ?? state.nextId(),
    preventSelfReview: fields.prevent_self_review ?? environment.reviewers?.preventSelfReview ?? false,
    users,
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
    return;
  }
  if (policy.protected_branches === policy.custom_branch_policies) {
    throw validationFailed("Exactly one of protected_branches and custom_branch_policies must be true.");
  }
  environment.branchPolicy = { ruleId: environment.branchPolicy?.ruleId ?? state.nextId(), policy: { ...policy } };
}

function environmentOf(request: StandInRequest, repository: RepositoryState): EnvironmentRecord {
  return found(repository.environments.get(String(request.path.environment_name).toLowerCase()));
}

export const environmentHandlers: Record<string, Handler> = {
  "repos/get-environment": getEnvironment,
  "repos/create-or-update-environment": createOrUpdateEnvironment,
  "repos/get-all-environments": listEnvironments,
  "repos/delete-an-environment": deleteEnvironment,
};
