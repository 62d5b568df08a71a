// The stand-in for api.github.com: a real HTTP server on 127.0.0.1, and what a test does with it
// (seed data, inject faults, override a handler, read the recorded calls).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CallLog, type RecordedCall } from "./calls.js";
import { FaultPlan, RateLimitWindow, type CallMatcher } from "./faults.js";
import { handlers } from "./handlers/index.js";
import { errorBody, type Handler } from "./http.js";
import { answerRequest } from "./pipeline.js";
import {
  buildJob,
  buildWorkflowRun,
  fakeSha,
  renderComment,
  renderRepository,
  renderTeam,
  renderUser,
} from "./render.js";
import { loadSpec, type JsonObject } from "./spec.js";
import {
  GitHubState,
  type CheckRunRecord,
  type CommitStatusRecord,
  type ReviewRecord,
  type RunApprovalRecord,
  type CommentRecord,
  type DeploymentRecord,
  type DeploymentState,
  type EnvironmentRecord,
  type IssueRecord,
  type RepositoryState,
  type UserRecord,
} from "./state.js";

export interface StartOptions {
  /** Repositories (`owner/name`) seeded with defaults at start, and again on every `reset()`. */
  repositories?: readonly string[];
}

export class GitHubStandIn {
  private state: GitHubState;
  private readonly faults = new FaultPlan();
  private readonly log = new CallLog();
  private readonly overrides = new Map<string, Handler>();
  private readonly rateLimit = new RateLimitWindow();

  private constructor(
    private readonly server: Server,
    /** Base URL (`http://127.0.0.1:PORT`), to be used as GITHUB_API_URL. */
    readonly url: string,
    private readonly options: StartOptions,
  ) {
    this.state = this.freshState();
  }

  /** Starts a server on a port the OS picks. The description is loaded once per module registry. */
  static async start(options: StartOptions = {}): Promise<GitHubStandIn> {
    loadSpec();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address() as AddressInfo;
    const standIn = new GitHubStandIn(server, `http://127.0.0.1:${port}`, options);
    server.on("request", (incoming, outgoing) => {
      answerRequest(incoming, outgoing, {
        state: () => standIn.state,
        faults: standIn.faults,
        calls: standIn.log,
        rateLimit: standIn.rateLimit,
        handlerFor: (operationId) => standIn.overrides.get(operationId) ?? handlers[operationId],
      }).catch((error: unknown) => {
        // Only a broken connection gets here; the pipeline answers every other failure itself.
        if (!outgoing.headersSent)
          outgoing.writeHead(500).end(JSON.stringify(errorBody(500, String(error))));
      });
    });
    return standIn;
  }

  /** How long reading the OpenAPI description took in this module registry, in milliseconds. */
  static get specLoadMs(): number {
    return loadSpec().loadMs;
  }

  /** Closes the server, dropping kept-alive connections so the test process can exit. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
    this.server.closeAllConnections();
    await closed;
  }

  /** Forgets all data, calls, pending faults and overrides; start-time repositories are seeded again. */
  reset(): void {
    this.state = this.freshState();
    this.faults.clear();
    this.log.clear();
    this.overrides.clear();
  }

  // --- Seeding --------------------------------------------------------------------------------

  /** Adds a user (reviewers, assignees, comment authors); returns it as GitHub renders users. */
  seedUser(login: string, type: UserRecord["type"] = "User"): JsonObject {
    return renderUser(this.state, this.state.addUser(login, type));
  }

  /** Adds a team of an organization (environment reviewers), creating the organization when new. */
  seedTeam(org: string, slug: string, name = slug): JsonObject {
    return renderTeam(this.state, this.state.addTeam(org, slug, name));
  }

  /**
   * From now on (until `reset()`) the token lacks "Administration: write": creating, changing or
   * deleting an environment or its branch policies answers 403 "Resource not accessible by
   * integration", as GitHub answers the workflow's GITHUB_TOKEN.
   */
  withoutAdministration(): void {
    this.state.administration = false;
  }

  /** A copy of a stored environment record, or undefined: to assert on state without a request. */
  storedEnvironment(fullName: string, environment: string): EnvironmentRecord | undefined {
    return structuredClone(this.repository(fullName).environments.get(environment.toLowerCase()));
  }

  /** Adds a repository; `overrides` replace fields of `GET /repos/{owner}/{repo}` (e.g. `default_branch`). */
  seedRepository(fullName: string, overrides: JsonObject = {}): JsonObject {
    const [owner, name] = splitFullName(fullName);
    if (this.state.repository(owner, name)) throw new Error(`The stand-in already has ${fullName}`);
    return renderRepository(this.state, this.state.addRepository(owner, name, overrides));
  }

  /** Adds a workflow run (status, conclusion, head_sha, event, head_branch... through `overrides`). */
  seedWorkflowRun(fullName: string, overrides: JsonObject = {}): JsonObject {
    const repository = this.repository(fullName);
    const run = buildWorkflowRun(this.state, repository, this.state.nextId(), overrides);
    repository.workflowRuns.set(Number(run.id), run);
    return run;
  }

  /** Changes a seeded run, e.g. to complete it while the code under test polls. */
  updateWorkflowRun(fullName: string, runId: number, changes: JsonObject): JsonObject {
    const repository = this.repository(fullName);
    const run = repository.workflowRuns.get(runId);
    if (!run) throw new Error(`${fullName} has no workflow run ${runId}`);
    const updated = { ...run, ...changes, updated_at: this.state.now() };
    repository.workflowRuns.set(runId, updated);
    return updated;
  }

  /** Adds a job to a seeded run. */
  seedJob(fullName: string, runId: number, overrides: JsonObject = {}): JsonObject {
    const repository = this.repository(fullName);
    const run = repository.workflowRuns.get(runId);
    if (!run) throw new Error(`${fullName} has no workflow run ${runId}`);
    const job = buildJob(this.state, repository, run, this.state.nextId(), overrides);
    repository.jobs.set(Number(job.id), job);
    return job;
  }

  /** Adds a comment on an issue or pull request, by default from the Actions bot. */
  seedIssueComment(
    fullName: string,
    issueNumber: number,
    body: string,
    author = this.state.actor.login,
  ): JsonObject {
    const repository = this.repository(fullName);
    const now = this.state.now();
    const comment: CommentRecord = {
      id: this.state.nextId(),
      issueNumber,
      body,
      author: this.state.addUser(author).login,
      createdAt: now,
      updatedAt: now,
    };
    repository.comments.set(comment.id, comment);
    return renderComment(this.state, repository, comment);
  }

  /** Puts a file into the repository at `ref`, for the contents API (`GET .../contents/{path}?ref=`). */
  seedFile(fullName: string, ref: string, path: string, content: string): void {
    const repository = this.repository(fullName);
    let files = repository.files.get(ref);
    if (!files) {
      files = new Map();
      repository.files.set(ref, files);
    }
    files.set(path.replace(/^\/+/, ""), content);
  }

  /**
   * Adds a commit to the repository's history (for compare); its sha defaults to one derived
   * from the message and parents. Returns the sha.
   */
  seedCommit(
    fullName: string,
    commit: {
      message: string;
      date: string;
      authorDate?: string;
      parents?: string[];
      sha?: string;
    },
  ): string {
    const repository = this.repository(fullName);
    const parents = commit.parents ?? [];
    const sha =
      commit.sha ?? fakeSha(`${fullName}:${commit.message}:${commit.date}:${parents.join(",")}`);
    repository.commits.set(sha, {
      sha,
      message: commit.message,
      authorDate: commit.authorDate ?? commit.date,
      committerDate: commit.date,
      parents,
    });
    return sha;
  }

  /**
   * Adds a deployment with its history: when it was created and each status with its time (for
   * reports over past deployments). Returns its id.
   */
  seedDeployment(
    fullName: string,
    deployment: {
      sha: string;
      ref?: string;
      environment: string;
      payload?: unknown;
      createdAt: string;
      production?: boolean;
      /** `deploy` by default; shipgate's drills are `deploy:drill`. */
      task?: string;
      /** Who created it (seeded as a user when new); the Actions bot by default. */
      creator?: string;
      statuses: { state: DeploymentState; at: string; description?: string; logUrl?: string }[];
    },
  ): number {
    const repository = this.repository(fullName);
    const id = this.state.nextId();
    const record: DeploymentRecord = {
      id,
      sha: deployment.sha,
      ref: deployment.ref ?? deployment.sha,
      task: deployment.task ?? "deploy",
      payload: deployment.payload ?? {},
      environment: deployment.environment,
      originalEnvironment: deployment.environment,
      description: null,
      transient: false,
      production: deployment.production ?? deployment.environment === "production",
      creator: deployment.creator
        ? this.state.addUser(deployment.creator).login
        : this.state.actor.login,
      createdAt: deployment.createdAt,
      updatedAt: deployment.statuses.at(-1)?.at ?? deployment.createdAt,
      statuses: deployment.statuses.map((status) => ({
        id: this.state.nextId(),
        state: status.state,
        description: status.description ?? "",
        environment: deployment.environment,
        targetUrl: status.logUrl ?? "",
        logUrl: status.logUrl ?? "",
        environmentUrl: "",
        creator: this.state.actor.login,
        createdAt: status.at,
      })),
    };
    repository.deployments.set(id, record);
    return id;
  }

  /**
   * Adds a pull request (its author seeded as a user) that brought `commits` (its head last) and,
   * when merged, landed as `mergeCommitSha`. Returns its number, shared with the issues'.
   */
  seedPullRequest(
    fullName: string,
    pull: {
      title: string;
      author: string;
      commits: string[];
      mergeCommitSha?: string;
      mergedAt?: string;
      createdAt?: string;
      headRef?: string;
      baseRef?: string;
    },
  ): number {
    const repository = this.repository(fullName);
    const headSha = pull.commits.at(-1);
    if (!headSha) throw new Error("A pull request needs at least one commit");
    const number = repository.nextIssueNumber();
    repository.pullRequests.set(number, {
      id: this.state.nextId(),
      number,
      title: pull.title,
      author: this.state.addUser(pull.author).login,
      headSha,
      headRef: pull.headRef ?? `change-${number}`,
      baseRef: pull.baseRef ?? "main",
      commits: pull.commits,
      mergeCommitSha: pull.mergeCommitSha ?? null,
      mergedAt: pull.mergedAt ?? null,
      createdAt: pull.createdAt ?? pull.mergedAt ?? this.state.now(),
    });
    return number;
  }

  /** Adds a review of a seeded pull request by `user` of commit `commitId`. */
  seedReview(
    fullName: string,
    pullNumber: number,
    review: Pick<ReviewRecord, "user" | "state" | "commitId" | "submittedAt"> & { body?: string },
  ): void {
    const repository = this.repository(fullName);
    if (!repository.pullRequests.has(pullNumber))
      throw new Error(`${fullName} has no pull request #${pullNumber}`);
    repository.reviews.push({
      id: this.state.nextId(),
      pullNumber,
      body: review.body ?? "",
      ...review,
      user: this.state.addUser(review.user).login,
    });
  }

  /** Adds a check run on a commit. */
  seedCheckRun(
    fullName: string,
    run: Pick<CheckRunRecord, "headSha" | "name" | "conclusion"> & {
      status?: CheckRunRecord["status"];
      at?: string;
    },
  ): void {
    const at = run.at ?? this.state.now();
    const status = run.status ?? "completed";
    this.repository(fullName).checkRuns.push({
      id: this.state.nextId(),
      headSha: run.headSha,
      name: run.name,
      status,
      conclusion: status === "completed" ? run.conclusion : null,
      startedAt: at,
      completedAt: status === "completed" ? at : null,
    });
  }

  /** Adds a commit status (the older Statuses API) on a commit. */
  seedCommitStatus(
    fullName: string,
    status: Pick<CommitStatusRecord, "sha" | "context" | "state"> & { description?: string },
  ): void {
    this.repository(fullName).commitStatuses.push({
      id: this.state.nextId(),
      description: status.description ?? null,
      createdAt: this.state.now(),
      ...status,
    });
  }

  /** Makes `branch` protected with these required status checks. */
  seedRequiredChecks(fullName: string, branch: string, contexts: string[], strict = true): void {
    this.repository(fullName).requiredChecks.set(branch, { strict, contexts });
  }

  /** Adds a review of a seeded run's environment gate (the reviewer seeded as a user). */
  seedRunApproval(fullName: string, approval: RunApprovalRecord): void {
    const repository = this.repository(fullName);
    if (!repository.workflowRuns.has(approval.runId))
      throw new Error(`${fullName} has no workflow run ${approval.runId}`);
    repository.runApprovals.push({ ...approval, user: this.state.addUser(approval.user).login });
  }

  /** The comments of an issue or pull request as stored, oldest first, with what GraphQL minimized. */
  storedComments(fullName: string, issueNumber: number): CommentRecord[] {
    return [...this.repository(fullName).comments.values()]
      .filter((comment) => comment.issueNumber === issueNumber)
      .sort((a, b) => a.id - b.id);
  }

  /** The repository's issues as stored, by number. */
  storedIssues(fullName: string): IssueRecord[] {
    return [...this.repository(fullName).issues.values()].sort((a, b) => a.number - b.number);
  }

  // --- Faults and overrides -------------------------------------------------------------------

  /** The next `times` matching requests fail with a server error (502 by default). */
  failNext(matcher: CallMatcher, options: { status?: 500 | 502 | 503; times?: number } = {}): void {
    this.faults.add(
      matcher,
      { kind: "server-error", status: options.status ?? 502 },
      options.times ?? 1,
    );
  }

  /** GitHub's secondary rate limit: 403, `retry-after`, and a message naming it. */
  secondaryRateLimitNext(
    matcher: CallMatcher,
    options: { retryAfterSeconds?: number; times?: number } = {},
  ): void {
    this.faults.add(
      matcher,
      { kind: "secondary-rate-limit", retryAfterSeconds: options.retryAfterSeconds ?? 1 },
      options.times ?? 1,
    );
  }

  /** GitHub's primary rate limit: 403 (or 429) with `x-ratelimit-remaining: 0` and the reset time. */
  primaryRateLimitNext(
    matcher: CallMatcher,
    options: { status?: 403 | 429; resetAfterSeconds?: number; times?: number } = {},
  ): void {
    const fault = {
      kind: "primary-rate-limit",
      status: options.status ?? 403,
      resetAfterSeconds: options.resetAfterSeconds ?? 1,
    } as const;
    this.faults.add(matcher, fault, options.times ?? 1);
  }

  /** The next `times` matching requests are answered `ms` later (combines with a failure). */
  delayNext(matcher: CallMatcher, ms: number, options: { times?: number } = {}): void {
    this.faults.add(matcher, { kind: "delay", ms }, options.times ?? 1);
  }

  /**
   * The next `times` matching requests are carried out (the deployment created, the comment
   * posted) but their connection drops before the answer: the client cannot tell it succeeded.
   */
  loseResponseNext(matcher: CallMatcher, options: { times?: number } = {}): void {
    this.faults.add(matcher, { kind: "lost-response" }, options.times ?? 1);
  }

  /**
   * Test-only: answers an operation with `handler` instead of the stand-in's own (until `reset()`).
   * Its replies are still checked against the description, which is how a test proves that check.
   */
  override(operationId: string, handler: Handler): void {
    this.overrides.set(operationId, handler);
  }

  // --- What happened --------------------------------------------------------------------------

  get calls(): readonly RecordedCall[] {
    return this.log.all;
  }

  callsTo(operationId: string): RecordedCall[] {
    return this.log.to(operationId);
  }

  /** Every way a request broke the description, one line each; a correct client leaves this empty. */
  get requestViolations(): string[] {
    return this.log.describe("requestViolations");
  }

  /** Every way the stand-in's own answers broke the description; must stay empty. */
  get responseViolations(): string[] {
    return this.log.describe("responseViolations");
  }

  /** Calls to operations the description has but the stand-in does not implement (answered 501). */
  get unimplementedCalls(): RecordedCall[] {
    return this.log.all.filter((call) => call.status === 501);
  }

  private repository(fullName: string): RepositoryState {
    const repository = this.state.repository(...splitFullName(fullName));
    if (!repository) throw new Error(`Seed ${fullName} first (seedRepository)`);
    return repository;
  }

  private freshState(): GitHubState {
    const state = new GitHubState(this.url);
    for (const fullName of this.options.repositories ?? [])
      state.addRepository(...splitFullName(fullName), {});
    return state;
  }
}

function splitFullName(fullName: string): [owner: string, name: string] {
  const [owner, name, ...rest] = fullName.split("/");
  if (!owner || !name || rest.length > 0) throw new Error(`Expected owner/name, got ${fullName}`);
  return [owner, name];
}

/** Starts a stand-in: `const github = await startGitHubStandIn({ repositories: ["octo/app"] })`. */
export function startGitHubStandIn(options?: StartOptions): Promise<GitHubStandIn> {
  return GitHubStandIn.start(options);
}
