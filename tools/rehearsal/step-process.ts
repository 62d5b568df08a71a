// One step's process as the runner starts it: fresh file-command files (GITHUB_OUTPUT, GITHUB_ENV,
// GITHUB_STATE, GITHUB_STEP_SUMMARY, GITHUB_PATH), its environment, a time limit, and what it left.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseFileCommands } from "../runner/run-action.js";

export interface StepProcessResult {
  exitCode: number | null;
  outputs: Record<string, string>;
  /** Variables written to GITHUB_ENV, for the steps after this one. */
  env: Record<string, string>;
  /** Values saved to GITHUB_STATE, for the action's post step. */
  state: Record<string, string>;
  summary: string;
  /** stdout and stderr, interleaved as printed. */
  log: string;
}

export interface StepProcess {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Directory for the file-command files (RUNNER_TEMP). */
  tempRoot: string;
  timeoutMs: number;
  onLine?: (line: string) => void;
}

/** Runs the step's process to its end (killing its process group at the time limit). */
export async function runStepProcess(step: StepProcess): Promise<StepProcessResult> {
  const temp = await mkdtemp(join(step.tempRoot, "step-"));
  const files = {
    GITHUB_OUTPUT: join(temp, "output"),
    GITHUB_ENV: join(temp, "env"),
    GITHUB_STATE: join(temp, "state"),
    GITHUB_STEP_SUMMARY: join(temp, "summary"),
    GITHUB_PATH: join(temp, "path"),
  };
  try {
    for (const path of Object.values(files)) await writeFile(path, "");
    const child = spawn(step.command, step.args, {
      cwd: step.cwd,
      env: { ...step.env, ...files, RUNNER_TEMP: temp },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let log = "";
    let pending = "";
    const collect = (chunk: Buffer) => {
      log += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) step.onLine?.(line);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => killGroup(child.pid), step.timeoutMs);
    const exitCode = await new Promise<number | null>((done, fail) => {
      child.on("error", fail);
      child.on("close", (code) => done(code));
    }).finally(() => clearTimeout(timer));
    if (pending) step.onLine?.(pending);
    return {
      exitCode,
      outputs: parseFileCommands(await readFile(files.GITHUB_OUTPUT, "utf8")),
      env: parseFileCommands(await readFile(files.GITHUB_ENV, "utf8")),
      state: parseFileCommands(await readFile(files.GITHUB_STATE, "utf8")),
      summary: await readFile(files.GITHUB_STEP_SUMMARY, "utf8"),
      log,
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
