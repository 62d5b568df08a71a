// The shape of an environment's `protection` section: the GitHub environment's rules as code.
import * as z from "zod/mini";
import { flag } from "./fields.js";
import { FreezeSchema } from "./freeze.js";

/** GitHub's longest wait timer: 30 days, in minutes. */
export const MAX_WAIT_MINUTES = 43_200;
/** GitHub accepts at most six required reviewers (users and teams together). */
export const MAX_REVIEWERS = 6;

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;

/**
 * A wait timer as written: whole minutes (`30`) or a duration in days, hours and minutes (`30m`,
 * `1h30m`, `2d`). Undefined when it is neither or is out of GitHub's range.
 */
export function waitTimerMinutes(value: number | string): number | undefined {
  let minutes: number;
  if (typeof value === "number") {
    minutes = value;
  } else {
    const match = DURATION.exec(value.trim());
    if (!match || value.trim() === "") return undefined;
    const [, days = "0", hours = "0", mins = "0"] = match;
    minutes = Number(days) * 1440 + Number(hours) * 60 + Number(mins);
  }
  return Number.isSafeInteger(minutes) && minutes >= 0 && minutes <= MAX_WAIT_MINUTES
    ? minutes
    : undefined;
}

/** A GitHub login: alphanumerics and single hyphens, at most 39 characters. */
export const USER_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
/** `org/team-slug`: an organization login and a team's slug. */
export const TEAM_NAME =
  /^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})\/([A-Za-z0-9][A-Za-z0-9_.-]*)$/;

const reviewer = z.string().check(
  z.refine((name) => USER_LOGIN.test(name) || TEAM_NAME.test(name), {
    error: "expected a user login such as octocat or a team as org/team-slug",
  }),
);

const unique =
  <T>(key: (item: T) => string) =>
  (items: readonly T[]) =>
    new Set(items.map(key)).size === items.length;

const BranchPatternSchema = z.strictObject({
  name: z
    .string()
    .check(
      z.minLength(1),
      z.describe(
        "A branch or tag name pattern (Ruby File.fnmatch: * does not match /), such as main, release/* or v*.",
      ),
    ),
  type: z.optional(
    z
      .enum(["branch", "tag"])
      .check(z.describe("Whether the pattern matches branches (default) or tags.")),
  ),
});

const DeploymentBranchPolicySchema = z
  .strictObject({
    "protected-branches": z.optional(
      z
        .literal(true, {
          error: "expected true (leave deployment-branch-policy out to let every branch deploy)",
        })
        .check(z.describe("Only branches with branch protection rules may deploy.")),
    ),
    custom: z.optional(
      z.array(BranchPatternSchema).check(
        z.minLength(1, {
          error:
            "expected at least one pattern (leave deployment-branch-policy out to let every branch deploy)",
        }),
        z.refine(
          unique(
            (pattern: z.infer<typeof BranchPatternSchema>) =>
              `${pattern.type ?? "branch"}:${pattern.name}`,
          ),
          {
            error: "lists the same pattern twice",
          },
        ),
        z.describe("Only branches and tags matching one of these patterns may deploy."),
      ),
    ),
  })
  .check(
    z.refine(
      (policy) => (policy["protected-branches"] === true) !== (policy.custom !== undefined),
      {
        error: "expected exactly one of protected-branches: true or custom: [patterns]",
      },
    ),
    z.describe(
      "Which branches and tags may deploy: protected-branches: true, or custom patterns. Left out: every branch.",
    ),
  );

export const ProtectionSchema = z
  .strictObject({
    "required-reviewers": z.optional(
      z.array(reviewer).check(
        z.maxLength(MAX_REVIEWERS, {
          error: `GitHub allows at most ${MAX_REVIEWERS} required reviewers`,
        }),
        z.refine(
          unique((name: string) => name.toLowerCase()),
          { error: "lists the same reviewer twice" },
        ),
        z.describe(
          "Users (octocat) and teams (org/team-slug) of whom one must approve each deployment. Left out: none.",
        ),
      ),
    ),
    "prevent-self-review": flag(
      "Whether the person who triggered a deployment is barred from approving it " +
        "(needs required-reviewers).",
    ),
    "wait-timer": z.optional(
      z
        .union([z.number(), z.string()], { error: "expected minutes or a duration such as 30m" })
        .check(
          z.refine((value) => waitTimerMinutes(value) !== undefined, {
            error:
              `expected whole minutes from 0 to ${MAX_WAIT_MINUTES} (30 days), ` +
              "or a duration such as 30m, 1h30m or 2d",
          }),
          z.describe(
            "How long to wait before a deployment proceeds: minutes, or a duration such as 30m. Left out: no wait.",
          ),
        ),
    ),
    "deployment-branch-policy": z.optional(DeploymentBranchPolicySchema),
    freeze: z.optional(FreezeSchema),
  })
  .check(
    z.describe(
      "Required reviewers, wait timer and branch policies for the GitHub environment of the same " +
        "name, compared and applied by env-config (mode: protection). A rule left out is off. " +
        "freeze is deploy's own: a section holding only freeze leaves the GitHub environment unmanaged.",
    ),
  );

export type ProtectionSection = z.infer<typeof ProtectionSchema>;
export type BranchPatternEntry = z.infer<typeof BranchPatternSchema>;
