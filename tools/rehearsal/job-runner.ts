// One job of a workflow, as a runner would run it: its `if:`, matrix, environment and concurrency
// group, its env, each step's `if:` over the steps before it, `run:` steps in bash, local actions
// as their real bundles (post steps after the job), third-party actions as recorded no-ops, and its
// outputs evaluated once the steps are done.
import type { Job, Step } from "@actions/workflow-parser/model/workflow-template";
import type { MappingToken, TemplateToken } from "@actions/workflow-parser/templates/tokens/index";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { inputEnv } from "../runner/run-action.js";
import {
  runStepProcess,
  type StepProcessOptions,
  type StepProcessResult,
} from "../runner/step-process.js";
import type { Json, Scope, Status } from "./expressions.js";
import {
  asText,
  evaluateCondition,
  evaluateText,
  evaluateTextMap,
  evaluateToken,
  SUCCEEDED,
} from "./expressions.js";
import type {
  EnvironmentSettings,
  ExecutorOptions,
  GitHubSettings,
  JobResult,
  JobRun,
  StepOutcome,
  StepRun,
} from "./run-record.js";
import {
  field,
  loadAction,
  type LoadedAction,
  type LoadedWorkflow,
  literal,
  rawJob,
  rawSteps,
} from "./workflow-file.js";

/** What every job of one workflow run shares. */
export interface RunContext {
  workflow: LoadedWorkflow;
  options: ExecutorOptions;
  github: GitHubSettings;
  inputs: Record<string, Json>;
  secrets: Record<string, string>;
  /** The caller's env with the workflow's own `env:` over it. */
  env: Record<string, string>;
  tempRoot: string;
  eventPath: string;
  /** Prefix of job ids in logs and `beforeJob` (the calling job's id for a called workflow). */
  prefix: string;
  /** Variables the runner gives this job's processes beyond the usual ones (the OIDC request). */
  processEnv?: Record<string, string>;
}

export interface NeedResult {
  result: JobResult;
  outputs: Record<string, string>;
}

const DEFAULT_STEP_TIMEOUT_MS = 5 * 60_000;

function githubContext(run: RunContext, jobId: string): Record<string, Json> {
  const { github } = run;
  return {
    repository: github.repository,
    repository_owner: github.repository.split("/")[0] ?? "",
    sha: github.sha,
    ref: github.ref,
    event_name: github.eventName,
    event: github.event as Json,
    api_url: github.apiUrl,
    server_url: github.serverUrl,
    graphql_url: `${github.apiUrl}/graphql`,
    token: github.token,
    actor: github.actor,
    run_id: github.runId,
    run_attempt: "1",
    workspace: run.options.workspace,
    workflow: run.workflow.name,
    job: jobId,
  };
}

/** The contexts of a job before its steps: everything but `steps` and `env`. */
function jobContexts(
  run: RunContext,
  jobId: string,
  needs: Record<string, NeedResult>,
  matrix: Record<string, Json>,
  environment?: EnvironmentSettings,
): Record<string, Json> {
  return {
    github: githubContext(run, jobId),
    inputs: run.inputs,
    needs: needs as unknown as Json,
    // An environment's secrets and variables win over the repository's, for its jobs only.
    secrets: { GITHUB_TOKEN: run.github.token, ...run.secrets, ...environment?.secrets },
    vars: { ...run.options.vars, ...environment?.vars },
    matrix,
    strategy: { "fail-fast": true, "job-index": 0, "job-total": 1, "max-parallel": 1 },
    runner: {
      os: "Linux",
      arch: "X64",
      name: "rehearsal",
      temp: run.tempRoot,
      tool_cache: join(run.tempRoot, "tool-cache"),
    },
    job: { status: "success" },
    env: run.env,
  };
}

/** The default variables a runner sets for every step. */
function runnerEnv(run: RunContext, jobId: string, action: string): Record<string, string> {
  const { github } = run;
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: run.options.workspace,
    GITHUB_REPOSITORY: github.repository,
    GITHUB_REPOSITORY_OWNER: github.repository.split("/")[0] ?? "",
    GITHUB_SHA: github.sha,
    GITHUB_REF: github.ref,
    GITHUB_EVENT_NAME: github.eventName,
    GITHUB_EVENT_PATH: run.eventPath,
    GITHUB_API_URL: github.apiUrl,
    GITHUB_SERVER_URL: github.serverUrl,
    GITHUB_GRAPHQL_URL: `${github.apiUrl}/graphql`,
    GITHUB_RUN_ID: github.runId,
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_ACTOR: github.actor,
    GITHUB_WORKFLOW: run.workflow.name,
    GITHUB_JOB: jobId,
    GITHUB_ACTION: action,
    RUNNER_OS: "Linux",
    RUNNER_ARCH: "X64",
    ...run.processEnv,
  };
}

/** Whether the job may ask for an OIDC token: `permissions: write-all` or `id-token: write`. */
function mayRequestIdToken(run: RunContext, jobId: string): boolean {
  const permissions = field(rawJob(run.workflow, jobId), "permissions");
  if (literal(permissions) === "write-all") return true;
  return literal(field(permissions, "id-token")) === "write";
}

/** The runner's OIDC request variables, naming the workflow file and environment of the job. */
function idTokenEnv(
  run: RunContext,
  jobId: string,
  environment: string | undefined,
): Record<string, string> {
  const { oidc } = run.options;
  if (!oidc || !mayRequestIdToken(run, jobId)) return {};
  const query = new URLSearchParams({
    "api-version": "2.0",
    workflow: run.workflow.name,
    job: jobId,
    ...(environment ? { environment } : {}),
  });
  return {
    ACTIONS_ID_TOKEN_REQUEST_URL: `${oidc.url}/token?${query.toString()}`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.token,
  };
}

/** Runs a job (every matrix combination of it), or records it skipped when its `if:` is false. */
export async function runJob(
  run: RunContext,
  job: Job,
  needs: Record<string, NeedResult>,
  status: Status,
): Promise<JobRun> {
  const id = job.id.value;
  const contexts = jobContexts(run, id, needs, {});
  const name = job.name ? evaluateText(job.name, { contexts, status }) : id;
  if (!evaluateCondition(job.if.expression, { contexts, status }))
    return { id, name, result: "skipped", outputs: {}, steps: [] };
  const combinations = matrixCombinations(evaluateToken(job.strategy, { contexts, status }));
  if (combinations.length === 1) return runJobInstance(run, job, needs, combinations[0] ?? {});
  const instances: JobRun[] = [];
  for (const matrix of combinations) instances.push(await runJobInstance(run, job, needs, matrix));
  const failed = instances.some((instance) => instance.result === "failure");
  return {
    id,
    name,
    result: failed ? "failure" : "success",
    outputs: Object.assign({}, ...instances.map((instance) => instance.outputs)) as Record<
      string,
      string
    >,
    steps: [],
    instances,
  };
}

/**
 * `strategy.matrix` expanded as GitHub does: the product of its axes, less the `exclude` patterns;
 * each `include` entry extends the combinations whose axis values it matches, or is added as its own.
 */
export function matrixCombinations(strategy: Json): Record<string, Json>[] {
  const matrix = isObject(strategy) ? strategy.matrix : undefined;
  if (!isObject(matrix)) return [{}];
  const { include, exclude, ...axes } = matrix;
  const axisNames = Object.keys(axes);
  let combinations: Record<string, Json>[] = axisNames.length > 0 ? [{}] : [];
  for (const [key, values] of Object.entries(axes)) {
    const list = Array.isArray(values) ? values : [values];
    combinations = combinations.flatMap((combination) =>
      list.map((value) => ({ ...combination, [key]: value })),
    );
  }
  const matches = (
    combination: Record<string, Json>,
    pattern: Record<string, Json>,
    keys: string[],
  ) => keys.every((key) => JSON.stringify(combination[key]) === JSON.stringify(pattern[key]));
  if (Array.isArray(exclude))
    combinations = combinations.filter(
      (combination) =>
        !exclude.some(
          (pattern) => isObject(pattern) && matches(combination, pattern, Object.keys(pattern)),
        ),
    );
  for (const extra of Array.isArray(include) ? include.filter(isObject) : []) {
    const shared = Object.keys(extra).filter((key) => axisNames.includes(key));
    const extended = combinations.filter((combination) => matches(combination, extra, shared));
    if (extended.length === 0) combinations.push({ ...extra });
    for (const combination of extended)
      Object.assign(
        combination,
        Object.fromEntries(Object.entries(extra).filter(([key]) => !axisNames.includes(key))),
      );
  }
  return combinations.length > 0 ? combinations : [{}];
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An action's post step, waiting for the job's main steps to end. */
interface PendingPost {
  /** The main step, whose inputs (`with`) the post step gets again. */
  step: StepRun;
  action: LoadedAction;
  /** What the main step saved to GITHUB_STATE. */
  state: Record<string, string>;
  env: Record<string, string>;
  condition: string;
}

/** The job's status as the status functions see it from a step. */
function stepStatus(steps: StepRun[]): Status {
  const failure = steps.some((step) => step.conclusion === "failure");
  return { success: !failure, failure, cancelled: false };
}

function stepsContext(steps: StepRun[]): Json {
  return Object.fromEntries(
    steps.map((step) => [
      step.id,
      { outputs: step.outputs, outcome: step.outcome, conclusion: step.conclusion },
    ]),
  );
}

async function runJobInstance(
  run: RunContext,
  job: Job,
  needs: Record<string, NeedResult>,
  matrix: Record<string, Json>,
): Promise<JobRun> {
  const id = job.id.value;
  const plain: Scope = { contexts: jobContexts(run, id, needs, matrix), status: SUCCEEDED };
  const environment = job.environment ? evaluateToken(job.environment, plain) : undefined;
  const environmentName = environment === undefined ? undefined : environmentOf(environment).name;
  const settings = environmentName ? run.options.environments?.[environmentName] : undefined;
  const contexts = jobContexts(run, id, needs, matrix, settings);
  const before: Scope = { contexts, status: SUCCEEDED };
  const name = job.name ? evaluateText(job.name, before) : id;
  const jobEnv = { ...run.env, ...evaluateTextMap(job.env, before) };
  const record: JobRun = { id, name, result: "success", outputs: {}, steps: [] };
  run = { ...run, processEnv: idTokenEnv(run, id, environmentName) };
  const concurrency = job.concurrency ? evaluateToken(job.concurrency, before) : undefined;
  if (concurrency !== undefined) record.concurrency = concurrencyOf(concurrency);
  if (settings?.reviewers && environmentName !== undefined) {
    record.approvals = 1;
    const request = { job: `${run.prefix}${id}`, name, environment: environmentName };
    const decision = (await run.options.review?.(request)) ?? "approve";
    record.review = decision === "approve" ? "approved" : "rejected";
    if (decision !== "approve") {
      // Rejected: the job fails before its first step, with no outputs and no URL.
      record.result = "failure";
      record.environment = { name: environmentName, url: "" };
      return record;
    }
  }

  const raw = rawSteps(run.workflow, id);
  const posts: PendingPost[] = [];
  for (const [index, step] of job.steps.entries()) {
    const status = stepStatus(record.steps);
    const scope: Scope = {
      contexts: {
        ...contexts,
        job: { status: status.success ? "success" : "failure" },
        env: jobEnv,
        steps: stepsContext(record.steps),
      },
      status,
    };
    await run.options.beforeStep?.(`${run.prefix}${id}`, step.id);
    const stepEnv = { ...jobEnv, ...("env" in step ? evaluateTextMap(step.env, scope) : {}) };
    const stepScope: Scope = { ...scope, contexts: { ...scope.contexts, env: stepEnv } };
    const executed = await runStep(run, id, step, raw[index], stepScope, stepEnv, posts);
    record.steps.push(executed.step);
    Object.assign(jobEnv, executed.envAdded);
  }
  for (const post of posts.reverse())
    record.steps.push(await runPost(run, id, post, record.steps, contexts, jobEnv));

  const finalStatus = stepStatus(record.steps);
  record.result = finalStatus.failure ? "failure" : "success";
  const after: Scope = {
    contexts: { ...contexts, env: jobEnv, steps: stepsContext(record.steps) },
    status: finalStatus,
  };
  record.outputs = evaluateTextMap(job.outputs, after);
  if (environment !== undefined)
    record.environment = environmentOf(environment, job.environment, after);
  return record;
}

function concurrencyOf(value: Json): { group: string; cancelInProgress: boolean } {
  if (value && typeof value === "object" && !Array.isArray(value))
    return {
      group: asText(value.group ?? null),
      cancelInProgress: value["cancel-in-progress"] === true,
    };
  return { group: asText(value), cancelInProgress: false };
}

/** The environment's name (evaluated before the steps) and URL (after them, from the steps' outputs). */
function environmentOf(
  before: Json,
  token?: TemplateToken,
  after?: Scope,
): { name: string; url: string } {
  if (before && typeof before === "object" && !Array.isArray(before)) {
    return {
      name: asText(before.name ?? null),
      url: after ? evaluateText(field(token, "url"), after) : "",
    };
  }
  return { name: asText(before), url: "" };
}

interface ExecutedStep {
  step: StepRun;
  envAdded: Record<string, string>;
}

function skippedStep(
  id: string,
  name: string,
  uses: string | undefined,
  kind: StepRun["kind"],
): StepRun {
  return {
    id,
    name,
    ...(uses ? { uses } : {}),
    kind,
    with: {},
    outcome: "skipped",
    conclusion: "skipped",
    outputs: {},
    summary: "",
    log: "",
  };
}

async function runStep(
  run: RunContext,
  jobId: string,
  step: Step,
  raw: MappingToken | undefined,
  scope: Scope,
  env: Record<string, string>,
  posts: PendingPost[],
): Promise<ExecutedStep> {
  const uses = "uses" in step ? step.uses.value : undefined;
  const kind: StepRun["kind"] = "run" in step ? "run" : uses?.startsWith("./") ? "action" : "no-op";
  const name = step.name ? evaluateText(step.name, scope) : (uses ?? "run");
  if ("if" in step && step.if && !evaluateCondition(step.if.expression, scope))
    return { step: skippedStep(step.id, name, uses, kind), envAdded: {} };
  const given = evaluateTextMap(field(raw, "with"), scope);
  const record: StepRun = {
    id: step.id,
    name,
    ...(uses ? { uses } : {}),
    kind,
    with: given,
    outcome: "success",
    conclusion: "success",
    outputs: {},
    summary: "",
    log: "",
  };
  let envAdded: Record<string, string> = {};
  if (kind === "run" && "run" in step) {
    envAdded = await runScript(run, jobId, record, evaluateText(step.run, scope), raw, env);
  } else if (kind === "action" && uses) {
    const action = await loadAction(actionDirectory(run.options, uses));
    const inputs = actionInputs(action, given, scope);
    record.with = inputs;
    const result = await runNode(run, jobId, record, join(action.directory, mainOf(action)), {
      ...env,
      ...inputEnv(inputs),
    });
    envAdded = result.env;
    const post = postOf(action);
    if (post)
      posts.push({
        step: record,
        action,
        state: result.state,
        env,
        condition: post.condition,
      });
  }
  applyContinueOnError(record, step, scope);
  return { step: record, envAdded };
}

function applyContinueOnError(record: StepRun, step: Step, scope: Scope): void {
  const setting = step["continue-on-error"];
  const continues =
    typeof setting === "boolean"
      ? setting
      : setting
        ? evaluateToken(setting, scope) === true
        : false;
  if (record.outcome === "failure" && continues) record.conclusion = "success";
}

/** `./.shipgate/actions/x` through the checkout map; any other `./x` under the workspace. */
function actionDirectory(options: ExecutorOptions, uses: string): string {
  for (const [prefix, directory] of Object.entries(options.checkouts ?? {})) {
    if (uses.startsWith(prefix)) return resolve(directory, uses.slice(prefix.length));
  }
  return resolve(options.workspace, uses);
}

function mainOf(action: LoadedAction): string {
  const runs = action.template.runs;
  if (!("main" in runs))
    throw new Error(
      `${action.directory}: only node actions can be rehearsed (runs.using ${runs.using})`,
    );
  return runs.main;
}

function postOf(action: LoadedAction): { file: string; condition: string } | undefined {
  const runs = action.template.runs;
  return "main" in runs && runs.post
    ? { file: runs.post, condition: runs.postIf ?? "always()" }
    : undefined;
}

/** Inputs as the runner hands them over: the given ones, then each declared input's default (expressions evaluated). */
export function actionInputs(
  action: LoadedAction,
  given: Record<string, string>,
  scope: Scope,
): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const input of action.template.inputs ?? []) {
    if (input.id in given) inputs[input.id] = given[input.id] ?? "";
    else if (input.default) inputs[input.id] = evaluateText(input.default, scope);
  }
  return { ...given, ...inputs };
}

async function runScript(
  run: RunContext,
  jobId: string,
  record: StepRun,
  script: string,
  raw: MappingToken | undefined,
  env: Record<string, string>,
): Promise<Record<string, string>> {
  const file = join(run.tempRoot, `${jobId}-${record.id}.sh`);
  await writeFile(file, script);
  const shell = literal(field(raw, "shell")) ?? "bash";
  if (shell !== "bash")
    throw new Error(`${jobId}.${record.id}: only bash steps can be rehearsed (shell: ${shell})`);
  const directory = literal(field(raw, "working-directory"));
  const cwd = directory ? resolve(run.options.workspace, directory) : run.options.workspace;
  const bash = { command: "bash", args: ["--noprofile", "--norc", "-eo", "pipefail", file], cwd };
  return (await runProgram(run, jobId, record, bash, env)).env;
}

function runNode(
  run: RunContext,
  jobId: string,
  record: StepRun,
  entry: string,
  env: Record<string, string>,
): Promise<StepProcessResult> {
  const node = { command: process.execPath, args: [entry], cwd: run.options.workspace };
  return runProgram(run, jobId, record, node, env);
}

/** Runs the step's process with the runner's variables under `env`, and records how it ended. */
async function runProgram(
  run: RunContext,
  jobId: string,
  record: StepRun,
  program: Pick<StepProcessOptions, "command" | "args" | "cwd">,
  env: Record<string, string>,
): Promise<StepProcessResult> {
  const result = await runStepProcess({
    ...program,
    env: { ...runnerEnv(run, jobId, record.id), ...env },
    tempPrefix: join(run.tempRoot, "step-"),
    timeoutMs: run.options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    kill: "group",
    onLine: (line) => run.options.onLine?.(`[${run.prefix}${jobId}/${record.id}] ${line}`),
  });
  finish(record, result);
  return result;
}

function finish(record: StepRun, result: StepProcessResult): void {
  const outcome: StepOutcome = result.exitCode === 0 ? "success" : "failure";
  Object.assign(record, {
    exitCode: result.exitCode,
    outputs: result.outputs,
    summary: result.summary,
    log: result.log,
    outcome,
    conclusion: outcome,
  });
}

/** An action's post step: after every main step, with the state its main step saved (STATE_*). */
async function runPost(
  run: RunContext,
  jobId: string,
  post: PendingPost,
  steps: StepRun[],
  contexts: Record<string, Json>,
  jobEnv: Record<string, string>,
): Promise<StepRun> {
  const status = stepStatus(steps);
  const scope: Scope = {
    contexts: { ...contexts, env: jobEnv, steps: stepsContext(steps) },
    status,
  };
  const record: StepRun = {
    id: `post-${post.step.id}`,
    name: `Post ${post.step.name}`,
    ...(post.step.uses ? { uses: post.step.uses } : {}),
    kind: "post",
    with: post.step.with,
    outcome: "success",
    conclusion: "success",
    outputs: {},
    summary: "",
    log: "",
  };
  if (!evaluateCondition(post.condition, scope))
    return { ...record, outcome: "skipped", conclusion: "skipped" };
  const state = Object.fromEntries(
    Object.entries(post.state).map(([name, value]) => [`STATE_${name}`, value]),
  );
  const file = postOf(post.action)?.file ?? "";
  await runNode(run, jobId, record, join(post.action.directory, file), {
    ...post.env,
    ...inputEnv(post.step.with),
    ...state,
  });
  return record;
}
