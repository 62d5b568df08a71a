// Workflow and action files read with GitHub's own parser: the converted job graph, plus the raw
// token tree for what the converted model leaves out (`with:`, `permissions`, `timeout-minutes`,
// `on.workflow_call.outputs`).
import {
  convertWorkflowTemplate,
  isMapping,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from "@actions/workflow-parser";
import {
  convertActionTemplate,
  parseAction,
  type ActionTemplate,
} from "@actions/workflow-parser/actions/index";
import type { MappingToken, TemplateToken } from "@actions/workflow-parser/templates/tokens/index";
import type { FileReference } from "@actions/workflow-parser/workflows/file-reference";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** This repository's name, as callers in examples/ spell it (`shipgate/shipgate/.github/workflows/x.yml@v1`). */
export const SELF_REPOSITORY = "shipgate/shipgate";

export interface LoadedWorkflow {
  /** The file name as given (relative to the root for the repository's own files). */
  name: string;
  template: WorkflowTemplate;
  /** The raw token tree of the whole file. */
  root: MappingToken;
  /** The file's text (comments are not in the token tree). */
  content: string;
  /** Parse and conversion errors, as messages; empty for a valid workflow. */
  errors: string[];
}

/** Reads `uses: ./.github/workflows/x.yml` (and this repository's own remote references) from `root`. */
function localFileProvider(root: string) {
  return {
    async getFileContent(ref: FileReference) {
      const remote = "repository" in ref;
      if (remote && `${ref.owner}/${ref.repository}` !== SELF_REPOSITORY)
        throw new Error(
          `remote workflow not available offline: ${ref.owner}/${ref.repository}/${ref.path}`,
        );
      return { name: ref.path, content: await readFile(resolve(root, ref.path), "utf8") };
    },
  };
}

/**
 * Parses a workflow from `content` (or the file `name` under `root`) and converts it, fetching
 * called workflows one level deep. Throws only when the file is not a mapping at all.
 */
export async function loadWorkflow(
  name: string,
  options: { root: string; content?: string },
): Promise<LoadedWorkflow> {
  const content = options.content ?? (await readFile(resolve(options.root, name), "utf8"));
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const root = parsed.value;
  if (!root || !isMapping(root))
    throw new Error(
      `${name}: ${
        parsed.context.errors
          .getErrors()
          .map((error) => error.message)
          .join("; ") || "not a workflow"
      }`,
    );
  const template = await convertWorkflowTemplate(
    parsed.context,
    root,
    localFileProvider(options.root),
    { fetchReusableWorkflowDepth: 1 },
  );
  const errors = [
    ...parsed.context.errors.getErrors().map((error) => error.message),
    ...(template.errors ?? []).map((error) => error.Message),
  ];
  return { name, template, root, content, errors: [...new Set(errors)] };
}

/** The value under `key` in a mapping token, when the token is a mapping and has it. */
export function field(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  return token && isMapping(token) ? token.find(key) : undefined;
}

/** The entries of a mapping token as [key, value] pairs (empty for anything else). */
export function entries(token: TemplateToken | undefined): [string, TemplateToken][] {
  if (!token || !isMapping(token)) return [];
  const result: [string, TemplateToken][] = [];
  for (const pair of token) result.push([pair.key.toString(), pair.value]);
  return result;
}

/** The items of a sequence token (empty for anything else). */
export function items(token: TemplateToken | undefined): TemplateToken[] {
  if (!token || !isSequence(token)) return [];
  const result: TemplateToken[] = [];
  for (let i = 0; i < token.count; i++) result.push(token.get(i));
  return result;
}

/** A literal string token's value. */
export function literal(token: TemplateToken | undefined): string | undefined {
  return token && isString(token) ? token.value : undefined;
}

/** The raw mapping of job `id`. */
export function rawJob(workflow: LoadedWorkflow, id: string): MappingToken | undefined {
  const job = field(field(workflow.root, "jobs"), id);
  return job && isMapping(job) ? job : undefined;
}

/** The raw step mappings of job `id`, in order (the converted steps keep the same order). */
export function rawSteps(workflow: LoadedWorkflow, id: string): MappingToken[] {
  return items(field(rawJob(workflow, id), "steps")).filter(isMapping);
}

/** `on.workflow_call.outputs` of the workflow: name -> value token. */
export function workflowCallOutputs(
  workflow: LoadedWorkflow,
): [string, TemplateToken | undefined][] {
  const on = field(workflow.root, "on");
  return entries(field(field(on, "workflow_call"), "outputs")).map(([name, output]) => [
    name,
    field(output, "value"),
  ]);
}

export interface LoadedAction {
  directory: string;
  template: ActionTemplate;
  errors: string[];
}

/** Reads `directory/action.yml` with GitHub's action parser. */
export async function loadAction(directory: string): Promise<LoadedAction> {
  const name = join(directory, "action.yml");
  const parsed = parseAction(
    { name, content: await readFile(name, "utf8") },
    new NoOperationTraceWriter(),
  );
  if (!parsed.value)
    throw new Error(
      `${name}: ${parsed.context.errors
        .getErrors()
        .map((error) => error.message)
        .join("; ")}`,
    );
  const template = convertActionTemplate(parsed.context, parsed.value);
  return {
    directory,
    template,
    errors: parsed.context.errors.getErrors().map((error) => error.message),
  };
}
