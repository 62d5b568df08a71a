// Runs an action's bundled dist/index.js in a child process exactly as the GitHub runner does,
// and returns everything the runner would see: exit code, outputs, env, state, summary, logs.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export interface Annotation {
  level: "error" | "warning" | "notice";
  message: string;
  file?: string;
  line?: number;
  column?: number;
  title?: string;
}

export interface ActionResult {
  exitCode: number | null;
  outputs: Record<string, string>;
  env: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  stdout: string;
  stderr: string;
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

/** Parses the runner's file-command format: `name<<DELIM\nvalue\nDELIM` records (and `name=value`). */
export function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc?.[1] && heredoc[2]) {
      const end = lines.indexOf(heredoc[2], i + 1);
      if (end < 0) throw new Error(`unterminated file command record for ${heredoc[1]}`);
      result[heredoc[1]] = lines.slice(i + 1, end).join("\n");
      i = end;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`malformed file command line: ${line}`);
    result[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return result;
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

/** Runs the action and collects what the runner would. The temp files are removed afterwards. */
export async function runAction(options: RunOptions): Promise<ActionResult> {
  const temp = await mkdtemp(join(tmpdir(), `shipgate-${options.action}-`));
  const files = {
    GITHUB_OUTPUT: join(temp, "output"),
    GITHUB_ENV: join(temp, "env"),
    GITHUB_STATE: join(temp, "state"),
    GITHUB_STEP_SUMMARY: join(temp, "summary"),
    GITHUB_PATH: join(temp, "path"),
    GITHUB_EVENT_PATH: join(temp, "event.json"),
  };
  try {
    for (const [name, path] of Object.entries(files)) {
      if (name !== "GITHUB_EVENT_PATH") await writeFile(path, "");
    }
    await writeFile(files.GITHUB_EVENT_PATH, JSON.stringify(options.event?.payload ?? {}));
    const inputs = Object.fromEntries(
      Object.entries(options.inputs ?? {}).map(([name, value]) => [
        `INPUT_${name.replace(/ /g, "_").toUpperCase()}`,
        value,
      ]),
    );
    const env: NodeJS.ProcessEnv = {
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
      RUNNER_TEMP: temp,
      RUNNER_OS: "Linux",
      ...files,
      ...inputs,
      ...options.env,
    };
    const child = spawn(
      process.execPath,
      [join(ROOT, "actions", options.action, "dist", "index.js")],
      {
        cwd: options.workspace,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!options.onLine) return;
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) options.onLine(line, child);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timeout = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    const exitCode = await new Promise<number | null>((done, fail) => {
      child.on("error", fail);
      child.on("close", (code) => done(code));
    }).finally(() => clearTimeout(timeout));
    const all = [...stdout.split("\n"), ...stderr.split("\n")].filter((line) => line !== "");
    // ::add-mask:: lines are commands the runner consumes, never shown in the log.
    const lines = all.filter((line) => !line.startsWith("::add-mask::"));
    return {
      exitCode,
      outputs: parseFileCommands(await readFile(files.GITHUB_OUTPUT, "utf8")),
      env: parseFileCommands(await readFile(files.GITHUB_ENV, "utf8")),
      state: parseFileCommands(await readFile(files.GITHUB_STATE, "utf8")),
      summary: await readFile(files.GITHUB_STEP_SUMMARY, "utf8"),
      stdout,
      stderr,
      lines,
      annotations: parseAnnotations(lines),
      masked: all
        .filter((line) => line.startsWith("::add-mask::"))
        .map((line) => unescapeData(line.slice(12))),
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
