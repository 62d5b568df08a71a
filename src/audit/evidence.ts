// Change evidence for one deployment and the violations it shows: what was deployed, the pull
// requests and reviews behind it, who triggered and who approved it, its checks, its result, a
// freeze override, a rollback and its incident. Pure: the facts come in read, the judgement out.

/** A review of a pull request, as the reviews API lists it. */
export interface ReviewFact {
  reviewer: string;
  state: string;
  /** The commit the reviewer saw. */
  commitId: string;
  submittedAt?: string;
}

export interface PullRequestFact {
  number: number;
  title: string;
  url: string;
  author: string;
  /** The head commit when it was merged: what an approval must have seen. */
  headSha: string;
  mergedAt: string | null;
  mergedCommitSha: string | null;
  reviews: readonly ReviewFact[];
}

/** A check run (`check`) or a commit status (`status`) on the deployed commit; latest per name. */
export interface CheckFact {
  name: string;
  source: "check" | "status";
  /** A check run's conclusion (or its status while not completed), a commit status's state. */
  result: string;
}

/** One review of the run's environment gate. */
export interface ApprovalFact {
  reviewer: string;
  state: "approved" | "rejected" | "pending";
  comment: string;
}

export interface RunFact {
  id: number;
  url: string;
  /** Who started (or re-ran) the run, and whose event it was. */
  triggeredBy?: string;
  actor?: string;
  event?: string;
}

export interface DeploymentFacts {
  id: number;
  environment: string;
  version?: string;
  sha: string;
  strategy?: string;
  createdAt: string;
  /** Who created the deployment record: the token's user. */
  creator?: string;
  outcome: "success" | "failed" | "rolled-back" | "running";
  /** The final status's description: what deploy's gate and health checks concluded. */
  resultDescription?: string;
  analysisSkipped: boolean;
  freezeOverride?: { window: string; reason: string };
  /**
   * The commits it brought (the compare from the deployment live before it), its own last: the
   * first 100 of a larger change, and its own.
   */
  commits: readonly string[];
  /** How many commits it brought in all; more than `commits` holds when they were too many. */
  commitsTotal: number;
  /** Of those, the ones no merged pull request brought. */
  commitsWithoutPullRequest: readonly string[];
  pullRequests: readonly PullRequestFact[];
  run?: RunFact;
  /** The run's reviews for this environment; empty when it had none or no run is known. */
  approvals: readonly ApprovalFact[];
  checks: readonly CheckFact[];
  rollback?: { id: number; createdAt: string; version?: string };
  incident?: { number: number; url: string; title: string; state: string };
}

/** The required checks and where that list came from. */
export interface RequiredChecks {
  names: readonly string[];
  source: "input" | "branch protection" | "none";
  /** Why the branch protection could not be read, when it could not. */
  note?: string;
}

export const VIOLATIONS = [
  "no-pull-request",
  "no-independent-approval",
  "self-approved-deployment",
  "required-checks",
  "deployed-in-freeze",
  "rollback-without-incident",
] as const;
export type ViolationKind = (typeof VIOLATIONS)[number];

export interface Violation {
  kind: ViolationKind;
  message: string;
}

/** What the reviews of one pull request come to. */
export interface ReviewVerdict {
  number: number;
  /** Approvals by someone other than the author, of the commit that was merged. */
  independent: string[];
  /** Approvals by the pull request's author. */
  selfApprovals: string[];
  /** Approvals of an older commit than the one merged (reviewer and the commit approved). */
  stale: { reviewer: string; commitId: string }[];
}

export interface CanaryVerdict {
  verdict: "passed" | "failed" | "skipped" | "running" | "not a canary";
  detail?: string;
}

export interface AuditedDeployment extends DeploymentFacts {
  reviewVerdicts: ReviewVerdict[];
  canary: CanaryVerdict;
  /** Required checks that did not pass (failed, pending or missing), with what was seen. */
  checkProblems: { name: string; result: string }[];
  violations: Violation[];
}

const APPROVED = "APPROVED";
/** Review states that replace a reviewer's earlier approval; COMMENTED leaves it standing. */
const DECISIVE = new Set([APPROVED, "CHANGES_REQUESTED", "DISMISSED"]);
const PASSING = new Set(["success", "neutral", "skipped"]);

const same = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/** Each reviewer's standing approval, judged against the author and the merged head. */
export function judgeReviews(pull: PullRequestFact): ReviewVerdict {
  const latest = new Map<string, ReviewFact>();
  for (const review of pull.reviews)
    if (DECISIVE.has(review.state)) latest.set(review.reviewer.toLowerCase(), review);
  const approvals = [...latest.values()].filter((review) => review.state === APPROVED);
  return {
    number: pull.number,
    independent: approvals
      .filter((review) => !same(review.reviewer, pull.author) && review.commitId === pull.headSha)
      .map((review) => review.reviewer),
    selfApprovals: approvals
      .filter((review) => same(review.reviewer, pull.author))
      .map((review) => review.reviewer),
    stale: approvals
      .filter((review) => !same(review.reviewer, pull.author) && review.commitId !== pull.headSha)
      .map((review) => ({ reviewer: review.reviewer, commitId: review.commitId })),
  };
}

export function canaryVerdict(facts: DeploymentFacts): CanaryVerdict {
  if (facts.strategy !== "canary") return { verdict: "not a canary" };
  const detail = facts.resultDescription ? { detail: facts.resultDescription } : {};
  if (facts.outcome === "running") return { verdict: "running", ...detail };
  if (facts.analysisSkipped) return { verdict: "skipped", ...detail };
  return { verdict: facts.outcome === "success" ? "passed" : "failed", ...detail };
}

/**
 * The required checks that did not pass on the commit. Without a required list, every check
 * that failed counts (a failing check nobody declared required is still a failing check).
 */
export function checkProblems(
  checks: readonly CheckFact[],
  required: RequiredChecks,
): { name: string; result: string }[] {
  if (required.names.length === 0)
    return checks
      .filter((check) => !PASSING.has(check.result) && check.result !== "pending")
      .map(({ name, result }) => ({ name, result }));
  return required.names.flatMap((name) => {
    const seen = checks.filter((check) => check.name === name);
    if (seen.length === 0) return [{ name, result: "missing" }];
    const passed = seen.some((check) => PASSING.has(check.result));
    return passed ? [] : [{ name, result: seen.map((check) => check.result).join(", ") }];
  });
}

const short = (sha: string): string => sha.slice(0, 7);

/** The deployment with its verdicts and every violation it shows. */
export function auditDeployment(
  facts: DeploymentFacts,
  required: RequiredChecks,
): AuditedDeployment {
  const reviewVerdicts = facts.pullRequests.map(judgeReviews);
  const problems = checkProblems(facts.checks, required);
  const violations: Violation[] = [];

  if (facts.pullRequests.length === 0 || facts.commitsWithoutPullRequest.length > 0) {
    const commits = facts.commitsWithoutPullRequest.map(short).join(", ");
    violations.push({
      kind: "no-pull-request",
      message:
        facts.pullRequests.length === 0
          ? `no merged pull request brought ${short(facts.sha)}`
          : `commit(s) ${commits} reached ${facts.environment} without a pull request`,
    });
  }
  for (const verdict of reviewVerdicts) {
    if (verdict.independent.length > 0) continue;
    const why = [
      ...verdict.selfApprovals.map((reviewer) => `approved by its author ${reviewer}`),
      ...verdict.stale.map(
        (stale) => `${stale.reviewer} approved ${short(stale.commitId)}, an older commit`,
      ),
    ];
    violations.push({
      kind: "no-independent-approval",
      message:
        `#${verdict.number} merged without an independent approval of its last commit` +
        (why.length ? ` (${why.join("; ")})` : ""),
    });
  }
  const approvers = facts.approvals.filter((approval) => approval.state === "approved");
  const people = [
    ...(facts.run?.triggeredBy
      ? [{ login: facts.run.triggeredBy, role: "triggered the run" }]
      : []),
    ...(facts.run?.actor && !same(facts.run.actor, facts.run.triggeredBy)
      ? [{ login: facts.run.actor, role: "started the run's event" }]
      : []),
    ...facts.pullRequests.map((pull) => ({ login: pull.author, role: `wrote #${pull.number}` })),
  ];
  for (const approval of approvers) {
    const roles = people.filter((person) => same(person.login, approval.reviewer));
    if (roles.length > 0)
      violations.push({
        kind: "self-approved-deployment",
        message:
          `${approval.reviewer} approved the ${facts.environment} deployment and ` +
          [...new Set(roles.map((role) => role.role))].join(" and "),
      });
  }
  if (problems.length > 0)
    violations.push({
      kind: "required-checks",
      message: problems.map((problem) => `${problem.name}: ${problem.result}`).join("; "),
    });
  if (facts.freezeOverride)
    violations.push({
      kind: "deployed-in-freeze",
      message: `deployed during ${facts.freezeOverride.window}; override: ${facts.freezeOverride.reason}`,
    });
  if (facts.rollback && !facts.incident)
    violations.push({
      kind: "rollback-without-incident",
      message: `rolled back (deployment #${facts.rollback.id}) with no incident issue`,
    });

  return {
    ...facts,
    reviewVerdicts,
    canary: canaryVerdict(facts),
    checkProblems: problems,
    violations,
  };
}
