// Reading the deployment history and the commits each deployment brought from GitHub: the
// Deployments API (deployments, their statuses) and the compare API.
import type { GitHubClient, Repository } from "../runtime/github.js";
import { readDeploymentPayload } from "../schema/deployment.js";
import type { DeploymentState } from "../schema/deployment.js";
import { objectFromJson } from "../shared/json-object.js";
import { readDrill } from "./drills.js";
import { leadTimeBases, type HistoryDeployment } from "./metrics.js";

const CONCURRENCY = 8;

async function inBatches<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let index = 0; index < items.length; index += CONCURRENCY)
    results.push(...(await Promise.all(items.slice(index, index + CONCURRENCY).map(work))));
  return results;
}

/**
 * The deployments created since `sinceMs` (newest first from GitHub, read page by page until
 * older ones), with all their statuses. `sinceMs` should reach before the window, so the first
 * deployments in it have a predecessor to compare with.
 */
export async function fetchHistory(
  client: GitHubClient,
  repository: Repository,
  options: { environment?: string; sinceMs: number },
): Promise<HistoryDeployment[]> {
  const listed: {
    id: number;
    environment: string;
    sha: string;
    task: string;
    creator?: string;
    created_at: string;
    payload: unknown;
  }[] = [];
  for await (const page of client.paginate.iterator("GET /repos/{owner}/{repo}/deployments", {
    ...repository,
    ...(options.environment ? { environment: options.environment } : {}),
    per_page: 100,
  })) {
    listed.push(
      ...page.data.map((deployment) => ({
        id: Number(deployment.id),
        environment: deployment.environment,
        sha: deployment.sha,
        task: deployment.task,
        ...(deployment.creator ? { creator: deployment.creator.login } : {}),
        created_at: deployment.created_at,
        payload: deployment.payload,
      })),
    );
    const oldest = page.data.at(-1);
    if (!oldest || Date.parse(oldest.created_at) < options.sinceMs) break;
  }
  const kept = listed.filter((deployment) => Date.parse(deployment.created_at) >= options.sinceMs);
  return inBatches(kept, async (deployment): Promise<HistoryDeployment> => {
    const statuses = await client.paginate(
      "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
      { ...repository, deployment_id: deployment.id, per_page: 100 },
    );
    const payload = readDeploymentPayload(deployment.payload);
    const drill = readDrill(objectFromJson(deployment.payload).drill);
    return {
      id: deployment.id,
      environment: deployment.environment,
      sha: deployment.sha,
      createdAt: deployment.created_at,
      task: deployment.task,
      ...(deployment.creator ? { creator: deployment.creator } : {}),
      ...(typeof payload.version === "string" ? { version: payload.version } : {}),
      ...(typeof payload.strategy === "string" ? { strategy: payload.strategy } : {}),
      ...(typeof payload.rollback_of === "number" ? { rollbackOf: payload.rollback_of } : {}),
      ...(payload.analysis === "skipped" ? { analysisSkipped: true } : {}),
      ...(payload.freeze_override ? { freezeOverride: payload.freeze_override } : {}),
      ...(drill ? { drill } : {}),
      statuses: statuses.map((status) => ({
        state: status.state as DeploymentState,
        at: status.created_at,
        ...(status.description ? { description: status.description } : {}),
        ...(status.log_url ? { logUrl: status.log_url } : {}),
      })),
    };
  });
}

/** The commit times of what each good deployment brought (compare with the good one before it). */
export async function fetchChanges(
  client: GitHubClient,
  repository: Repository,
  history: readonly HistoryDeployment[],
  sinceMs: number,
): Promise<Map<number, string[]>> {
  const created = new Map(
    history.map((deployment) => [deployment.id, Date.parse(deployment.createdAt)]),
  );
  const wanted = leadTimeBases(history).filter((base) => (created.get(base.id) ?? 0) >= sinceMs);
  const pairs = await inBatches(wanted, async (base): Promise<[number, string[]]> => {
    if (base.base === base.head) return [base.id, []];
    const { data } = await client.request("GET /repos/{owner}/{repo}/compare/{basehead}", {
      ...repository,
      basehead: `${base.base}...${base.head}`,
      per_page: 100,
    });
    return [
      base.id,
      data.commits.flatMap(
        (commit) => commit.commit.committer?.date ?? commit.commit.author?.date ?? [],
      ),
    ];
  });
  return new Map(pairs);
}
