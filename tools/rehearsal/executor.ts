// A local workflow executor over GitHub's own parser (@actions/workflow-parser) and expression
// evaluator (@actions/expressions): runs a workflow's job graph locally, in dependency order, and
// records what a runner would show. See docs/rehearsal.md.
import type { WorkflowJob } from "@actions/workflow-parser/model/workflow-template";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/index";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  evaluateCondition,
  evaluateText,
  evaluateTextMap,
  evaluateToken,
  SUCCEEDED,
  type Json,
  type Scope,
  type Status,
} from "./expressions.js";
import { matrixCombinations, runJob, type NeedResult, type RunContext } from "./job-runner.js";
import type { ExecutorOptions, GitHubSettings, JobRun, WorkflowRun } from "./run-record.js";
import {
  field,
  loadWorkflow,
  SELF_REPOSITORY,
  workflowCallOutputs,
  type LoadedWorkflow,
} from "./workflow-file.js";

export type {
  ExecutorOptions,
  JobRun,
  ReviewDecision,
  ReviewRequest,
  StepRun,
  WorkflowRun,
} from "./run-record.js";

const DEFAULT_GITHUB: GitHubSettings = {
  repository: "octo-org/demo-api",
  sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
  ref: "refs/heads/main",
  eventName: "workflow_dispatch",
  event: {},
  apiUrl: "http://127.0.0.1:9",
  serverUrl: "https://github.com",
  token: "rehearsal-token",
  actor: "octocat",
  runId: "1658821493",
};

/**
 * Runs `file` (relative to `options.root`) as if called with `inputs` (a `workflow_call`, or any
 * trigger when the workflow declares no inputs). Jobs run one at a time in dependency order.
 */
export async function runWorkflow(
  file: string,
  inputs: Record<string, Json>,
  options: ExecutorOptions,
): Promise<WorkflowRun> {
  const tempRoot = await mkdtemp(join(tmpdir(), "shipgate-rehearsal-"));
  try {
    const github = { ...DEFAULT_GITHUB, ...options.github };
    const eventPath = join(tempRoot, "event.json");
    await writeFile(eventPath, JSON.stringify(github.event));
    return await runLoaded(await loadChecked(file, options.root), inputs, options.secrets ?? {}, {
      options,
      github,
      tempRoot,
      eventPath,
      prefix: "",
      inheritedEnv: options.env ?? {},
    });
  } finally {
    await rm(tempRoot, { recursive: true, force: true });
  }
}

async function loadChecked(file: string, root: string): Promise<LoadedWorkflow> {
  const workflow = await loadWorkflow(file, { root });
  if (workflow.errors.length > 0) throw new Error(`${file}: ${workflow.errors.join("; ")}`);
  return workflow;
}

type Shared = Pick<RunContext, "options" | "github" | "tempRoot" | "eventPath" | "prefix"> & {
  /** The env the workflow starts from: the options' for the top level, none for a called one. */
  inheritedEnv: Record<string, string>;
};

async function runLoaded(
  workflow: LoadedWorkflow,
  given: Record<string, Json>,
  secrets: Record<string, string>,
  shared: Shared,
): Promise<WorkflowRun> {
  const inputs = resolveInputs(workflow, given, shared.github);
  const base: Scope = {
    contexts: {
      github: { token: shared.github.token, repository: shared.github.repository },
      inputs,
      vars: shared.options.vars ?? {},
      secrets,
    },
    status: SUCCEEDED,
  };
  const env = { ...shared.inheritedEnv, ...evaluateTextMap(field(workflow.root, "env"), base) };
  const { options, github, tempRoot, eventPath, prefix } = shared;
  const run: RunContext = {
    options,
    github,
    tempRoot,
    eventPath,
    prefix,
    workflow,
    inputs,
    secrets,
    env,
  };
  const jobs: Record<string, JobRun> = {};
  for (const job of dependencyOrder(workflow.template.jobs)) {
    await shared.options.beforeJob?.(`${shared.prefix}${job.id.value}`);
    const needs = Object.fromEntries(
      (job.needs ?? []).map((need) => [need.value, needResult(jobs[need.value])]),
    );
    const status = jobStatus(job, workflow.template.jobs, jobs);
    jobs[job.id.value] =
      job.type === "job"
        ? await runJob(run, job, needs, status)
        : await callWorkflow(run, job, needs, status);
  }
  const jobsContext = Object.fromEntries(
    Object.entries(jobs).map(([id, job]) => [id, { result: job.result, outputs: job.outputs }]),
  );
  const outputsScope: Scope = {
    contexts: { ...base.contexts, jobs: jobsContext },
    status: base.status,
  };
  const outputs = Object.fromEntries(
    workflowCallOutputs(workflow).map(([name, value]) => [name, evaluateText(value, outputsScope)]),
  );
  const failed = Object.values(jobs).some((job) => job.result === "failure");
  return { file: workflow.name, result: failed ? "failure" : "success", inputs, outputs, jobs };
}

/**
 * `workflow_call` inputs: the given ones typed as declared, defaults for the rest; unknown or
 * missing required inputs are errors, as on GitHub.
 */
function resolveInputs(
  workflow: LoadedWorkflow,
  given: Record<string, Json>,
  github: GitHubSettings,
): Record<string, Json> {
  const declared =
    workflow.template.events.workflow_call?.inputs ??
    workflow.template.events.workflow_dispatch?.inputs ??
    {};
  for (const name of Object.keys(given)) {
    if (!(name in declared)) throw new Error(`${workflow.name}: unexpected input '${name}'`);
  }
  const inputs: Record<string, Json> = {};
  for (const [name, input] of Object.entries(declared)) {
    const value = name in given ? given[name] : defaultOf(input.default, github);
    if (value === undefined) {
      if (input.required) throw new Error(`${workflow.name}: input '${name}' is required`);
      continue;
    }
    inputs[name] = typed(String(input.type), value);
  }
  return inputs;
}

/** A declared default: plain, or a token (an expression such as `${{ github.token }}`). */
function defaultOf(
  value: string | boolean | number | TemplateToken | undefined,
  github: GitHubSettings,
): Json | undefined {
  if (typeof value !== "object") return value;
  return evaluateToken(value, { contexts: { github: { token: github.token } }, status: SUCCEEDED });
}

function typed(type: string, value: Json): Json {
  if (type === "boolean" && typeof value === "string") return value === "true";
  if (type === "number" && typeof value === "string") return Number(value);
  return value;
}

/** Jobs ordered so that every job comes after the jobs it needs (a cycle is an error). */
export function dependencyOrder(jobs: WorkflowJob[]): WorkflowJob[] {
  const byId = new Map(jobs.map((job) => [job.id.value, job]));
  const ordered: WorkflowJob[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (job: WorkflowJob) => {
    const id = job.id.value;
    if (state.get(id) === "done") return;
    if (state.get(id) === "visiting") throw new Error(`jobs form a cycle through ${id}`);
    state.set(id, "visiting");
    for (const need of job.needs ?? []) {
      const needed = byId.get(need.value);
      if (!needed) throw new Error(`job ${id} needs unknown job ${need.value}`);
      visit(needed);
    }
    state.set(id, "done");
    ordered.push(job);
  };
  for (const job of jobs) visit(job);
  return ordered;
}

function needResult(job: JobRun | undefined): NeedResult {
  return { result: job?.result ?? "skipped", outputs: job?.outputs ?? {} };
}

/**
 * The status functions of a job's `if:`: success() when every job it depends on (directly or
 * through others) succeeded, so a skipped or failed ancestor skips it; failure() when any of them failed.
 */
function jobStatus(job: WorkflowJob, all: WorkflowJob[], done: Record<string, JobRun>): Status {
  const byId = new Map(all.map((candidate) => [candidate.id.value, candidate]));
  const ancestors = new Set<string>();
  const collect = (id: string) => {
    for (const need of byId.get(id)?.needs ?? []) {
      if (ancestors.has(need.value)) continue;
      ancestors.add(need.value);
      collect(need.value);
    }
  };
  collect(job.id.value);
  const results = [...ancestors].map((id) => done[id]?.result ?? "skipped");
  return {
    success: results.every((result) => result === "success"),
    failure: results.some((result) => result === "failure"),
    cancelled: results.some((result) => result === "cancelled"),
  };
}

/**
 * A job that calls a reusable workflow (`uses: ./.github/workflows/x.yml`, or this repository's by
 * owner/name), once per matrix combination, in order: with `fail-fast` (the default) a failed
 * combination cancels the ones not yet run, as `max-parallel: 1` makes GitHub do.
 */
async function callWorkflow(
  run: RunContext,
  job: Extract<WorkflowJob, { type: "reusableWorkflowJob" }>,
  needs: Record<string, NeedResult>,
  status: Status,
): Promise<JobRun> {
  const id = job.id.value;
  const contexts = callerContexts(run, needs);
  const name = job.name ? evaluateText(job.name, { contexts, status }) : id;
  if (!evaluateCondition(job.if.expression, { contexts, status }))
    return { id, name, result: "skipped", outputs: {}, steps: [] };
  const strategy = evaluateToken(job.strategy, { contexts, status });
  const failFast = !(isObject(strategy) && strategy["fail-fast"] === false);
  const instances: JobRun[] = [];
  for (const matrix of matrixCombinations(strategy)) {
    const stopped = failFast && instances.some((instance) => instance.result === "failure");
    const scope: Scope = { contexts: { ...contexts, matrix }, status };
    const label = job.name ? evaluateText(job.name, scope) : id;
    if (stopped) instances.push({ id, name: label, result: "cancelled", outputs: {}, steps: [] });
    else instances.push(await callOnce(run, job, scope, label));
  }
  if (instances.length === 1) return instances[0] as JobRun;
  const results = instances.map((instance) => instance.result);
  const last = [...instances].reverse().find((instance) => instance.result === "success");
  return {
    id,
    name,
    result: results.includes("failure") ? "failure" : "success",
    outputs: last?.outputs ?? {},
    steps: [],
    instances,
  };
}

function callerContexts(run: RunContext, needs: Record<string, NeedResult>): Record<string, Json> {
  return {
    github: {
      token: run.github.token,
      repository: run.github.repository,
      event_name: run.github.eventName,
      event: run.github.event as Json,
    },
    inputs: run.inputs,
    needs: needs as unknown as Json,
    vars: run.options.vars ?? {},
    secrets: run.secrets,
  };
}

async function callOnce(
  run: RunContext,
  job: Extract<WorkflowJob, { type: "reusableWorkflowJob" }>,
  scope: Scope,
  name: string,
): Promise<JobRun> {
  const id = job.id.value;
  const given = evaluateToken(job["input-values"], scope);
  const secrets = job["inherit-secrets"]
    ? run.secrets
    : evaluateTextMap(job["secret-values"], scope);
  const called = await loadChecked(calledPath(job.ref.value), run.options.root);
  const workflow = await runLoaded(
    called,
    given && typeof given === "object" && !Array.isArray(given) ? given : {},
    secrets,
    { ...run, prefix: `${run.prefix}${id}/`, inheritedEnv: {} },
  );
  return { id, name, result: workflow.result, outputs: workflow.outputs, steps: [], workflow };
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function calledPath(ref: string): string {
  if (ref.startsWith("./")) return ref.slice(2);
  const match = /^([^/]+\/[^/]+)\/(.+)@.+$/.exec(ref);
  if (match?.[1] === SELF_REPOSITORY && match[2]) return match[2];
  throw new Error(`cannot rehearse a remote reusable workflow: ${ref}`);
}
