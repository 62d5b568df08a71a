// Wiring rules over workflows parsed by GitHub's parser: what a caller gives shipgate's actions
// and reusable workflows, the outputs it reads, and the hardening every job must carry.
import { isBasicExpression, isMapping, isString } from "@actions/workflow-parser";
import type {
  Job,
  ReusableWorkflowJob,
  WorkflowJob,
} from "@actions/workflow-parser/model/workflow-template";
import { TemplateToken } from "@actions/workflow-parser/templates/tokens/index";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  entries,
  field,
  loadAction,
  literal,
  rawJob,
  rawSteps,
  SELF_REPOSITORY,
  workflowCallOutputs,
  type LoadedAction,
  type LoadedWorkflow,
} from "./workflow-file.js";

export type Rule =
  | "action-input"
  | "required-input"
  | "step-output"
  | "job-output"
  | "call-output"
  | "permissions"
  | "timeout"
  | "pinned"
  | "injection"
  | "deploy-concurrency";

export interface Finding {
  rule: Rule;
  /** file: jobs.<id>[.steps[n]] */
  where: string;
  message: string;
}

const SHIPGATE_ACTION = /^\.\/(?:\.shipgate\/)?actions\/([\w-]+)$/;
const PINNED = /^[\w.-]+\/[\w.-]+(?:\/[^@]+)?@[0-9a-f]{40}$/;
const VERSION_COMMENT = /#\s*v?\d+(?:\.\d+)*\b/;
const UNTRUSTED_IN_RUN = /\bgithub\.event\b|\binputs\./;

/** Everything the rules need besides the workflow: shipgate's actions and the pinned third-party ones' outputs. */
export interface WiringContext {
  root: string;
  actions: Map<string, LoadedAction>;
  remoteOutputs: Record<string, string[]>;
}

export async function wiringContext(root: string): Promise<WiringContext> {
  const remote = JSON.parse(
    await readFile(join(root, "scripts", "lint", "remote-actions.json"), "utf8"),
  ) as Record<string, { outputs?: string[] }>;
  const remoteOutputs = Object.fromEntries(
    Object.entries(remote)
      .filter(([key]) => key.includes("@"))
      .map(([key, value]) => [key, value.outputs ?? []]),
  );
  return { root, actions: new Map(), remoteOutputs };
}

async function shipgateAction(
  context: WiringContext,
  name: string,
): Promise<LoadedAction | undefined> {
  if (!context.actions.has(name)) {
    const action = await loadAction(join(context.root, "actions", name)).catch(() => undefined);
    if (action) context.actions.set(name, action);
  }
  return context.actions.get(name);
}

/** Every finding of every rule for one workflow (parse errors are the caller's to check first). */
export async function checkWiring(
  workflow: LoadedWorkflow,
  context: WiringContext,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { jobs } = workflow.template;
  for (const job of jobs) {
    const where = `${workflow.name}: jobs.${job.id.value}`;
    const raw = rawJob(workflow, job.id.value);
    if (!field(raw, "permissions"))
      findings.push({
        rule: "permissions",
        where,
        message: "no permissions: (least privilege per job)",
      });
    findings.push(...checkNeedsReferences(job, jobs, where, raw));
    if (job.type === "reusableWorkflowJob") {
      findings.push(...checkCall(job, where, workflow));
      continue;
    }
    if (!field(raw, "timeout-minutes"))
      findings.push({ rule: "timeout", where, message: "no timeout-minutes" });
    findings.push(...(await checkSteps(job, workflow, context, where)));
    findings.push(...(await checkDeployConcurrency(job, workflow, where)));
  }
  findings.push(...checkWorkflowCallOutputs(workflow));
  return findings;
}

/** Every expression string anywhere under a token. */
function expressionsIn(token: TemplateToken | undefined): string[] {
  if (!token) return [];
  const found: string[] = [];
  for (const [, item] of TemplateToken.traverse(token)) {
    if (isBasicExpression(item)) found.push(item.expression);
  }
  return found;
}

function references(token: TemplateToken | undefined, pattern: RegExp): RegExpMatchArray[] {
  return expressionsIn(token).flatMap((expression) => [
    ...expression.matchAll(new RegExp(pattern.source, "g")),
  ]);
}

/** Output names a job exposes: its `outputs:`, or for a reusable-workflow call the called workflow's. */
function jobOutputs(job: WorkflowJob): string[] | undefined {
  if (job.type === "reusableWorkflowJob" && !job.outputs) return job.jobs ? [] : undefined;
  return entries(job.outputs).map(([name]) => name);
}

function checkNeedsReferences(
  job: WorkflowJob,
  jobs: WorkflowJob[],
  where: string,
  raw: TemplateToken | undefined,
): Finding[] {
  const findings: Finding[] = [];
  const needs = new Set((job.needs ?? []).map((need) => need.value));
  for (const match of references(raw, /needs\.([\w-]+)\.(?:outputs\.([\w-]+)|result)/)) {
    const [text, needed, output] = match;
    if (!needed) continue;
    if (!needs.has(needed)) {
      findings.push({ rule: "job-output", where, message: `${text}: ${needed} is not in needs` });
      continue;
    }
    const outputs = jobOutputs(
      jobs.find((candidate) => candidate.id.value === needed) as WorkflowJob,
    );
    if (output && outputs && !outputs.includes(output))
      findings.push(missingOutput("job-output", where, text, `job ${needed}`, output, outputs));
  }
  return findings;
}

/** `text` names an output its job or step (`owner`) does not have. */
function missingOutput(
  rule: Rule,
  where: string,
  text: string,
  owner: string,
  output: string,
  outputs: string[],
): Finding {
  const has = outputs.join(", ") || "none";
  return { rule, where, message: `${text}: ${owner} has no output ${output} (it has ${has})` };
}

/** A reusable-workflow call is pinned unless local or this repository's own (its inputs are checked by the parser). */
function checkCall(job: ReusableWorkflowJob, where: string, workflow: LoadedWorkflow): Finding[] {
  const ref = job.ref.value;
  return ref.startsWith("./") || ref.startsWith(`${SELF_REPOSITORY}/`)
    ? []
    : checkPinned(ref, job.ref.line, workflow, where);
}

function checkPinned(
  uses: string,
  line: number | undefined,
  workflow: LoadedWorkflow,
  where: string,
): Finding[] {
  if (!PINNED.test(uses))
    return [{ rule: "pinned", where, message: `${uses} is not pinned by a full commit SHA` }];
  const text = line ? (workflow.content.split("\n")[line - 1] ?? "") : "";
  return VERSION_COMMENT.test(text)
    ? []
    : [{ rule: "pinned", where, message: `${uses} has no version comment (# vX.Y.Z)` }];
}

interface StepShape {
  id: string;
  uses?: string;
  /** A run step's script text, expressions left as written. */
  script?: string;
}

function scriptOf(token: TemplateToken | undefined): string | undefined {
  if (!token) return undefined;
  if (isString(token)) return token.value;
  if (isBasicExpression(token)) return token.source ?? token.expression;
  return undefined;
}

async function checkSteps(
  job: Job,
  workflow: LoadedWorkflow,
  context: WiringContext,
  jobWhere: string,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const raw = rawSteps(workflow, job.id.value);
  const shapes: StepShape[] = job.steps.map((step, index) => ({
    id: step.id,
    ...("uses" in step ? { uses: step.uses.value } : {}),
    ...("run" in step ? { script: scriptOf(field(raw[index], "run")) ?? "" } : {}),
  }));
  for (const [index, step] of job.steps.entries()) {
    const where = `${jobWhere}.steps[${index}]`;
    if ("uses" in step)
      findings.push(
        ...(await checkUses(step.uses.value, step.uses.line, raw[index], workflow, context, where)),
      );
    if ("run" in step) findings.push(...checkInjection(field(raw[index], "run"), where));
  }
  findings.push(
    ...(await checkStepOutputs(rawJob(workflow, job.id.value), shapes, context, jobWhere)),
  );
  return findings;
}

async function checkUses(
  uses: string,
  line: number | undefined,
  raw: TemplateToken | undefined,
  workflow: LoadedWorkflow,
  context: WiringContext,
  where: string,
): Promise<Finding[]> {
  const shipgate = SHIPGATE_ACTION.exec(uses)?.[1];
  if (!shipgate)
    return uses.startsWith("./") || uses.startsWith("docker://")
      ? []
      : checkPinned(uses, line, workflow, where);
  const action = await shipgateAction(context, shipgate);
  if (!action)
    return [{ rule: "action-input", where, message: `${uses}: no actions/${shipgate}/action.yml` }];
  const inputs = action.template.inputs ?? [];
  const given = entries(field(raw, "with")).map(([name]) => name);
  const findings: Finding[] = [];
  for (const name of given) {
    if (!inputs.some((input) => input.id === name))
      findings.push({
        rule: "action-input",
        where,
        message: `with.${name}: actions/${shipgate} has no input ${name}`,
      });
  }
  for (const input of inputs) {
    if (input.required && !input.default && !given.includes(input.id))
      findings.push({
        rule: "required-input",
        where,
        message: `actions/${shipgate} requires input ${input.id}`,
      });
  }
  return findings;
}

function checkInjection(run: TemplateToken | undefined, where: string): Finding[] {
  if (!run || !isBasicExpression(run)) return [];
  const expressions = run.originalExpressions?.map((expression) => expression.expression) ?? [
    run.expression,
  ];
  return expressions
    .filter((expression) => UNTRUSTED_IN_RUN.test(expression))
    .map((expression) => ({
      rule: "injection" as const,
      where,
      message: `\${{ ${expression} }} inside run: (pass it through env:)`,
    }));
}

/**
 * Output names a step provides: its shipgate action's, a pinned action's known ones, or what its
 * script writes to GITHUB_OUTPUT.
 */
async function stepOutputs(step: StepShape, context: WiringContext): Promise<string[] | undefined> {
  if (step.script !== undefined) {
    if (!step.script.includes("GITHUB_OUTPUT")) return [];
    return [...step.script.matchAll(/(?:^|[\s"'{])([\w-]+)(?:=|<<)/gm)].map(
      (match) => match[1] as string,
    );
  }
  const shipgate = step.uses ? SHIPGATE_ACTION.exec(step.uses)?.[1] : undefined;
  if (shipgate)
    return (await shipgateAction(context, shipgate))?.template.outputs?.map((output) => output.id);
  return step.uses ? context.remoteOutputs[step.uses] : undefined;
}

async function checkStepOutputs(
  raw: TemplateToken | undefined,
  steps: StepShape[],
  context: WiringContext,
  where: string,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [text, id, output] of references(raw, /steps\.([\w-]+)\.outputs\.([\w-]+)/)) {
    const step = steps.find((candidate) => candidate.id === id);
    if (!step) {
      findings.push({ rule: "step-output", where, message: `${text}: no step with id ${id}` });
      continue;
    }
    const outputs = await stepOutputs(step, context);
    if (outputs && output && !outputs.includes(output))
      findings.push(missingOutput("step-output", where, text, `step ${id}`, output, outputs));
  }
  return findings;
}

function checkWorkflowCallOutputs(workflow: LoadedWorkflow): Finding[] {
  const findings: Finding[] = [];
  for (const [name, value] of workflowCallOutputs(workflow)) {
    const where = `${workflow.name}: on.workflow_call.outputs.${name}`;
    for (const [text, id, output] of references(value, /jobs\.([\w-]+)\.outputs\.([\w-]+)/)) {
      const job = workflow.template.jobs.find((candidate) => candidate.id.value === id);
      const outputs = job ? jobOutputs(job) : [];
      if (!job) findings.push({ rule: "call-output", where, message: `${text}: no job ${id}` });
      else if (outputs && output && !outputs.includes(output))
        findings.push({
          rule: "call-output",
          where,
          message: `${text}: job ${id} has no output ${output}`,
        });
    }
  }
  return findings;
}

/** The text of a name token (an expression's source, or a literal) to compare with a concurrency group. */
function keyOf(token: TemplateToken | undefined): string | undefined {
  if (!token) return undefined;
  if (isBasicExpression(token)) return token.expression;
  return literal(token);
}

/**
 * A job that deploys (it has an environment, or runs shipgate's deploy action) must queue per
 * environment: a concurrency group that includes the environment's name, never cancelling a running
 * deploy. The environment deployed to is the deploy step's when there is one (a job approved in
 * another environment, such as deploy.yml's promote job, still queues with the deploys of the one
 * it deploys to), else the job's.
 */
async function checkDeployConcurrency(
  job: Job,
  workflow: LoadedWorkflow,
  where: string,
): Promise<Finding[]> {
  const raw = rawSteps(workflow, job.id.value);
  const deployStep = job.steps.findIndex(
    (step) => "uses" in step && SHIPGATE_ACTION.exec(step.uses.value)?.[1] === "deploy",
  );
  if (!job.environment && deployStep < 0) return [];
  const environment =
    job.environment && isMapping(job.environment) ? job.environment.find("name") : job.environment;
  const name = keyOf(field(field(raw[deployStep], "with"), "environment")) ?? keyOf(environment);
  const concurrency = job.concurrency;
  if (!concurrency)
    return [{ rule: "deploy-concurrency", where, message: "a deploy job without concurrency:" }];
  const group = keyOf(isMapping(concurrency) ? concurrency.find("group") : concurrency) ?? "";
  const cancel = isMapping(concurrency) ? concurrency.find("cancel-in-progress") : undefined;
  const findings: Finding[] = [];
  if (cancel && !("value" in cancel && cancel.value === false))
    findings.push({
      rule: "deploy-concurrency",
      where,
      message: "cancel-in-progress must be false for a deploy",
    });
  if (name && !group.includes(name))
    findings.push({
      rule: "deploy-concurrency",
      where,
      message: `concurrency group ${group} is not per environment (${name})`,
    });
  return findings;
}
