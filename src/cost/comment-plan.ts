// cost-report's sticky comment: its marker, and whether a report is material enough for a first
// comment (thresholds). Finding, planning and fitting the comment are the shared sticky-comment code.
import {
  findSticky,
  planSticky,
  stickyMarker,
  type ExistingComment,
  type MarkedComment,
  type PlanOptions,
} from "../runtime/sticky-comment.js";
import { absolute, parseAmount, type Amount } from "./money.js";
import type { PullRequestReport } from "./pr-report.js";

export {
  BEHAVIORS,
  COMMENT_LIMIT,
  fitComment,
  TAG,
  type Behavior,
  type CommentPlan,
  type ExistingComment,
  type MarkedComment,
} from "../runtime/sticky-comment.js";

/** The action named in the comment's marker. */
export const STICKY_ACTION = "cost-report";
export const IMMATERIAL = "no environment's monthly cost changed by the comment-threshold";

/** The hidden first line of cost-report's comment (see stickyMarker). */
export const marker = (runTime: string, tag?: string): string =>
  stickyMarker(STICKY_ACTION, runTime, tag);

/** cost-report's comments (those of this tag, or the untagged ones) among a pull request's, oldest first. */
export const findMarked = (comments: readonly ExistingComment[], tag?: string): MarkedComment[] =>
  findSticky(STICKY_ACTION, comments, tag);

/** What to do with the comment (see planSticky), a first comment held back below the threshold. */
export const planComment = (options: Omit<PlanOptions, "immaterialReason">) =>
  planSticky({ ...options, immaterialReason: IMMATERIAL });

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
