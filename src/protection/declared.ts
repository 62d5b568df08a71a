// What an environment file declares about its GitHub environment's protection, read into plain values.
import type { LayeredEnvironment } from "../config/layering.js";
import type { KeyPath } from "../config/yaml-source.js";
import { ConfigurationError, type SourcePosition } from "../shared/errors.js";
import { TEAM_NAME, waitTimerMinutes } from "../schema/protection.js";

/** A reviewer as the file names it: a user login, or a team by organization and slug. */
export type ReviewerRef =
  { type: "User"; login: string } | { type: "Team"; org: string; slug: string };

export interface BranchPattern {
  name: string;
  type: "branch" | "tag";
}

/** Which refs may deploy: every branch, branches with protection rules, or matching patterns. */
export type BranchPolicy =
  { kind: "any" } | { kind: "protected-branches" } | { kind: "custom"; patterns: BranchPattern[] };

export interface DeclaredReviewer {
  /** As written: `octocat` or `org/team-slug`. */
  name: string;
  ref: ReviewerRef;
  /** Where it is written, for messages about it. */
  at: SourcePosition;
}

/** One environment's declared protection, every rule spelled out (left out means off). */
export interface DeclaredProtection {
  environment: string;
  reviewers: DeclaredReviewer[];
  preventSelfReview: boolean;
  waitTimer: number;
  branchPolicy: BranchPolicy;
  /** The file and line of a key of the environment's files (the deepest that exists). */
  locate(path: KeyPath): SourcePosition;
}

export const PROTECTION = "protection";

/** A reviewer name as written (already checked by the schema) to its reference. */
export function reviewerRef(name: string): ReviewerRef {
  const team = TEAM_NAME.exec(name);
  return team?.[1] && team[2]
    ? { type: "Team", org: team[1], slug: team[2] }
    : { type: "User", login: name };
}

/**
 * The `protection` section of a layered environment as plain values, or undefined when the
 * environment has none (its GitHub environment is then not managed). The rules that span keys, and
 * so only hold once the layers are merged, are checked here.
 */
export function declaredProtection(
  environment: LayeredEnvironment,
): DeclaredProtection | undefined {
  const section = environment.document.protection;
  // freeze is read by deploy, not GitHub: a section holding only freeze manages no GitHub rule.
  const { freeze, ...rules } = section ?? {};
  if (!section || (freeze !== undefined && Object.keys(rules).length === 0)) return undefined;
  // A protection section comes from a file, so every key of it has a place.
  const locate = (path: KeyPath): SourcePosition =>
    environment.locate([PROTECTION, ...path]) ?? { file: `${environment.name}.yml` };
  const names = section["required-reviewers"] ?? [];
  const preventSelfReview = section["prevent-self-review"] ?? false;
  if (preventSelfReview && names.length === 0) {
    throw new ConfigurationError({
      path: `${PROTECTION}.prevent-self-review`,
      at: locate(["prevent-self-review"]),
      message: "needs required-reviewers: GitHub keeps it on the required reviewers rule",
    });
  }
  const policy = section["deployment-branch-policy"];
  let branchPolicy: BranchPolicy = { kind: "any" };
  if (policy?.["protected-branches"]) branchPolicy = { kind: "protected-branches" };
  else if (policy?.custom) {
    branchPolicy = {
      kind: "custom",
      patterns: policy.custom.map((pattern) => ({
        name: pattern.name,
        type: pattern.type ?? "branch",
      })),
    };
  }
  const wait = section["wait-timer"];
  return {
    environment: environment.name,
    reviewers: names.map((name, index) => ({
      name,
      ref: reviewerRef(name),
      at: locate(["required-reviewers", index]),
    })),
    preventSelfReview,
    waitTimer: wait === undefined ? 0 : (waitTimerMinutes(wait) ?? 0),
    branchPolicy,
    locate,
  };
}
