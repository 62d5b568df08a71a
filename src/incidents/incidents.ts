// Incident issues in the repository: open or update one per environment and cause on a failed
// production deploy, close them on the next success. Found again by hidden markers, so re-runs
// never open a second issue nor repeat a comment.
import type { GitHubClient, Repository } from "../runtime/github.js";
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

async function hasComment(
  client: GitHubClient,
  repository: Repository,
  issue: number,
  marker: string,
): Promise<boolean> {
  const comments = (await client.paginate(
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    { ...repository, issue_number: issue, per_page: 100 },
  )) as { body?: string }[];
  return comments.some((comment) => (comment.body ?? "").includes(marker));
}

/** Opens the incident of this environment and cause, or brings the open one up to date. */
export async function reportIncident(
  client: GitHubClient,
  repository: Repository,
  evidence: IncidentEvidence,
): Promise<IncidentAction> {
  const marker = incidentMarker(evidence.environment, evidence.cause);
  const existing = (await openIncidents(client, repository, evidence.environment)).find((issue) =>
    (issue.body ?? "").includes(marker),
  );
  let number: number;
  let url: string;
  let action: IncidentAction["action"];
  if (existing) {
    await client.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
      ...repository,
      issue_number: existing.number,
      title: incidentTitle(evidence),
      body: incidentBody(evidence),
    });
    ({ number, html_url: url } = existing);
    action = "updated";
  } else {
    const created = await client.request("POST /repos/{owner}/{repo}/issues", {
      ...repository,
      title: incidentTitle(evidence),
      body: incidentBody(evidence),
      labels: [INCIDENT_LABEL, environmentLabel(evidence.environment)],
    });
    ({ number, html_url: url } = created.data);
    action = "opened";
  }
  if (!(await hasComment(client, repository, number, occurrenceMarker(evidence.deploymentId)))) {
    await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repository,
      issue_number: number,
      body: occurrenceComment(evidence),
    });
  }
  return { action, issue: number, url };
}

/** Comments on and closes every open incident of the environment; none open: nothing happens. */
export async function resolveIncidents(
  client: GitHubClient,
  repository: Repository,
  resolution: Resolution,
): Promise<IncidentAction[]> {
  const open = await openIncidents(client, repository, resolution.environment);
  const actions: IncidentAction[] = [];
  for (const issue of open) {
    if (
      !(await hasComment(
        client,
        repository,
        issue.number,
        resolutionMarker(resolution.deploymentId),
      ))
    ) {
      await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...repository,
        issue_number: issue.number,
        body: resolutionComment(resolution),
      });
    }
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
