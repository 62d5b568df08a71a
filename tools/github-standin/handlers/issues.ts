// Issues and their labels: create, read, update (state, labels, assignees), list with filters, add labels.
import type { Handler, StandInRequest } from "../http.js";
import {
  created,
  getRecord,
  listReply,
  pathRecord,
  queryString,
  repositoryOf,
  updateRecord,
} from "../http.js";
import { renderIssue, renderLabel } from "../render.js";
import type { GitHubState, IssueRecord, RepositoryState } from "../state.js";

/** A label as the API accepts it: a name, or an object with one. */
type LabelInput = string | { name?: string };

interface IssueFields {
  title?: string | number;
  body?: string | null;
  state?: "open" | "closed";
  state_reason?: IssueRecord["stateReason"];
  labels?: LabelInput[];
  assignees?: string[];
  assignee?: string | null;
}

const issueOf = (request: StandInRequest, repository: RepositoryState): IssueRecord =>
  pathRecord(repository.issues, request, "issue_number");

const createIssue: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const fields = request.body as IssueFields;
  const issue: IssueRecord = {
    ...state.authored(),
    number: repository.nextIssueNumber(),
    title: String(fields.title),
    body: fields.body ?? null,
    state: "open",
    stateReason: null,
    labels: labelNames(state, repository, fields.labels ?? []),
    assignees: knownLogins(state, fields.assignees ?? (fields.assignee ? [fields.assignee] : [])),
    closedAt: null,
    closedBy: null,
  };
  repository.issues.set(issue.number, issue);
  return created(renderIssue(state, repository, issue));
};

const getIssue = getRecord(issueOf, renderIssue);

const updateIssue = updateRecord(issueOf, changeIssue, renderIssue);

/** Title, body, labels and assignees as given; closing and reopening as GitHub records them. */
function changeIssue(
  issue: IssueRecord,
  request: StandInRequest,
  state: GitHubState,
  repository: RepositoryState,
): void {
  const fields = (request.body ?? {}) as IssueFields;
  if (fields.title !== undefined) issue.title = String(fields.title);
  if (fields.body !== undefined) issue.body = fields.body;
  if (fields.labels !== undefined) issue.labels = labelNames(state, repository, fields.labels);
  if (fields.assignees !== undefined) issue.assignees = knownLogins(state, fields.assignees);
  if (fields.state === "closed" && issue.state === "open") {
    issue.state = "closed";
    issue.stateReason = fields.state_reason ?? "completed";
    issue.closedAt = state.now();
    issue.closedBy = state.actor.login;
  } else if (fields.state === "open" && issue.state === "closed") {
    issue.state = "open";
    issue.stateReason = "reopened";
    issue.closedAt = null;
    issue.closedBy = null;
  }
}

/** `state` (open by default, closed, all) and `labels` (comma-separated, all must match); newest first. */
const listIssues: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const wantedState = queryString(request, "state") ?? "open";
  const wantedLabels = (queryString(request, "labels") ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  const matching = [...repository.issues.values()]
    .filter((issue) => wantedState === "all" || issue.state === wantedState)
    .filter((issue) =>
      wantedLabels.every((name) => issue.labels.some((label) => label.toLowerCase() === name)),
    )
    .sort((a, b) =>
      queryString(request, "direction") === "asc" ? a.number - b.number : b.number - a.number,
    );
  return listReply(matching, request, (issue) => renderIssue(state, repository, issue));
};

/** Adds labels (created on the fly, as GitHub does) and answers with every label of the issue. */
const addLabels: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const issue = issueOf(request, repository);
  const added = labelNames(state, repository, labelInputs(request.body));
  const known = new Set(issue.labels.map((name) => name.toLowerCase()));
  issue.labels.push(...added.filter((name) => !known.has(name.toLowerCase())));
  issue.updatedAt = state.now();
  const labels = issue.labels.flatMap((name) => repository.labels.get(name.toLowerCase()) ?? []);
  return { status: 200, body: labels.map((label) => renderLabel(state, repository, label)) };
};

/** The body of add-labels comes in five shapes; all name labels. */
function labelInputs(body: unknown): LabelInput[] {
  if (typeof body === "string") return [body];
  if (Array.isArray(body)) return body as LabelInput[];
  const labels = (body as { labels?: LabelInput[] } | undefined)?.labels;
  return labels ?? [];
}

/** Label names, each created in the repository when new, with GitHub's canonical spelling kept. */
function labelNames(
  state: GitHubState,
  repository: RepositoryState,
  inputs: readonly LabelInput[],
): string[] {
  return inputs.flatMap((input) => {
    const name = typeof input === "string" ? input : input.name;
    if (!name) return [];
    const key = name.toLowerCase();
    const existing = repository.labels.get(key);
    if (existing) return [existing.name];
    repository.labels.set(key, { id: state.nextId(), name, color: "ededed", description: null });
    return [name];
  });
}

/** GitHub silently drops assignees who cannot be assigned; here, anyone the test did not seed. */
function knownLogins(state: GitHubState, logins: readonly string[]): string[] {
  return logins.flatMap((login) => state.user(login)?.login ?? []);
}

export const issueHandlers: Record<string, Handler> = {
  "issues/create": createIssue,
  "issues/get": getIssue,
  "issues/update": updateIssue,
  "issues/list-for-repo": listIssues,
  "issues/add-labels": addLabels,
};
