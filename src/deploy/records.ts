// The record of deployments in GitHub's Deployments API: the system of record GitHub's UI,
// environments and other tools read. Also the two questions deploy asks it: is another deploy of
// this environment running, and what was the last good version.
import { createOnce, SENT_ONCE, type GitHubClient, type Repository } from "../runtime/github.js";
import { randomUUID } from "node:crypto";
import {
  readDeploymentPayload,
  type DeploymentPayload,
  type DeploymentState,
} from "../schema/deployment.js";

export interface DeploymentSummary {
  id: number;
  ref: string;
  environment: string;
  createdAt: string;
  payload: Partial<DeploymentPayload>;
  /** The latest status's state; undefined when it has none. */
  state?: DeploymentState;
  /** The latest status's description. */
  description?: string;
}

/** How far back deploy looks for a running deployment and for the last good one. */
const LOOK_BACK = 50;

/**
 * The newest deployment whose latest status is success and whose version differs (Rollback target
 * rule).
 */
export function selectRollbackTarget(
  deployments: readonly DeploymentSummary[],
  failedVersion: string,
): DeploymentSummary | undefined {
  return deployments.find(
    (deployment) =>
      deployment.state === "success" &&
      deployment.payload.version !== undefined &&
      deployment.payload.version !== failedVersion,
  );
}

/** The newest deployment whose latest status is success: what the environment runs now. */
export function selectCurrent(
  deployments: readonly DeploymentSummary[],
): DeploymentSummary | undefined {
  return deployments.find(
    (deployment) => deployment.state === "success" && deployment.payload.version !== undefined,
  );
}

/**
 * shipgate's deployments still running (latest status queued, pending or in_progress). Others are
 * left out: GitHub itself records a deployment for every job with an `environment:`, in progress
 * while the job runs, so the job running deploy would otherwise wait for itself.
 */
export function selectRunning(deployments: readonly DeploymentSummary[]): DeploymentSummary[] {
  return deployments.filter(
    (deployment) =>
      deployment.payload.strategy !== undefined &&
      (deployment.state === "in_progress" ||
        deployment.state === "queued" ||
        deployment.state === "pending"),
  );
}

/** How a held rollout's status begins: what marks it as waiting for promote or abort. */
export const HELD = "held at ";

/** A canary held at a step for approval: in progress, with a hold step, its status saying held. */
export function isHeld(deployment: DeploymentSummary): boolean {
  return (
    deployment.state === "in_progress" &&
    deployment.payload.hold_at !== undefined &&
    (deployment.description ?? "").startsWith(HELD)
  );
}

/** The environment's deployments, newest first, with what deploy asks of each, in one request. */
const HISTORY = `query ($owner: String!, $repo: String!, $environment: String!, $first: Int!) {
  repository(owner: $owner, name: $repo) {
    deployments(
      environments: [$environment]
      first: $first
      orderBy: { field: CREATED_AT, direction: DESC }
    ) {
      nodes {
        databaseId
        commitOid
        ref { name }
        environment
        createdAt
        payload
        latestStatus { state description }
      }
    }
  }
}`;

interface HistoryNode {
  databaseId: number | null;
  commitOid: string;
  ref: { name: string } | null;
  environment: string | null;
  createdAt: string;
  payload: string | null;
  latestStatus: { state: string; description: string | null } | null;
}

/** GraphQL's status enum (`IN_PROGRESS`) as the REST API writes it; WAITING is pending there. */
function restState(state: string | undefined): DeploymentState | undefined {
  if (state === undefined) return undefined;
  return state === "WAITING" ? "pending" : (state.toLowerCase() as DeploymentState);
}

export class DeploymentRecords {
  constructor(
    private readonly client: GitHubClient,
    private readonly repository: Repository,
  ) {}

  /** The environment's recent deployments, newest first, each with its latest state: one query. */
  async recent(environment: string): Promise<DeploymentSummary[]> {
    const { owner, repo } = this.repository;
    const answer = await this.client.graphql<{
      repository: { deployments: { nodes: HistoryNode[] } } | null;
    }>(HISTORY, { owner, repo, environment, first: LOOK_BACK });
    const nodes = answer.repository?.deployments.nodes ?? [];
    return nodes
      .filter((node) => node.databaseId !== null)
      .map((node) => {
        const state = restState(node.latestStatus?.state);
        return {
          id: node.databaseId as number,
          ref: node.ref?.name ?? node.commitOid,
          environment: node.environment ?? environment,
          createdAt: node.createdAt,
          payload: readDeploymentPayload(node.payload),
          ...(state ? { state } : {}),
          ...(node.latestStatus?.description ? { description: node.latestStatus.description } : {}),
        };
      });
  }

  /**
   * Creates a deployment. The POST is not retried blindly: when its answer is lost, the recent
   * deployments are searched for this one's key first, so a retry never makes a second deployment.
   */
  async create(options: {
    ref: string;
    environment: string;
    payload: DeploymentPayload;
    description: string;
    production: boolean;
    transient: boolean;
    /** "deploy" unless given: a drill's records are "deploy:drill", kept out of DORA figures. */
    task?: string;
  }): Promise<number> {
    // A key on the deployment, so a create whose answer was lost is found again, not repeated.
    const key = randomUUID();
    const payload = { ...options.payload, key };
    return createOnce(
      () => this.post({ ...options, payload }),
      async () =>
        (await this.recent(options.environment)).find(
          (deployment) => deployment.payload.key === key,
        )?.id,
    );
  }

  private async post(options: {
    ref: string;
    environment: string;
    payload: DeploymentPayload & { key: string };
    description: string;
    production: boolean;
    transient: boolean;
    /** "deploy" unless given: a drill's records are "deploy:drill", kept out of DORA figures. */
    task?: string;
  }): Promise<number> {
    const response = await this.client.request("POST /repos/{owner}/{repo}/deployments", {
      ...this.repository,
      ref: options.ref,
      environment: options.environment,
      task: options.task ?? "deploy",
      payload: options.payload as unknown as Record<string, unknown>,
      description: options.description.slice(0, 140),
      // No commit status checks (the workflow already gates) and no merge of the default branch
      // into the ref: the two defaults behind most "409 Conflict" failures of deployment actions.
      required_contexts: [],
      auto_merge: false,
      production_environment: options.production,
      transient_environment: options.transient,
      request: SENT_ONCE,
    });
    if (response.status !== 201 || !("id" in response.data)) {
      const message = "message" in response.data ? String(response.data.message) : undefined;
      throw new Error(
        `GitHub did not create the deployment: ${message ?? `HTTP ${response.status}`}`,
      );
    }
    return Number(response.data.id);
  }

  /** A status is safe to send twice (GitHub keeps the latest), so it is retried as usual. */
  async status(
    id: number,
    state: DeploymentState,
    options: { description: string; logUrl?: string; environmentUrl?: string },
  ): Promise<void> {
    await this.client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
      ...this.repository,
      deployment_id: id,
      state,
      description: options.description.slice(0, 140),
      ...(options.logUrl ? { log_url: options.logUrl } : {}),
      ...(options.environmentUrl ? { environment_url: options.environmentUrl } : {}),
    });
  }
}
