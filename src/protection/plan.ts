// Declared protection against GitHub's live settings: the changes that would make them match.
import type { SourcePosition } from "../shared/errors.js";
import type { BranchPattern, BranchPolicy, DeclaredProtection } from "./declared.js";

/** A reviewer GitHub knows, by id; `name` is `octocat` or `org/team-slug`. */
export interface Reviewer {
  type: "User" | "Team";
  id: number;
  name: string;
}

/** A branch or tag pattern as GitHub stores it. */
export interface LivePattern extends BranchPattern {
  id: number;
}

/** The protection rules of a GitHub environment, as read from the API. */
export interface LiveProtection {
  waitTimer: number;
  reviewers: Reviewer[];
  preventSelfReview: boolean;
  branchPolicy:
    { kind: "any" } | { kind: "protected-branches" } | { kind: "custom"; patterns: LivePattern[] };
}

/** What a new environment has: no rule at all. */
export const NO_PROTECTION: LiveProtection = {
  waitTimer: 0,
  reviewers: [],
  preventSelfReview: false,
  branchPolicy: { kind: "any" },
};

export const SETTINGS = [
  "environment",
  "wait-timer",
  "required-reviewers",
  "prevent-self-review",
  "deployment-branch-policy",
] as const;
export type Setting = (typeof SETTINGS)[number];

/** A setting's value as the environment file writes it (`null`: every branch may deploy). */
export type SettingValue =
  | "absent"
  | "present"
  | number
  | boolean
  | string[]
  | null
  | { "protected-branches": true }
  | { custom: BranchPattern[] };

export interface Change {
  environment: string;
  setting: Setting;
  live: SettingValue;
  desired: SettingValue;
  /** `create` when the GitHub environment does not exist yet, `none` when already in sync. */
  action: "create" | "update" | "none";
  /** The key in the environment file that declares it. */
  at: SourcePosition;
}

export interface EnvironmentPlan {
  environment: string;
  /** Undefined when GitHub has no environment of that name. */
  live: LiveProtection | undefined;
  desired: DeclaredProtection;
  /** The reviewers of `desired`, resolved to GitHub ids, in the file's order. */
  reviewers: Reviewer[];
  /** One per setting compared, in SETTINGS order; in-sync ones have action `none`. */
  changes: Change[];
}

export const patternKey = (pattern: BranchPattern): string => `${pattern.type}:${pattern.name}`;
const reviewerKey = (reviewer: Reviewer): string => `${reviewer.type}:${reviewer.id}`;

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((key) => right.has(key));
}

function policyValue(policy: BranchPolicy | LiveProtection["branchPolicy"]): SettingValue {
  if (policy.kind === "any") return null;
  if (policy.kind === "protected-branches") return { "protected-branches": true };
  return { custom: policy.patterns.map(({ name, type }) => ({ name, type })) };
}

function samePolicy(live: LiveProtection["branchPolicy"], desired: BranchPolicy): boolean {
  if (live.kind !== desired.kind) return false;
  if (live.kind !== "custom" || desired.kind !== "custom") return true;
  return sameSet(live.patterns.map(patternKey), desired.patterns.map(patternKey));
}

/**
 * Compares one environment's declared protection (reviewers already resolved to ids) with what
 * GitHub has. Reviewers are compared by id and patterns by name and type, both as sets: order
 * is not a setting.
 */
export function planEnvironment(
  desired: DeclaredProtection,
  reviewers: readonly Reviewer[],
  live: LiveProtection | undefined,
): EnvironmentPlan {
  const current = live ?? NO_PROTECTION;
  const changed = live ? "update" : "create";
  const row = (
    setting: Setting,
    path: string[],
    from: SettingValue,
    to: SettingValue,
    same: boolean,
  ): Change => ({
    environment: desired.environment,
    setting,
    live: from,
    desired: to,
    action: same ? "none" : changed,
    at: desired.locate(path),
  });
  const changes = [
    ...(live ? [] : [row("environment", [], "absent", "present", false)]),
    row(
      "wait-timer",
      ["wait-timer"],
      current.waitTimer,
      desired.waitTimer,
      current.waitTimer === desired.waitTimer,
    ),
    row(
      "required-reviewers",
      ["required-reviewers"],
      current.reviewers.map((reviewer) => reviewer.name),
      desired.reviewers.map((reviewer) => reviewer.name),
      sameSet(current.reviewers.map(reviewerKey), reviewers.map(reviewerKey)),
    ),
    row(
      "prevent-self-review",
      ["prevent-self-review"],
      current.preventSelfReview,
      desired.preventSelfReview,
      current.preventSelfReview === desired.preventSelfReview,
    ),
    row(
      "deployment-branch-policy",
      ["deployment-branch-policy"],
      policyValue(current.branchPolicy),
      policyValue(desired.branchPolicy),
      samePolicy(current.branchPolicy, desired.branchPolicy),
    ),
  ];
  return { environment: desired.environment, live, desired, reviewers: [...reviewers], changes };
}

export const drifted = (plan: EnvironmentPlan): Change[] =>
  plan.changes.filter((change) => change.action !== "none");

/** The body of `PUT /repos/{owner}/{repo}/environments/{environment_name}` that sets every declared rule. */
export interface EnvironmentBody {
  wait_timer: number;
  prevent_self_review: boolean;
  reviewers: { type: "User" | "Team"; id: number }[];
  deployment_branch_policy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

/** The writes that bring one environment in line: a PUT when an environment-level rule differs, then pattern edits. */
export interface EnvironmentWrites {
  put: EnvironmentBody | undefined;
  /** Set when the declared policy is custom: the patterns to end with. */
  patterns: BranchPattern[] | undefined;
}

export function writesFor(plan: EnvironmentPlan): EnvironmentWrites {
  const policy = plan.desired.branchPolicy;
  const kindChanged = (plan.live?.branchPolicy.kind ?? "any") !== policy.kind;
  const putNeeded =
    kindChanged || drifted(plan).some((change) => change.setting !== "deployment-branch-policy");
  const put: EnvironmentBody | undefined = putNeeded
    ? {
        wait_timer: plan.desired.waitTimer,
        prevent_self_review: plan.desired.preventSelfReview,
        reviewers: plan.reviewers.map(({ type, id }) => ({ type, id })),
        deployment_branch_policy:
          policy.kind === "any"
            ? null
            : {
                protected_branches: policy.kind === "protected-branches",
                custom_branch_policies: policy.kind === "custom",
              },
      }
    : undefined;
  const policyDrift = plan.changes.some(
    (change) => change.setting === "deployment-branch-policy" && change.action !== "none",
  );
  return { put, patterns: policy.kind === "custom" && policyDrift ? policy.patterns : undefined };
}

/** The pattern edits that turn `live` into `desired`: create what is missing, delete what is not declared. */
export function patternEdits(
  live: readonly LivePattern[],
  desired: readonly BranchPattern[],
): { create: BranchPattern[]; remove: LivePattern[] } {
  const wanted = new Set(desired.map(patternKey));
  const have = new Set(live.map(patternKey));
  return {
    create: desired.filter((pattern) => !have.has(patternKey(pattern))),
    remove: live.filter((pattern) => !wanted.has(patternKey(pattern))),
  };
}
