// What a rehearsal records: each job's result, outputs, environment and concurrency group, and
// each step's outcome; plus the options every part of the executor reads.
import type { Json } from "./expressions.js";

export type JobResult = "success" | "failure" | "cancelled" | "skipped";
export type StepOutcome = "success" | "failure" | "skipped";

export interface StepRun {
  id: string;
  name: string;
  /** `uses:` of an action step; undefined for a `run:` step. */
  uses?: string;
  /** How the step ran: a shell script, a local action's bundle, or a recorded no-op (third-party action). */
  kind: "run" | "action" | "post" | "no-op";
  /** `with:` as evaluated (what the action got as inputs, defaults applied for local actions). */
  with: Record<string, string>;
  outcome: StepOutcome;
  /** The outcome after `continue-on-error`. */
  conclusion: StepOutcome;
  exitCode?: number | null;
  outputs: Record<string, string>;
  summary: string;
  log: string;
}

export interface EnvironmentSettings {
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  /** Required reviewers: each job that names the environment waits for an approval. */
  reviewers?: boolean;
}

export interface JobRun {
  id: string;
  name: string;
  result: JobResult;
  /** Approvals the job waited for (its environment has required reviewers). */
  approvals?: number;
  /** The reviewers' decision on such a job: a rejected job fails without running a step. */
  review?: "approved" | "rejected";
  outputs: Record<string, string>;
  /** The GitHub environment the job would run in, its URL evaluated after the steps. */
  environment?: { name: string; url: string };
  concurrency?: { group: string; cancelInProgress: boolean };
  steps: StepRun[];
  /** For a matrix job: every combination's own run. */
  instances?: JobRun[];
  /** For a job that calls a reusable workflow: that workflow's run. */
  workflow?: WorkflowRun;
}

export interface WorkflowRun {
  file: string;
  /** failure when any job failed, else success. */
  result: "success" | "failure";
  inputs: Record<string, Json>;
  outputs: Record<string, string>;
  /** By job id, in the order they ran. */
  jobs: Record<string, JobRun>;
}

/** A job waiting for its environment's required reviewers, as `ExecutorOptions.review` sees it. */
export interface ReviewRequest {
  /** The job's id, prefixed by the calling job's for a called workflow (as `beforeJob` names it). */
  job: string;
  /** Its display name, evaluated. */
  name: string;
  environment: string;
}

export type ReviewDecision = "approve" | "reject";

export interface GitHubSettings {
  repository: string;
  sha: string;
  ref: string;
  /** The event that triggered the caller: its name and payload. */
  eventName: string;
  event: Record<string, unknown>;
  apiUrl: string;
  serverUrl: string;
  /** github.token (and secrets.GITHUB_TOKEN). */
  token: string;
  actor: string;
  runId: string;
}

export interface ExecutorOptions {
  /** Where workflow files (and `uses: ./.github/workflows/x.yml`) are read from. */
  root: string;
  /** GITHUB_WORKSPACE: where steps run and `uses: ./x` resolves. */
  workspace: string;
  /**
   * Local action prefixes mapped to directories, e.g. `{ "./.shipgate/": ROOT }` for the shipgate
   * checkout the reusable workflows make beside the caller's. Unmapped `./x` is under the workspace.
   */
  checkouts?: Record<string, string>;
  github?: Partial<GitHubSettings>;
  /**
   * The top-level workflow's own `env:` additions, as if written in it. A called workflow never
   * sees its caller's env (GitHub does not pass it), and neither does the rehearsal.
   */
  env?: Record<string, string>;
  /** Repository secrets of the top-level run (a called workflow gets the ones its caller passes). */
  secrets?: Record<string, string>;
  /** Repository (and organization) configuration variables: every job sees them. */
  vars?: Record<string, string>;
  /**
   * GitHub environments: a job that names one gets its secrets and variables over the
   * repository's (as GitHub resolves them per job); with reviewers, the job waits for one
   * approval, which the rehearsal counts (and asks `review` for).
   */
  environments?: Record<string, EnvironmentSettings>;
  /**
   * The required reviewers' decision on a job whose environment has them, asked once the job is
   * ready (its needs done, its `if:` true, its concurrency group evaluated) and before its first
   * step, as GitHub asks them; the world may be inspected or changed here. Approves when absent. A
   * rejected job fails without running a step and has no outputs, as on GitHub.
   */
  review?: (request: ReviewRequest) => ReviewDecision | Promise<ReviewDecision>;
  /** The runner's OIDC token service (tools/rehearsal/oidc.ts), for jobs with id-token: write. */
  oidc?: { url: string; token: string };
  /** Limit of each step's process. */
  stepTimeoutMs?: number;
  /** Called before each step runs (or is skipped), with its job's id as `beforeJob` names it. */
  beforeStep?: (jobId: string, stepId: string) => Promise<void> | void;
  /** Called before each job (its id, prefixed by the calling job's for a called workflow) is considered. */
  beforeJob?: (jobId: string) => Promise<void> | void;
  /** Every line a step prints, prefixed with the job and step. */
  onLine?: (line: string) => void;
}
