// A sticky pull request comment: one per action (and tag), found by a hidden marker among every
// comment of the pull request (paginated), then updated in place, posted anew, or replaced (the old
// ones hidden or deleted), never duplicated by a lost answer. The decisions are pure (planSticky);
// publishSticky does the requests. Used by cost-report and migration-check.
import { createOnce, SENT_ONCE, type GitHubClient, type Repository } from "./github.js";

export const BEHAVIORS = ["update", "new", "hide-and-new", "delete-and-new"] as const;
export type Behavior = (typeof BEHAVIORS)[number];

/** GitHub rejects comment bodies longer than this. */
export const COMMENT_LIMIT = 65_536;

/** What an action's name and a `tag` may be: they go into the marker, an HTML comment. */
export const TAG = /^[\w.-]+$/;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The hidden first line of an action's comment; it carries the run's time so a late older run cannot
 * win, and the step's tag so two steps of one action on a pull request keep a comment each.
 */
export function stickyMarker(action: string, runTime: string, tag?: string): string {
  return `<!-- shipgate:${action}${tag ? ` tag="${tag}"` : ""} run-time="${runTime}" -->\n`;
}

export interface MarkedComment {
  id: number;
  nodeId: string;
  url: string;
  runTime: string;
  /** The body without the marker. */
  content: string;
  /** Hidden already (GraphQL `isMinimized`), when that was read. */
  minimized?: boolean;
}

export interface ExistingComment {
  id: number;
  node_id: string;
  html_url: string;
  body?: string | null;
}

/** An action's comments (those of this tag, or the untagged ones) among a pull request's, oldest first. */
export function findSticky(
  action: string,
  comments: readonly ExistingComment[],
  tag?: string,
): MarkedComment[] {
  const marker = new RegExp(
    `^<!-- shipgate:${escapeRegExp(action)}(?: tag="([\\w.-]+)")? run-time="([^"]+)" -->\\n`,
  );
  return comments.flatMap((comment) => {
    const match = marker.exec(comment.body ?? "");
    if (!match || match[1] !== (tag || undefined)) return [];
    return [
      {
        id: comment.id,
        nodeId: comment.node_id,
        url: comment.html_url,
        runTime: match[2]!,
        content: (comment.body ?? "").slice(match[0].length),
      },
    ];
  });
}

export type CommentPlan =
  | { action: "skip"; reason: string; existing?: MarkedComment }
  | { action: "update"; target: MarkedComment }
  | { action: "create"; hide: MarkedComment[]; remove: MarkedComment[] };

export interface PlanOptions {
  existing: readonly MarkedComment[];
  content: string;
  runTime: string;
  behavior: Behavior;
  /** Worth a first comment (false holds back a first one; a posted one is always brought up to date). */
  material: boolean;
  /** Why a report that is not material gets no first comment. */
  immaterialReason?: string;
}

/**
 * Decides what to do. In order: a newer run's report wins (ours is older); an identical report is
 * not posted again; a report that is not material gets no first comment (a posted one is always
 * brought up to date, never left stale); then the behaviour decides.
 */
export function planSticky(options: PlanOptions): CommentPlan {
  const latest = options.existing.at(-1);
  if (latest && Date.parse(latest.runTime) > Date.parse(options.runTime)) {
    return {
      action: "skip",
      reason: `a newer run (${latest.runTime}) already reported; this run started ${options.runTime}`,
      existing: latest,
    };
  }
  if (latest && latest.content === options.content)
    return {
      action: "skip",
      reason: "the report is identical to the one posted",
      existing: latest,
    };
  if (!options.material && !latest) {
    return { action: "skip", reason: options.immaterialReason ?? "nothing worth a comment" };
  }
  switch (options.behavior) {
    case "update":
      return latest
        ? { action: "update", target: latest }
        : { action: "create", hide: [], remove: [] };
    case "new":
      return { action: "create", hide: [], remove: [] };
    case "hide-and-new":
      return {
        action: "create",
        hide: options.existing.filter((comment) => !comment.minimized),
        remove: [],
      };
    case "delete-and-new":
      return { action: "create", hide: [], remove: [...options.existing] };
  }
}

/**
 * Keeps a body within GitHub's limit: cuts at a line boundary, closes any collapsed section left
 * open, and says where the full report is.
 */
export function fitComment(body: string, limit = COMMENT_LIMIT): string {
  if (body.length <= limit) return body;
  const note =
    "\n\n> [!NOTE]\n> This report was cut to fit GitHub's 65,536-character comment limit; " +
    "the full report is in the job summary and the `report` output.\n";
  let cut = body.slice(0, limit - note.length - 40);
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf("\n")));
  const open = (cut.match(/<details>/g) ?? []).length - (cut.match(/<\/details>/g) ?? []).length;
  return `${cut}${"\n\n</details>".repeat(Math.max(0, open))}${note}`;
}

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

export interface StickyOptions {
  /** The action whose comment it is (`cost-report`): it names the marker. */
  action: string;
  content: string;
  runTime: string;
  behavior: Behavior;
  material?: boolean;
  immaterialReason?: string;
  tag?: string;
}

/** Finds the action's comment on the pull request and posts, updates or replaces it as planned. */
export async function publishSticky(
  client: GitHubClient,
  target: CommentTarget,
  options: StickyOptions,
): Promise<CommentOutcome> {
  const where = { owner: target.owner, repo: target.repo, issue_number: target.issueNumber };
  const mark = stickyMarker(options.action, options.runTime, options.tag);
  const body = fitComment(`${mark}${options.content}`);
  const list = async () =>
    (await client.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...where,
      per_page: 100,
    })) as ExistingComment[];
  try {
    let existing = findSticky(options.action, await list(), options.tag);
    if (options.behavior === "hide-and-new") existing = await readMinimized(client, existing);
    const plan = planSticky({
      existing,
      content: options.content,
      runTime: options.runTime,
      behavior: options.behavior,
      material: options.material ?? true,
      ...(options.immaterialReason ? { immaterialReason: options.immaterialReason } : {}),
    });
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
          { owner: target.owner, repo: target.repo, comment_id: plan.target.id, body },
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
          async () => (await list()).find((comment) => (comment.body ?? "").startsWith(mark)),
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

/**
 * The workflow run's start (the comment's run time), so a late older run never overwrites a newer
 * report; `now` when the run cannot be read (no actions: read, or outside a run).
 */
export async function runStartTime(
  client: GitHubClient,
  repository: Repository,
  runId: number | undefined,
  now: () => Date = () => new Date(),
): Promise<string> {
  if (runId !== undefined) {
    try {
      const { data } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
        ...repository,
        run_id: runId,
      });
      const started = data.run_started_at ?? data.created_at;
      if (started) return new Date(started).toISOString();
    } catch {
      // Without actions: read the run is unknown; the time of this step stands in.
    }
  }
  return now().toISOString();
}
