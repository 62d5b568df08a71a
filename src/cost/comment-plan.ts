// The sticky comment, decided without the network: find ours by its marker, then update, post, hide or delete.
import { absolute, parseAmount, type Amount } from "./money.js";
import type { PullRequestReport } from "./pr-report.js";

export const BEHAVIORS = ["update", "new", "hide-and-new", "delete-and-new"] as const;
export type Behavior = (typeof BEHAVIORS)[number];

/** GitHub rejects comment bodies longer than this. */
export const COMMENT_LIMIT = 65_536;

const MARKER_PREFIX = "<!-- shipgate:cost-report";
const MARKER = /^<!-- shipgate:cost-report(?: tag="([\w.-]+)")? run-time="([^"]+)" -->\n/;
/** What a `tag` may be: it goes into the marker, an HTML comment. */
export const TAG = /^[\w.-]+$/;

/**
 * The hidden first line of our comment; it carries the run's time so a late older run cannot win,
 * and the step's tag (input `tag`) so two cost-report steps on one pull request keep a comment each.
 */
export function marker(runTime: string, tag?: string): string {
  return `${MARKER_PREFIX}${tag ? ` tag="${tag}"` : ""} run-time="${runTime}" -->\n`;
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

/** Our comments (those of this tag, or the untagged ones) among a pull request's, oldest first. */
export function findMarked(comments: readonly ExistingComment[], tag?: string): MarkedComment[] {
  return comments.flatMap((comment) => {
    const match = MARKER.exec(comment.body ?? "");
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

/** A threshold below which nothing material changed: an amount (`25`) or a percentage (`5%`). */
export type Threshold = { kind: "amount"; amount: Amount } | { kind: "percent"; percent: number };

export function parseThreshold(text: string): Threshold | undefined {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(trimmed);
  if (percent) return { kind: "percent", percent: Number(percent[1]) };
  const amount = /^\d+(\.\d+)?$/.test(trimmed) ? parseAmount(trimmed) : undefined;
  return amount ? { kind: "amount", amount: amount.amount } : undefined;
}

/**
 * Whether a report is worth a comment: some environment's monthly change reaches the threshold
 * (a new or removed environment with any change always does), a budget breaks, or an unpriced
 * item is added, removed or changed (its cost is unknown, so it is never below a threshold).
 */
export function isMaterial(report: PullRequestReport, threshold: Threshold | undefined): boolean {
  if (!threshold) return true;
  return report.environments.some((environment) => {
    if (environment.budget?.broken || environment.unpricedChanges.length > 0) return true;
    if (environment.delta === 0n) return false;
    if (threshold.kind === "amount") return absolute(environment.delta) >= threshold.amount;
    return environment.percent === undefined || Math.abs(environment.percent) >= threshold.percent;
  });
}

export type CommentPlan =
  | { action: "skip"; reason: string; existing?: MarkedComment }
  | { action: "update"; target: MarkedComment }
  | { action: "create"; hide: MarkedComment[]; remove: MarkedComment[] };

/**
 * Decides what to do. In order: a newer run's report wins (ours is older); an identical report is
 * not posted again; a change below the threshold gets no first comment (a posted one is always
 * brought up to date, never left stale); then the behaviour decides.
 */
export function planComment(options: {
  existing: readonly MarkedComment[];
  content: string;
  runTime: string;
  behavior: Behavior;
  material: boolean;
}): CommentPlan {
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
    return {
      action: "skip",
      reason: "no environment's monthly cost changed by the comment-threshold",
    };
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
