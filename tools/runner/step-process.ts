// One step's process as the runner starts it: fresh file-command files (GITHUB_OUTPUT, GITHUB_ENV,
// GITHUB_STATE, GITHUB_STEP_SUMMARY, GITHUB_PATH), its environment, a time limit, and what it left.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type OutputStream = "stdout" | "stderr";

export interface StepProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  /** The step's environment; the file-command paths and RUNNER_TEMP are set over it. */
  env: NodeJS.ProcessEnv;
  /** Prefix of the step's temporary directory (RUNNER_TEMP), as for `mkdtemp`; removed afterwards. */
  tempPrefix: string;
  /** A webhook payload to write into the temporary directory as GITHUB_EVENT_PATH. */
  event?: unknown;
  timeoutMs: number;
  /**
   * What the time limit kills: the process alone, or its process group (the process is then
   * started in a group of its own, so that whatever it started goes with it).
   */
  kill: "process" | "group";
  /** Called with each line as it is printed, with the stream and the child (to signal it mid-run). */
  onLine?: (line: string, stream: OutputStream, child: ChildProcess) => void;
}

/** What the step wrote to its file-command files. */
export interface StepFiles {
  outputs: Record<string, string>;
  /** Variables written to GITHUB_ENV, for the steps after this one. */
  env: Record<string, string>;
  /** Values saved to GITHUB_STATE, for the action's post step. */
  state: Record<string, string>;
  summary: string;
}

export interface StepProcessResult extends StepFiles {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, interleaved as printed. */
  log: string;
}

type FileCommands = Record<
  "GITHUB_OUTPUT" | "GITHUB_ENV" | "GITHUB_STATE" | "GITHUB_STEP_SUMMARY" | "GITHUB_PATH",
  string
>;

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

/** Runs the step's process to its end and reads what it left in the file-command files. */
export async function runStepProcess(step: StepProcessOptions): Promise<StepProcessResult> {
  const temp = await mkdtemp(step.tempPrefix);
  try {
    const files = await createFileCommands(temp);
    const event = await writeEvent(temp, step.event);
    const child = spawn(step.command, step.args, {
      cwd: step.cwd,
      env: { ...step.env, ...files, ...event, RUNNER_TEMP: temp },
      stdio: ["ignore", "pipe", "pipe"],
      detached: step.kill === "group",
    });
    const printed = collectOutput(child, step.onLine);
    const timer = setTimeout(() => killAtTimeout(child, step.kill), step.timeoutMs);
    const exitCode = await new Promise<number | null>((done, fail) => {
      child.on("error", fail);
      child.on("close", (code) => done(code));
    }).finally(() => clearTimeout(timer));
    printed.flush();
    return { exitCode, ...(await readFileCommands(files)), ...printed.text };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function createFileCommands(temp: string): Promise<FileCommands> {
  const files: FileCommands = {
    GITHUB_OUTPUT: join(temp, "output"),
    GITHUB_ENV: join(temp, "env"),
    GITHUB_STATE: join(temp, "state"),
    GITHUB_STEP_SUMMARY: join(temp, "summary"),
    GITHUB_PATH: join(temp, "path"),
  };
  for (const path of Object.values(files)) await writeFile(path, "");
  return files;
}

async function writeEvent(temp: string, payload: unknown): Promise<{ GITHUB_EVENT_PATH?: string }> {
  if (payload === undefined) return {};
  const path = join(temp, "event.json");
  await writeFile(path, JSON.stringify(payload));
  return { GITHUB_EVENT_PATH: path };
}

async function readFileCommands(files: FileCommands): Promise<StepFiles> {
  return {
    outputs: parseFileCommands(await readFile(files.GITHUB_OUTPUT, "utf8")),
    env: parseFileCommands(await readFile(files.GITHUB_ENV, "utf8")),
    state: parseFileCommands(await readFile(files.GITHUB_STATE, "utf8")),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, "utf8"),
  };
}

/** Keeps each stream and the interleaved log, and hands out whole lines as they are printed. */
function collectOutput(child: ChildProcess, onLine: StepProcessOptions["onLine"]) {
  const text = { stdout: "", stderr: "", log: "" };
  const pending: Record<OutputStream, string> = { stdout: "", stderr: "" };
  const collect = (stream: OutputStream) => (chunk: Buffer) => {
    text[stream] += chunk.toString();
    text.log += chunk.toString();
    const lines = (pending[stream] + chunk.toString()).split("\n");
    pending[stream] = lines.pop() ?? "";
    for (const line of lines) onLine?.(line, stream, child);
  };
  child.stdout?.on("data", collect("stdout"));
  child.stderr?.on("data", collect("stderr"));
  const flush = () => {
    for (const stream of ["stdout", "stderr"] as const)
      if (pending[stream]) onLine?.(pending[stream], stream, child);
  };
  return { text, flush };
}

function killAtTimeout(child: ChildProcess, kill: StepProcessOptions["kill"]): void {
  if (kill === "process") {
    child.kill("SIGKILL");
    return;
  }
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
