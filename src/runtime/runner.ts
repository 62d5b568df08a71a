// The runner protocol (outputs, env, secrets, annotations, summary, log groups) for every action.
//
// These are @actions/core's own implementations, imported from its modules directly: its package
// entry also loads the OIDC client, and with it undici, which roughly doubles an action's cold
// start (see `npm run bench`). Only this file may reach into @actions/core.
import { issue, issueCommand } from "../../node_modules/@actions/core/lib/command.js";
import {
  issueFileCommand,
  prepareKeyValueMessage,
} from "../../node_modules/@actions/core/lib/file-command.js";
import { summary } from "../../node_modules/@actions/core/lib/summary.js";
import { toCommandProperties } from "../../node_modules/@actions/core/lib/utils.js";

/** Where an annotation points: a file in the repository, and optionally a line and column. */
export interface AnnotationLocation {
  file?: string;
  line?: number;
  column?: number;
  title?: string;
}

/** Writes a step output (to the GITHUB_OUTPUT file, as the runner expects). */
export function setOutput(name: string, value: string): void {
  if (!process.env.GITHUB_OUTPUT)
    throw new Error("GITHUB_OUTPUT is not set: not running under a GitHub runner");
  issueFileCommand("OUTPUT", prepareKeyValueMessage(name, value));
}

/** Exports a variable to the following steps of the job (GITHUB_ENV). */
export function exportVariable(name: string, value: string): void {
  if (!process.env.GITHUB_ENV)
    throw new Error("GITHUB_ENV is not set: not running under a GitHub runner");
  issueFileCommand("ENV", prepareKeyValueMessage(name, value));
}

/**
 * Saves a value for this action's `post` step, which sees it as STATE_<name> (GITHUB_STATE). A
 * no-op outside a runner.
 */
export function saveState(name: string, value: string): void {
  if (!process.env.GITHUB_STATE) return;
  issueFileCommand("STATE", prepareKeyValueMessage(name, value));
}

/**
 * Registers a value with the runner so it is masked in every log line from now on. A multi-line
 * value is also registered line by line, because the runner masks line by line.
 */
export function registerSecret(value: string): void {
  if (value === "") return;
  issueCommand("add-mask", {}, value);
  const lines = value.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length > 1) for (const line of lines) issueCommand("add-mask", {}, line);
}

function annotate(
  level: "error" | "warning" | "notice",
  message: string,
  at: AnnotationLocation = {},
): void {
  issueCommand(
    level,
    toCommandProperties({
      file: at.file,
      startLine: at.line,
      startColumn: at.column,
      title: at.title,
    }),
    message,
  );
}

export const logError = (message: string, at?: AnnotationLocation): void =>
  annotate("error", message, at);
export const logWarning = (message: string, at?: AnnotationLocation): void =>
  annotate("warning", message, at);
export const logNotice = (message: string, at?: AnnotationLocation): void =>
  annotate("notice", message, at);

export function logInfo(message: string): void {
  process.stdout.write(`${message}\n`);
}

export function logDebug(message: string): void {
  issueCommand("debug", {}, message);
}

/** Runs `body` inside a collapsible log group. */
export async function logGroup<T>(name: string, body: () => Promise<T> | T): Promise<T> {
  issue("group", name);
  try {
    return await body();
  } finally {
    issue("endgroup");
  }
}

/** Appends markdown to the job summary; does nothing outside a runner (no GITHUB_STEP_SUMMARY). */
export async function appendSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await summary.addRaw(markdown, true).write();
  summary.emptyBuffer();
}

/** Marks the step failed: the process exits 1 once the event loop drains. */
export function markFailed(): void {
  process.exitCode = 1;
}
