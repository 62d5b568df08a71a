// The delivery report of a repository over a window: its deployment history read from GitHub, the
// changes each deployment brought, and the DORA keys per environment.
import type { GitHubClient, Repository } from "../runtime/github.js";
import { fetchChanges, fetchHistory } from "./github.js";
import { drillsOf } from "./drills.js";
import { environmentMetrics, type HistoryDeployment } from "./metrics.js";
import type { DeliveryReport } from "./render.js";

export interface ReportRequest {
  repository: Repository;
  /** The window as written (`30d`), and its length in milliseconds. */
  window: { text: string; lengthMs: number };
  /** The environments to report; every environment with deployments when undefined. */
  environments?: readonly string[];
  endMs: number;
}

export async function buildDeliveryReport(
  client: GitHubClient,
  request: ReportRequest,
): Promise<{ report: DeliveryReport; deploymentsRead: number; history: HistoryDeployment[] }> {
  const { repository, endMs } = request;
  const window = { startMs: endMs - request.window.lengthMs, endMs };
  // One window's worth before the window: the first deployments in it need one to compare with.
  const sinceMs = window.startMs - request.window.lengthMs;
  const wanted = request.environments;
  const history = wanted
    ? (
        await Promise.all(
          wanted.map((environment) => fetchHistory(client, repository, { environment, sinceMs })),
        )
      ).flat()
    : await fetchHistory(client, repository, { sinceMs });
  const changes = await fetchChanges(client, repository, history, window.startMs);
  const names = wanted ?? [...new Set(history.map((deployment) => deployment.environment))].sort();
  const report: DeliveryReport = {
    repository: `${repository.owner}/${repository.repo}`,
    window: {
      text: request.window.text,
      start: new Date(window.startMs).toISOString(),
      end: new Date(endMs).toISOString(),
    },
    environments: names.map((name) => environmentMetrics(name, history, changes, window)),
    drills: drillsOf(history, window),
  };
  return { report, deploymentsRead: history.length, history };
}
