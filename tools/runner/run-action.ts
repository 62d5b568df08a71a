// Runs an action's bundled dist/index.js in a child process exactly as the GitHub runner does,
// and returns everything the runner would see: exit code, outputs, env, state, summary, logs.
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { runStepProcess, type StepProcessOptions, type StepProcessResult } from "./step-process.js";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export interface Annotation {
  level: "error" | "warning" | "notice";
  message: string;
  file?: string;
  line?: number;
  column?: number;
  title?: string;
}

/** What the action's step left (see `runStepProcess`), and its log as the runner shows it. */
export interface ActionResult extends Omit<StepProcessResult, "log"> {
  /** Every line the log shows, stdout then stderr (::add-mask:: commands are in `masked`). */
  lines: string[];
  annotations: Annotation[];
  /** Values registered with ::add-mask:: */
  masked: string[];
}

export interface RunOptions {
  /** Folder name under actions/. */
  action: string;
  /** Inputs by their action.yml names. */
  inputs?: Record<string, string>;
  /** Extra process environment (secrets passed to the step, for example). */
  env?: Record<string, string>;
  /** The workspace (GITHUB_WORKSPACE and the working directory). */
  workspace: string;
  /** A webhook event: its name and payload (see `examplePayload`). */
  event?: { name: string; payload: unknown };
  apiUrl?: string;
  repository?: string;
  sha?: string;
  timeoutMs?: number;
  /** Called with each stdout line as it is printed, with the child (to signal it mid-run). */
  onLine?: (line: string, child: ChildProcess) => void;
}

const unescapeData = (s: string): string =>
  s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
const unescapeProperty = (s: string): string =>
  unescapeData(s).replace(/%3A/g, ":").replace(/%2C/g, ",");

/** Parses `::error file=f,line=3::message` workflow commands from log lines. */
export function parseAnnotations(lines: readonly string[]): Annotation[] {
  const annotations: Annotation[] = [];
  for (const line of lines) {
    const match = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const annotation: Annotation = {
      level: match[1] as Annotation["level"],
      message: unescapeData(match[3] ?? ""),
    };
    for (const pair of (match[2] ?? "").split(",").filter(Boolean)) {
      const eq = pair.indexOf("=");
      const key = pair.slice(0, eq);
      const value = unescapeProperty(pair.slice(eq + 1));
      if (key === "file") annotation.file = value;
      else if (key === "line") annotation.line = Number(value);
      else if (key === "col") annotation.column = Number(value);
      else if (key === "title") annotation.title = value;
    }
    annotations.push(annotation);
  }
  return annotations;
}

const require = createRequire(import.meta.url);
type WebhookExamples = { name: string; examples: Record<string, unknown>[] }[];

/** A real webhook payload from @octokit/webhooks-examples, e.g. `examplePayload("pull_request", "opened")`. */
export function examplePayload(event: string, action?: string): Record<string, unknown> {
  const all = require("@octokit/webhooks-examples") as WebhookExamples;
  const entry = all.find((candidate) => candidate.name === event);
  const example = entry?.examples.find(
    (candidate) => action === undefined || candidate.action === action,
  );
  if (!example) throw new Error(`no example payload for ${event}${action ? `.${action}` : ""}`);
  return structuredClone(example);
}

interface ActionMetadata {
  inputs?: Record<string, { default?: unknown } | null>;
  outputs?: Record<string, unknown>;
}

/**
 * The inputs as the runner gives them: each one action.yml declares, its default when not given
 * (defaults that are expressions, such as `${{ github.token }}`, are left to the test). An input
 * action.yml does not declare is a mistake in the test, as the runner would warn.
 */
function declaredInputs(metadata: ActionMetadata, action: string, given: Record<string, string>) {
  const declared = metadata.inputs ?? {};
  const unknown = Object.keys(given).filter((name) => !(name in declared));
  if (unknown.length > 0)
    throw new Error(`actions/${action}/action.yml has no input ${unknown.join(", ")}`);
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(declared)) {
    const fallback = input?.default;
    if (fallback !== undefined && !String(fallback).includes("${{"))
      defaults[name] = String(fallback);
  }
  return { ...defaults, ...given };
}

/** An output the step wrote that action.yml does not declare is a bug: callers could never read it. */
function checkOutputs(
  metadata: ActionMetadata,
  action: string,
  outputs: Record<string, string>,
): void {
  const undeclared = Object.keys(outputs).filter((name) => !(name in (metadata.outputs ?? {})));
  if (undeclared.length > 0) {
    throw new Error(
      `actions/${action} wrote outputs its action.yml does not declare: ${undeclared.join(", ")}`,
    );
  }
}

/** Runs the action and collects what the runner would. The temp files are removed afterwards. */
export async function runAction(options: RunOptions): Promise<ActionResult> {
  const metadata = parse(
    readFileSync(join(ROOT, "actions", options.action, "action.yml"), "utf8"),
  ) as ActionMetadata;
  const inputs = declaredInputs(metadata, options.action, options.inputs ?? {});
  const step = await runStepProcess({
    command: process.execPath,
    args: [join(ROOT, "actions", options.action, "dist", "index.js")],
    cwd: options.workspace,
    env: { ...runnerEnv(options), ...inputEnv(inputs), ...options.env },
    tempPrefix: join(tmpdir(), `shipgate-${options.action}-`),
    event: options.event?.payload ?? {},
    timeoutMs: options.timeoutMs ?? 60_000,
    kill: "process",
    ...(options.onLine ? { onLine: stdoutLines(options.onLine) } : {}),
  });
  const { exitCode, outputs, env, state, summary, stdout, stderr } = step;
  checkOutputs(metadata, options.action, outputs);
  return { exitCode, outputs, env, state, summary, stdout, stderr, ...readLog(stdout, stderr) };
}

/** The log as the runner shows it, the annotations in it, and the values it was told to mask. */
function readLog(
  stdout: string,
  stderr: string,
): Pick<ActionResult, "lines" | "annotations" | "masked"> {
  const all = [...stdout.split("\n"), ...stderr.split("\n")].filter((line) => line !== "");
  // ::add-mask:: lines are commands the runner consumes, never shown in the log.
  const lines = all.filter((line) => !line.startsWith("::add-mask::"));
  const masked = all
    .filter((line) => line.startsWith("::add-mask::"))
    .map((line) => unescapeData(line.slice(12)));
  return { lines, annotations: parseAnnotations(lines), masked };
}

/** The variables the runner gives every step (the file-command paths are the step process's). */
function runnerEnv(options: RunOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: options.repository ?? "octo-org/demo-api",
    GITHUB_SHA: options.sha ?? "6dcb09b5b57875f334f61aebed695e2e4193db5e",
    GITHUB_REF: "refs/heads/main",
    GITHUB_EVENT_NAME: options.event?.name ?? "workflow_dispatch",
    GITHUB_API_URL: options.apiUrl ?? "http://127.0.0.1:9",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "1658821493",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_ACTOR: "octocat",
    GITHUB_JOB: "test",
    RUNNER_OS: "Linux",
  };
}

/** Inputs as the runner hands them to an action: `INPUT_<NAME>`, spaces as underscores. */
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [
      `INPUT_${name.replace(/ /g, "_").toUpperCase()}`,
      value,
    ]),
  );
}

/** `RunOptions.onLine` sees the action's stdout lines only. */
function stdoutLines(onLine: NonNullable<RunOptions["onLine"]>): StepProcessOptions["onLine"] {
  return (line, stream, child) => {
    if (stream === "stdout") onLine(line, child);
  };
}
