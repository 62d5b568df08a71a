// What the stand-in remembers: users, teams, repositories and each repository's issues, comments,
// deployments, environments and seeded workflow runs, with one id sequence and one clock.
import type { JsonObject } from "./spec.js";

export interface UserRecord {
  login: string;
  id: number;
  type: "User" | "Bot" | "Organization";
}

/** A team of an organization; environments may list it as a reviewer. */
export interface TeamRecord {
  id: number;
  /** The organization's login. */
  org: string;
  slug: string;
  name: string;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface IssueRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | "duplicate" | null;
  /** Label names, in the order they were added. */
  labels: string[];
  assignees: string[];
  author: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: string | null;
}

export interface CommentRecord {
  id: number;
  /** An issue or pull request number: pull request conversation comments are issue comments. */
  issueNumber: number;
  body: string;
  author: string;
  createdAt: string;
  updatedAt: string;
  /** Set by the GraphQL `minimizeComment` mutation (GitHub's "hide"): the classifier given. */
  minimizedAs?: string;
}

export const DEPLOYMENT_STATES = [
  "error",
  "failure",
  "inactive",
  "in_progress",
  "queued",
  "pending",
  "success",
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export interface DeploymentStatusRecord {
  id: number;
  state: DeploymentState;
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string;
  creator: string;
  createdAt: string;
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  transient: boolean;
  production: boolean;
  creator: string;
  createdAt: string;
  updatedAt: string;
  /** Oldest first. */
  statuses: DeploymentStatusRecord[];
}

export interface BranchPolicy {
  protected_branches: boolean;
  custom_branch_policies: boolean;
}

/** A deployment branch or tag name pattern of an environment with custom branch policies. */
export interface BranchPatternRecord {
  id: number;
  name: string;
  type: "branch" | "tag";
}

export interface EnvironmentRecord {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
  /** Protection rules keep their ids across updates, as GitHub's do. */
  waitTimer: { ruleId: number; minutes: number } | null;
  /** Users by login and teams by id (users listed first, as the stand-in renders them). */
  reviewers: {
    ruleId: number;
    preventSelfReview: boolean;
    users: string[];
    teams?: number[];
  } | null;
  branchPolicy: { ruleId: number; policy: BranchPolicy } | null;
  /** Kept only while the policy is custom; GitHub drops them when it changes to another kind. */
  branchPatterns?: BranchPatternRecord[];
}

/** A commit of the repository's seeded history (the stand-in has no git objects, only this graph). */
export interface CommitRecord {
  sha: string;
  message: string;
  /** ISO times; the committer date is when it landed on the branch. */
  authorDate: string;
  committerDate: string;
  parents: string[];
}

/** A pull request of the seeded history: who opened it, its head and, once merged, its merge. */
export interface PullRequestRecord {
  id: number;
  number: number;
  title: string;
  author: string;
  /** The head commit when it was merged (or now, while open). */
  headSha: string;
  headRef: string;
  baseRef: string;
  /** The commits it brought (its head among them); the merge commit is found by `mergeCommitSha`. */
  commits: string[];
  mergeCommitSha: string | null;
  mergedAt: string | null;
  createdAt: string;
}

export interface ReviewRecord {
  id: number;
  pullNumber: number;
  user: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";
  /** The commit the reviewer saw. */
  commitId: string;
  submittedAt: string;
  body: string;
}

export interface CheckRunRecord {
  id: number;
  headSha: string;
  name: string;
  status: "queued" | "in_progress" | "completed";
  conclusion:
    | "success"
    | "failure"
    | "neutral"
    | "cancelled"
    | "skipped"
    | "timed_out"
    | "action_required"
    | null;
  startedAt: string;
  completedAt: string | null;
}

export interface CommitStatusRecord {
  id: number;
  sha: string;
  context: string;
  state: "error" | "failure" | "pending" | "success";
  description: string | null;
  createdAt: string;
}

/** A review of a run's environment gate (`GET .../actions/runs/{run_id}/approvals`). */
export interface RunApprovalRecord {
  runId: number;
  environments: string[];
  state: "approved" | "rejected" | "pending";
  user: string;
  comment: string;
}

export class RepositoryState {
  readonly issues = new Map<number, IssueRecord>();
  /** Seeded commits by full sha. */
  readonly commits = new Map<string, CommitRecord>();
  readonly comments = new Map<number, CommentRecord>();
  /** Keyed by lower-cased name: GitHub's label names are case-insensitive. */
  readonly labels = new Map<string, LabelRecord>();
  readonly deployments = new Map<number, DeploymentRecord>();
  /** Keyed by lower-cased name: environment names are case-insensitive too. */
  readonly environments = new Map<string, EnvironmentRecord>();
  /** Seeded by tests as finished representations: the API only reads them. */
  readonly workflowRuns = new Map<number, JsonObject>();
  readonly jobs = new Map<number, JsonObject>();
  /** Seeded file contents by ref (a branch, tag or commit id as the test names it), then path. */
  readonly files = new Map<string, Map<string, string>>();
  /** By number (pull requests share the issues' numbers). */
  readonly pullRequests = new Map<number, PullRequestRecord>();
  readonly reviews: ReviewRecord[] = [];
  readonly checkRuns: CheckRunRecord[] = [];
  readonly commitStatuses: CommitStatusRecord[] = [];
  readonly runApprovals: RunApprovalRecord[] = [];
  /** Required status check contexts by protected branch; a branch not here is not protected. */
  readonly requiredChecks = new Map<string, { strict: boolean; contexts: string[] }>();
  private lastIssueNumber = 0;

  constructor(
    readonly id: number,
    readonly owner: UserRecord,
    readonly name: string,
    readonly createdAt: string,
    /** Fields that replace the defaults of `GET /repos/{owner}/{repo}` (e.g. `default_branch`). */
    readonly overrides: JsonObject,
  ) {}

  get fullName(): string {
    return `${this.owner.login}/${this.name}`;
  }

  nextIssueNumber(): number {
    return ++this.lastIssueNumber;
  }
}

/** The default actor: requests made with `GITHUB_TOKEN` act as this bot. */
const ACTIONS_BOT: UserRecord = { login: "github-actions[bot]", id: 41898282, type: "Bot" };

export class GitHubState {
  private readonly users = new Map<string, UserRecord>([
    [ACTIONS_BOT.login.toLowerCase(), ACTIONS_BOT],
  ]);
  private readonly repositories = new Map<string, RepositoryState>();
  /** Keyed by lower-cased `org/slug`. */
  private readonly teams = new Map<string, TeamRecord>();
  private lastId = 0;

  /** Who every request acts as. */
  readonly actor = ACTIONS_BOT;

  /**
   * Whether the token may change repository settings (the "Administration: write" permission):
   * without it, environment writes answer 403 as GitHub answers an integration's token.
   */
  administration = true;

  /** The server's own address (`http://127.0.0.1:PORT`): every URL in a representation starts with it. */
  constructor(readonly baseUrl: string) {}

  nextId(): number {
    return ++this.lastId;
  }

  /** Now, the way GitHub writes times: ISO 8601 in UTC without fractions of a second. */
  now(): string {
    return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  /** What every record a request writes starts with: a new id, the actor as author, now. */
  authored(): { id: number; author: string; createdAt: string; updatedAt: string } {
    const now = this.now();
    return { id: this.nextId(), author: this.actor.login, createdAt: now, updatedAt: now };
  }

  addUser(login: string, type: UserRecord["type"] = "User"): UserRecord {
    const existing = this.user(login);
    if (existing) return existing;
    const user: UserRecord = { login, id: this.nextId(), type };
    this.users.set(login.toLowerCase(), user);
    return user;
  }

  user(login: string): UserRecord | undefined {
    return this.users.get(login.toLowerCase());
  }

  userById(id: number): UserRecord | undefined {
    return [...this.users.values()].find((user) => user.id === id);
  }

  addTeam(org: string, slug: string, name = slug): TeamRecord {
    const existing = this.team(org, slug);
    if (existing) return existing;
    const team: TeamRecord = {
      id: this.nextId(),
      org: this.addUser(org, "Organization").login,
      slug,
      name,
    };
    this.teams.set(`${org}/${slug}`.toLowerCase(), team);
    return team;
  }

  team(org: string, slug: string): TeamRecord | undefined {
    return this.teams.get(`${org}/${slug}`.toLowerCase());
  }

  teamById(id: number): TeamRecord | undefined {
    return [...this.teams.values()].find((team) => team.id === id);
  }

  addRepository(owner: string, name: string, overrides: JsonObject): RepositoryState {
    const repository = new RepositoryState(
      this.nextId(),
      this.addUser(owner),
      name,
      this.now(),
      overrides,
    );
    this.repositories.set(repositoryKey(owner, name), repository);
    return repository;
  }

  allRepositories(): RepositoryState[] {
    return [...this.repositories.values()];
  }

  /** Owner and name are case-insensitive on GitHub. */
  repository(owner: string, name: string): RepositoryState | undefined {
    return this.repositories.get(repositoryKey(owner, name));
  }
}

function repositoryKey(owner: string, name: string): string {
  return `${owner}/${name}`.toLowerCase();
}
