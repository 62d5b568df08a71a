// Posting the sticky comment through the GitHub API: list, update, create, hide (GraphQL) or delete.
import { createOnce, SENT_ONCE, type GitHubClient } from "../runtime/github.js";
import {
  findMarked,
  fitComment,
  marker,
  planComment,
  type Behavior,
  type CommentPlan,
  type ExistingComment,
  type MarkedComment,
} from "./comment-plan.js";

export interface CommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
}

export interface CommentOutcome {
  plan: CommentPlan;
  /** The comment that now shows the report (or the existing one when skipped). */
  url?: string;
  hidden: number;
  deleted: number;
}

const MINIMIZED = `query($ids: [ID!]!) {
  nodes(ids: $ids) { ... on IssueComment { id isMinimized } }
}`;

const MINIMIZE = `mutation($subjectId: ID!) {
  minimizeComment(input: { subjectId: $subjectId, classifier: OUTDATED }) { minimizedComment { isMinimized } }
}`;

/** Thrown when the token may not write (a pull request from a fork): the caller falls back to the summary. */
export class CannotWriteError extends Error {}

function isForbidden(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  return status === 403 || status === 404;
}

/** Which of our comments are hidden already (one GraphQL query), so hide-and-new hides each once. */
async function readMinimized(
  client: GitHubClient,
  comments: MarkedComment[],
): Promise<MarkedComment[]> {
  if (comments.length === 0) return comments;
  const { nodes } = await client.graphql<{
    nodes: ({ id: string; isMinimized: boolean } | null)[];
  }>(MINIMIZED, { ids: comments.map((comment) => comment.nodeId) });
  const minimized = new Set(nodes.flatMap((node) => (node && node.isMinimized ? [node.id] : [])));
  return comments.map((comment) => ({ ...comment, minimized: minimized.has(comment.nodeId) }));
}

export async function publishComment(
  client: GitHubClient,
  target: CommentTarget,
  options: {
    content: string;
    runTime: string;
    behavior: Behavior;
    material: boolean;
    tag?: string;
  },
): Promise<CommentOutcome> {
  const where = { owner: target.owner, repo: target.repo, issue_number: target.issueNumber };
  const mark = marker(options.runTime, options.tag);
  const body = fitComment(`${mark}${options.content}`);
  try {
    const comments = (await client.paginate(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      {
        ...where,
        per_page: 100,
      },
    )) as ExistingComment[];
    let existing = findMarked(comments, options.tag);
    if (options.behavior === "hide-and-new") existing = await readMinimized(client, existing);
    const plan = planComment({ existing, ...options });
    switch (plan.action) {
      case "skip":
        return {
          plan,
          ...(plan.existing ? { url: plan.existing.url } : {}),
          hidden: 0,
          deleted: 0,
        };
      case "update": {
        const { data } = await client.request(
          "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
          {
            owner: target.owner,
            repo: target.repo,
            comment_id: plan.target.id,
            body,
          },
        );
        return { plan, url: data.html_url, hidden: 0, deleted: 0 };
      }
      case "create": {
        const data = await createOnce<{ html_url: string }>(
          async () => {
            const created = await client.request(
              "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
              { ...where, body, request: SENT_ONCE },
            );
            return created.data;
          },
          // A lost answer: the comment of this very run (its marker names the run) may be there.
          async () => {
            const again = (await client.paginate(
              "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
              { ...where, per_page: 100 },
            )) as ExistingComment[];
            return again.find((comment) => (comment.body ?? "").startsWith(mark));
          },
        );
        // The new comment goes up first, so a failure below never leaves the pull request without one.
        for (const old of plan.hide) await client.graphql(MINIMIZE, { subjectId: old.nodeId });
        for (const old of plan.remove) {
          await client.request("DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}", {
            owner: target.owner,
            repo: target.repo,
            comment_id: old.id,
          });
        }
        return { plan, url: data.html_url, hidden: plan.hide.length, deleted: plan.remove.length };
      }
    }
  } catch (error) {
    if (isForbidden(error)) throw new CannotWriteError((error as Error).message);
    throw error;
  }
}
