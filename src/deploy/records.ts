// The record of deployments in GitHub's Deployments API: the system of record GitHub's UI,
// environments and other tools read. Also the two questions deploy asks it: is another deploy of
// this environment running, and what was the last good version.
import type { GitHubClient, Repository } from "../runtime/github.js";
import { readDeploymentPayload, type DeploymentPayload } from "../schema/deployment.js";

export type DeploymentState =
  "error" | "failure" | "inactive" | "in_progress" | "queued" | "pending" | "success";

export interface DeploymentSummary {
  id: number;
  ref: string;
  environment: string;
  createdAt: string;
  payload: Partial<DeploymentPayload>;
  /** The latest status's state; undefined when it has none. */
  state?: DeploymentState;
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

/** Deployments still running (latest status queued, pending or in_progress). */
export function selectRunning(deployments: readonly DeploymentSummary[]): DeploymentSummary[] {
  return deployments.filter(
    (deployment) =>
      deployment.state === "in_progress" ||
      deployment.state === "queued" ||
      deployment.state === "pending",
  );
}

export class DeploymentRecords {
  constructor(
    private readonly client: GitHubClient,
    private readonly repository: Repository,
  ) {}

  /** The environment's recent deployments, newest first, each with its latest state. */
  async recent(environment: string): Promise<DeploymentSummary[]> {
    const { data } = await this.client.request("GET /repos/{owner}/{repo}/deployments", {
      ...this.repository,
      environment,
      per_page: LOOK_BACK,
      request: { cacheMode: "revalidate" },
    });
    return Promise.all(
      data.map(async (deployment) => {
        const statuses = await this.client.request(
          "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
          {
            ...this.repository,
            deployment_id: Number(deployment.id),
            per_page: 1,
            request: { cacheMode: "revalidate" },
          },
        );
        const latest = statuses.data[0];
        return {
          id: Number(deployment.id),
          ref: deployment.ref,
          environment: deployment.environment,
          createdAt: deployment.created_at,
          payload: readDeploymentPayload(deployment.payload),
          ...(latest ? { state: latest.state as DeploymentState } : {}),
        };
      }),
    );
  }

  async create(options: {
    ref: string;
    environment: string;
    payload: DeploymentPayload;
    description: string;
    production: boolean;
    transient: boolean;
  }): Promise<number> {
    const response = await this.client.request("POST /repos/{owner}/{repo}/deployments", {
      ...this.repository,
      ref: options.ref,
      environment: options.environment,
      task: "deploy",
      payload: options.payload as unknown as Record<string, unknown>,
      description: options.description.slice(0, 140),
      // No commit status checks (the workflow already gates) and no merge of the default branch
      // into the ref: the two defaults behind most "409 Conflict" failures of deployment actions.
      required_contexts: [],
      auto_merge: false,
      production_environment: options.production,
      transient_environment: options.transient,
    });
    if (response.status !== 201 || !("id" in response.data)) {
      const why =
        "message" in response.data ? String(response.data.message) : `HTTP ${response.status}`;
      throw new Error(`GitHub did not create the deployment: ${why}`);
    }
    return Number(response.data.id);
  }

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
