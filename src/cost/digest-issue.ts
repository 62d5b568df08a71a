// One issue per digest period, found again by a hidden marker: created once, then updated in place.
import { createOnce, SENT_ONCE, type GitHubClient, type Repository } from "../runtime/github.js";

export const DIGEST_LABEL = "cost-digest";

export function digestMarker(periodKey: string): string {
  return `<!-- shipgate:cost-digest period="${periodKey}" -->`;
}

interface IssueSummary {
  number: number;
  html_url: string;
  body?: string | null;
  pull_request?: unknown;
}

export interface DigestIssueOutcome {
  action: "created" | "updated" | "unchanged";
  number: number;
  url: string;
}

/** Creates the period's issue, or updates the one a previous run created (open or closed). */
export async function publishDigestIssue(
  client: GitHubClient,
  repository: Repository,
  periodKey: string,
  title: string,
  markdown: string,
): Promise<DigestIssueOutcome> {
  const marker = digestMarker(periodKey);
  const body = `${marker}\n${markdown}`;
  const findExisting = async () => {
    const issues = (await client.paginate("GET /repos/{owner}/{repo}/issues", {
      ...repository,
      labels: DIGEST_LABEL,
      state: "all",
      per_page: 100,
    })) as IssueSummary[];
    return issues.find((issue) => !issue.pull_request && (issue.body ?? "").startsWith(marker));
  };
  const existing = await findExisting();
  if (existing) {
    if (existing.body === body)
      return { action: "unchanged", number: existing.number, url: existing.html_url };
    const { data } = await client.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
      ...repository,
      issue_number: existing.number,
      title,
      body,
    });
    return { action: "updated", number: data.number, url: data.html_url };
  }
  const data = await createOnce<{ number: number; html_url: string }>(async () => {
    const created = await client.request("POST /repos/{owner}/{repo}/issues", {
      ...repository,
      title,
      body,
      labels: [DIGEST_LABEL],
      request: SENT_ONCE,
    });
    return created.data;
  }, findExisting);
  return { action: "created", number: data.number, url: data.html_url };
}
