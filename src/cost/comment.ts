// Posting cost-report's sticky comment through the shared sticky-comment code (runtime/sticky-comment).
import type { GitHubClient } from "../runtime/github.js";
import {
  publishSticky,
  type Behavior,
  type CommentOutcome,
  type CommentTarget,
} from "../runtime/sticky-comment.js";
import { IMMATERIAL, STICKY_ACTION } from "./comment-plan.js";

export {
  CannotWriteError,
  type CommentOutcome,
  type CommentTarget,
} from "../runtime/sticky-comment.js";

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
  return publishSticky(client, target, {
    ...options,
    action: STICKY_ACTION,
    immaterialReason: IMMATERIAL,
  });
}
