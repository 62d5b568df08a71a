// Deployments and their statuses, with GitHub's rules for deleting and for `auto_inactive`.
import type { Handler, StandInRequest } from "../http.js";
import {
  created,
  getRecord,
  listReply,
  notFound,
  pathNumber,
  pathRecord,
  queryString,
  repositoryOf,
  validationFailed,
} from "../http.js";
import { fakeSha, renderDeployment, renderDeploymentStatus } from "../render.js";
import type {
  DeploymentRecord,
  DeploymentState,
  DeploymentStatusRecord,
  GitHubState,
  RepositoryState,
} from "../state.js";

interface DeploymentFields {
  ref: string;
  task?: string;
  payload?: unknown;
  environment?: string;
  description?: string | null;
  transient_environment?: boolean;
  production_environment?: boolean;
}

interface StatusFields {
  state: DeploymentState;
  target_url?: string;
  log_url?: string;
  description?: string;
  environment?: string;
  environment_url?: string;
  auto_inactive?: boolean;
}

const deploymentOf = (request: StandInRequest, repository: RepositoryState): DeploymentRecord =>
  pathRecord(repository.deployments, request, "deployment_id");

/**
 * `required_contexts` and `auto_merge` are accepted and ignored: the stand-in has no commit
 * statuses or branches to check, so every deployment is created (201).
 */
const createDeployment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const fields = request.body as DeploymentFields;
  const environment = fields.environment ?? "production";
  const now = state.now();
  const deployment: DeploymentRecord = {
    id: state.nextId(),
    // No git history here: a full commit id is kept, any other ref gets a stable made-up one.
    sha: /^[0-9a-f]{40}$/.test(fields.ref)
      ? fields.ref
      : fakeSha(`${repository.fullName}@${fields.ref}`),
    ref: fields.ref,
    task: fields.task ?? "deploy",
    payload: fields.payload ?? {},
    environment,
    originalEnvironment: environment,
    description: fields.description ?? null,
    transient: fields.transient_environment ?? false,
    production: fields.production_environment ?? environment === "production",
    creator: state.actor.login,
    createdAt: now,
    updatedAt: now,
    statuses: [],
  };
  repository.deployments.set(deployment.id, deployment);
  return created(renderDeployment(state, repository, deployment));
};

/** List filters, each matching the deployment field of the same name exactly. */
const FILTERS = ["sha", "ref", "task", "environment"] as const;

/** Newest first. */
const listDeployments: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const filters = FILTERS.map((field) => [field, queryString(request, field)] as const);
  const matching = [...repository.deployments.values()]
    .filter((deployment) =>
      filters.every(([field, wanted]) => wanted === undefined || deployment[field] === wanted),
    )
    .sort((a, b) => b.id - a.id);
  return listReply(matching, request, (d) => renderDeployment(state, repository, d));
};

const getDeployment = getRecord(deploymentOf, renderDeployment);

/** Only an inactive deployment can go, unless it is the repository's only one (GitHub's documented rule). */
const deleteDeployment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const deployment = deploymentOf(request, repository);
  if (repository.deployments.size > 1 && latestState(deployment) !== "inactive") {
    throw validationFailed(
      "We cannot delete an active deployment unless it is the only deployment in a given environment.",
    );
  }
  repository.deployments.delete(deployment.id);
  return { status: 204 };
};

const createStatus: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const deployment = deploymentOf(request, repository);
  const fields = request.body as StatusFields;
  // A status may move the deployment to another environment; otherwise it keeps the current one.
  const environment =
    fields.environment ?? deployment.statuses.at(-1)?.environment ?? deployment.environment;
  deployment.environment = environment;
  const status = addStatus(state, deployment, {
    state: fields.state,
    description: fields.description ?? "",
    environment,
    // Setting `log_url` sets `target_url` too, as GitHub documents.
    targetUrl: fields.target_url ?? fields.log_url ?? "",
    logUrl: fields.log_url ?? fields.target_url ?? "",
    environmentUrl: fields.environment_url ?? "",
  });
  if (fields.state === "success" && fields.auto_inactive !== false)
    retirePriorDeployments(state, repository, deployment);
  return created(renderDeploymentStatus(state, repository, deployment, status));
};

/** Newest first, as GitHub lists them. */
const listStatuses: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const deployment = deploymentOf(request, repository);
  return listReply([...deployment.statuses].reverse(), request, (status) =>
    renderDeploymentStatus(state, repository, deployment, status),
  );
};

const getStatus: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const deployment = deploymentOf(request, repository);
  const status = deployment.statuses.find(
    (candidate) => candidate.id === pathNumber(request, "status_id"),
  );
  if (!status) throw notFound();
  return { status: 200, body: renderDeploymentStatus(state, repository, deployment, status) };
};

/**
 * `auto_inactive`: a new success status adds an `inactive` status to every earlier deployment of
 * the same environment whose latest state is success, skipping transient and production ones,
 * as GitHub's "Inactive deployments" documentation says.
 */
function retirePriorDeployments(
  state: GitHubState,
  repository: RepositoryState,
  current: DeploymentRecord,
): void {
  for (const earlier of repository.deployments.values()) {
    const eligible =
      earlier.id < current.id &&
      earlier.environment === current.environment &&
      !earlier.transient &&
      !earlier.production &&
      latestState(earlier) === "success";
    if (!eligible) continue;
    const previous = earlier.statuses.at(-1);
    addStatus(state, earlier, {
      state: "inactive",
      description: "",
      environment: earlier.environment,
      targetUrl: previous?.targetUrl ?? "",
      logUrl: previous?.logUrl ?? "",
      environmentUrl: previous?.environmentUrl ?? "",
    });
  }
}

function addStatus(
  state: GitHubState,
  deployment: DeploymentRecord,
  fields: Omit<DeploymentStatusRecord, "id" | "creator" | "createdAt">,
): DeploymentStatusRecord {
  const status: DeploymentStatusRecord = {
    id: state.nextId(),
    creator: state.actor.login,
    createdAt: state.now(),
    ...fields,
  };
  deployment.statuses.push(status);
  deployment.updatedAt = status.createdAt;
  return status;
}

function latestState(deployment: DeploymentRecord): DeploymentState | undefined {
  return deployment.statuses.at(-1)?.state;
}

export const deploymentHandlers: Record<string, Handler> = {
  "repos/create-deployment": createDeployment,
  "repos/list-deployments": listDeployments,
  "repos/get-deployment": getDeployment,
  "repos/delete-deployment": deleteDeployment,
  "repos/create-deployment-status": createStatus,
  "repos/list-deployment-statuses": listStatuses,
  "repos/get-deployment-status": getStatus,
};
