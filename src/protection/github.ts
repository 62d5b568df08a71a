// The protection rules on GitHub: reading them, resolving reviewer names to ids, writing a plan.
// A plan is written as one PUT of the environment, then branch and tag patterns created and deleted.
import { ConfigurationError, type Problem } from "../shared/errors.js";
import type { GitHubClient, Repository } from "../runtime/github.js";
import type { DeclaredReviewer, ReviewerRef } from "./declared.js";
import { PROTECTION } from "./declared.js";
import {
  drifted,
  NO_PROTECTION,
  patternEdits,
  writesFor,
  type Change,
  type EnvironmentPlan,
  type LivePattern,
  type LiveProtection,
  type Reviewer,
} from "./plan.js";

/** What applying needs, and why the workflow's own token cannot do it. */
export const ADMINISTRATION_NEEDED =
  'changing environments needs a token with the repository permission "Administration: write": a fine-grained ' +
  "personal access token or a GitHub App installation token, passed as the token input. The workflow's GITHUB_TOKEN " +
  "cannot be granted it (permissions: has no administration scope).";

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

function githubMessage(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } } | null)?.response?.data;
  return typeof data?.message === "string"
    ? data.message
    : error instanceof Error
      ? error.message
      : String(error);
}

/** A refusal the user can fix (credentials, permissions) as a ConfigurationError; anything else as it is. */
function explainRefusal(error: unknown, request: string, write: boolean): unknown {
  const status = statusOf(error);
  const answer = `GitHub answered ${request} with ${status} "${githubMessage(error)}"`;
  const tokenProblem = (message: string): ConfigurationError =>
    new ConfigurationError({ path: 'input "token"', message });
  if (status === 401) return tokenProblem(`the token was not accepted: ${answer}`);
  if (write && (status === 403 || status === 404))
    return tokenProblem(`${answer}: ${ADMINISTRATION_NEEDED}`);
  if (status === 403) return tokenProblem(`the token cannot read environments: ${answer}`);
  return error;
}

async function call<T>(request: string, write: boolean, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw explainRefusal(error, request, write);
  }
}

interface RuleReviewer {
  type?: string;
  reviewer?: { login?: string; id?: number; slug?: string; html_url?: string };
}

/** `org/slug` of a team reviewer: its html_url is `https://github.com/orgs/{org}/teams/{slug}`. */
function teamName(team: NonNullable<RuleReviewer["reviewer"]>): string {
  const match = /\/orgs\/([^/]+)\/teams\/([^/?#]+)/.exec(team.html_url ?? "");
  return match?.[1] && match[2]
    ? `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`
    : (team.slug ?? String(team.id));
}

function reviewersOf(rule: { reviewers?: RuleReviewer[] }): Reviewer[] {
  return (rule.reviewers ?? []).flatMap(({ type, reviewer }): Reviewer[] => {
    if (!reviewer || typeof reviewer.id !== "number") return [];
    if (type === "Team") return [{ type: "Team", id: reviewer.id, name: teamName(reviewer) }];
    return [{ type: "User", id: reviewer.id, name: reviewer.login ?? String(reviewer.id) }];
  });
}

/** The REST path of an environment's branch and tag patterns. */
const BRANCH_POLICIES =
  "/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies";

async function listPatterns(
  client: GitHubClient,
  repository: Repository,
  environment: string,
): Promise<LivePattern[]> {
  const policies = await call(`GET deployment-branch-policies of ${environment}`, false, () =>
    client.paginate(`GET ${BRANCH_POLICIES}`, {
      ...repository,
      environment_name: environment,
      per_page: 100,
    }),
  );
  return policies.flatMap((policy) =>
    typeof policy.id === "number" && policy.name !== undefined
      ? [{ id: policy.id, name: policy.name, type: policy.type ?? "branch" }]
      : [],
  );
}

/** The environment's protection rules, or undefined when GitHub has no environment of that name. */
export async function readLiveProtection(
  client: GitHubClient,
  repository: Repository,
  environment: string,
): Promise<LiveProtection | undefined> {
  let data;
  try {
    ({ data } = await call(`GET environment ${environment}`, false, () =>
      client.request("GET /repos/{owner}/{repo}/environments/{environment_name}", {
        ...repository,
        environment_name: environment,
      }),
    ));
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
  const live: LiveProtection = { ...NO_PROTECTION };
  for (const rule of data.protection_rules ?? []) {
    if (rule.type === "wait_timer" && "wait_timer" in rule) live.waitTimer = rule.wait_timer ?? 0;
    if (rule.type === "required_reviewers" && "reviewers" in rule) {
      live.reviewers = reviewersOf(rule as { reviewers?: RuleReviewer[] });
      live.preventSelfReview = "prevent_self_review" in rule && rule.prevent_self_review === true;
    }
  }
  const policy = data.deployment_branch_policy;
  if (policy?.protected_branches) live.branchPolicy = { kind: "protected-branches" };
  else if (policy?.custom_branch_policies) {
    live.branchPolicy = {
      kind: "custom",
      patterns: await listPatterns(client, repository, environment),
    };
  }
  return live;
}

const refKey = (ref: ReviewerRef): string =>
  (ref.type === "User" ? `User:${ref.login}` : `Team:${ref.org}/${ref.slug}`).toLowerCase();

/**
 * Resolves every declared reviewer to its GitHub id. Reviewers GitHub already lists on the
 * environment are taken from there; the others are looked up (`GET /users/{username}`,
 * `GET /orgs/{org}/teams/{team_slug}`). Every name that does not resolve is reported at once, at
 * its line in the environment file.
 */
export async function resolveReviewers(
  client: GitHubClient,
  declared: readonly DeclaredReviewer[],
  known: readonly Reviewer[],
): Promise<Map<string, Reviewer>> {
  const resolved = new Map<string, Reviewer>();
  for (const reviewer of known)
    resolved.set(`${reviewer.type}:${reviewer.name}`.toLowerCase(), reviewer);
  const problems: Problem[] = [];
  const pending = new Map<string, DeclaredReviewer>();
  for (const reviewer of declared)
    if (!resolved.has(refKey(reviewer.ref))) pending.set(refKey(reviewer.ref), reviewer);
  await Promise.all(
    [...pending.entries()].map(async ([key, reviewer]) => {
      const problem = (message: string): void => {
        problems.push({ path: `${PROTECTION}.required-reviewers`, at: reviewer.at, message });
      };
      try {
        if (reviewer.ref.type === "User") {
          const { data } = await client.request("GET /users/{username}", {
            username: reviewer.ref.login,
          });
          if (data.type === "Organization")
            problem(
              `${reviewer.name} is an organization, not a user: name a team as ${reviewer.name}/team-slug`,
            );
          else resolved.set(key, { type: "User", id: Number(data.id), name: data.login });
        } else {
          const { org, slug } = reviewer.ref;
          const { data } = await client.request("GET /orgs/{org}/teams/{team_slug}", {
            org,
            team_slug: slug,
          });
          resolved.set(key, { type: "Team", id: Number(data.id), name: `${org}/${data.slug}` });
        }
      } catch (error) {
        const status = statusOf(error);
        if (reviewer.ref.type === "User" && status === 404)
          problem(`no GitHub user ${reviewer.name}`);
        else if (reviewer.ref.type === "Team" && (status === 404 || status === 403)) {
          problem(
            `no team ${reviewer.ref.slug} in organization ${reviewer.ref.org} that the token can see ` +
              `(reading teams needs the organization permission "Members: read", ` +
              "which the workflow's GITHUB_TOKEN does not have)",
          );
        } else throw explainRefusal(error, `GET reviewer ${reviewer.name}`, false);
      }
    }),
  );
  if (problems.length > 0) {
    problems.sort(
      (a, b) =>
        (a.at?.file ?? "").localeCompare(b.at?.file ?? "") || (a.at?.line ?? 0) - (b.at?.line ?? 0),
    );
    throw new ConfigurationError(problems);
  }
  return resolved;
}

/** The resolved reviewers of one declaration, in the file's order. */
export function reviewersFor(
  declared: readonly DeclaredReviewer[],
  resolved: ReadonlyMap<string, Reviewer>,
): Reviewer[] {
  return declared.map((reviewer) => {
    const found = resolved.get(refKey(reviewer.ref));
    if (!found) throw new Error(`reviewer ${reviewer.name} was not resolved`);
    return found;
  });
}

/**
 * Makes one environment match its plan: one PUT of every environment-level rule when any of them
 * differs, then the branch and tag patterns created and deleted one by one. Each change GitHub
 * accepted is added to `applied` as soon as it is, so a failure part-way can say what was done.
 */
export async function applyEnvironmentPlan(
  client: GitHubClient,
  repository: Repository,
  plan: EnvironmentPlan,
  applied: Set<Change>,
): Promise<void> {
  const environment = plan.environment;
  const writes = writesFor(plan);
  const changes = drifted(plan);
  const policyChange = changes.find((change) => change.setting === "deployment-branch-policy");
  if (writes.put) {
    const body = writes.put;
    await call(`PUT environment ${environment}`, true, () =>
      client.request("PUT /repos/{owner}/{repo}/environments/{environment_name}", {
        ...repository,
        environment_name: environment,
        ...body,
      }),
    );
    for (const change of changes)
      if (change !== policyChange || !writes.patterns) applied.add(change);
  }
  if (!writes.patterns) return;
  const live =
    plan.live?.branchPolicy.kind === "custom"
      ? plan.live.branchPolicy.patterns
      : await listPatterns(client, repository, environment);
  const edits = patternEdits(live, writes.patterns);
  for (const pattern of edits.create) {
    await call(`POST deployment-branch-policies of ${environment}`, true, () =>
      client.request(`POST ${BRANCH_POLICIES}`, {
        ...repository,
        environment_name: environment,
        name: pattern.name,
        type: pattern.type,
      }),
    );
  }
  for (const pattern of edits.remove) {
    await call(`DELETE deployment-branch-policy ${pattern.id} of ${environment}`, true, () =>
      client.request(`DELETE ${BRANCH_POLICIES}/{branch_policy_id}`, {
        ...repository,
        environment_name: environment,
        branch_policy_id: pattern.id,
      }),
    );
  }
  if (policyChange) applied.add(policyChange);
}
