// Incident issues in the repository: open or update one per environment and cause on a failed
// production deploy, close them on the next success. Found again by hidden markers, so re-runs
// never open a second issue nor repeat a comment.
import { createOnce, SENT_ONCE, type GitHubClient, type Repository } from "../runtime/github.js";
import {
  environmentLabel,
  INCIDENT_LABEL,
  incidentBody,
  incidentMarker,
  incidentTitle,
  isIncidentOf,
  occurrenceComment,
  occurrenceMarker,
  resolutionComment,
  resolutionMarker,
  DEPLOY_CAUSES,
  type IncidentCause,
  type IncidentEvidence,
  type Resolution,
} from "./render.js";

export interface IncidentAction {
  action: "opened" | "updated" | "closed" | "none";
  issue?: number;
  url?: string;
}

interface OpenIssue {
  number: number;
  body?: string | null;
  html_url: string;
  pull_request?: unknown;
}

async function openIncidents(
  client: GitHubClient,
  repository: Repository,
  environment: string,
): Promise<OpenIssue[]> {
  const issues = (await client.paginate("GET /repos/{owner}/{repo}/issues", {
    ...repository,
    state: "open",
    labels: INCIDENT_LABEL,
    per_page: 100,
  })) as OpenIssue[];
  return issues.filter((issue) => !issue.pull_request && isIncidentOf(issue.body, environment));
}

/** The issue's comment that carries `marker`, if any. */
async function markedComment(
  client: GitHubClient,
  repository: Repository,
  issue: number,
  marker: string,
): Promise<{ body?: string } | undefined> {
  const comments = (await client.paginate(
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    { ...repository, issue_number: issue, per_page: 100 },
  )) as { body?: string }[];
  return comments.find((comment) => (comment.body ?? "").includes(marker));
}

/** Comments on the issue unless a comment with the marker is there already (a re-run's). */
async function commentOnce(
  client: GitHubClient,
  repository: Repository,
  issue: number,
  marker: string,
  body: string,
): Promise<void> {
  if (await markedComment(client, repository, issue, marker)) return;
  await createOnce<unknown>(
    () =>
      client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...repository,
        issue_number: issue,
        body,
        request: SENT_ONCE,
      }),
    () => markedComment(client, repository, issue, marker),
  );
}

/** Opens the incident of this environment and cause, or brings the open one up to date. */
export async function reportIncident(
  client: GitHubClient,
  repository: Repository,
  evidence: IncidentEvidence,
): Promise<IncidentAction> {
  const { action, number, url } = await openOrUpdate(client, repository, evidence);
  const occurrence = occurrenceMarker(evidence.deploymentId);
  await commentOnce(client, repository, number, occurrence, occurrenceComment(evidence));
  return { action, issue: number, url };
}

/** The issue now carrying the evidence: the open one found by its marker, or a new one. */
async function openOrUpdate(
  client: GitHubClient,
  repository: Repository,
  evidence: IncidentEvidence,
): Promise<{ action: "opened" | "updated"; number: number; url: string }> {
  const marker = incidentMarker(evidence.environment, evidence.cause);
  const existing = (await openIncidents(client, repository, evidence.environment)).find((issue) =>
    (issue.body ?? "").includes(marker),
  );
  if (existing) {
    await client.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
      ...repository,
      issue_number: existing.number,
      title: incidentTitle(evidence),
      body: incidentBody(evidence),
    });
    return { action: "updated", number: existing.number, url: existing.html_url };
  }
  const created = await createOnce(
    async () => {
      const { data } = await client.request("POST /repos/{owner}/{repo}/issues", {
        ...repository,
        title: incidentTitle(evidence),
        body: incidentBody(evidence),
        labels: [INCIDENT_LABEL, environmentLabel(evidence.environment)],
        request: SENT_ONCE,
      });
      return data;
    },
    async () =>
      (await openIncidents(client, repository, evidence.environment)).find((issue) =>
        (issue.body ?? "").includes(marker),
      ),
  );
  return { action: "opened", number: created.number, url: created.html_url };
}

/**
 * Comments on and closes every open incident of the environment with one of `causes` (those a
 * successful deploy resolves, by default); none open: nothing happens.
 */
export async function resolveIncidents(
  client: GitHubClient,
  repository: Repository,
  resolution: Resolution,
  causes: readonly IncidentCause[] = DEPLOY_CAUSES,
): Promise<IncidentAction[]> {
  const markers = causes.map((cause) => incidentMarker(resolution.environment, cause));
  const open = (await openIncidents(client, repository, resolution.environment)).filter((issue) =>
    markers.some((marker) => (issue.body ?? "").includes(marker)),
  );
  const actions: IncidentAction[] = [];
  for (const issue of open) {
    const marker = resolutionMarker(resolution.deploymentId);
    await commentOnce(client, repository, issue.number, marker, resolutionComment(resolution));
    await client.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
      ...repository,
      issue_number: issue.number,
      state: "closed",
      state_reason: "completed",
    });
    actions.push({ action: "closed", issue: issue.number, url: issue.html_url });
  }
  return actions.length > 0 ? actions : [{ action: "none" }];
}
