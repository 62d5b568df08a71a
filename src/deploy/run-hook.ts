// Runs a hook command with @actions/exec under a small supervisor that gives it a timeout: the
// command runs in its own process group, which is terminated (then killed after a grace period)
// when the timeout passes or when the deploy itself is being stopped.
import { exec } from "@actions/exec";

/** Exit code of a hook stopped by its timeout (as coreutils' `timeout` uses). */
export const TIMED_OUT = 124;

// Plain JavaScript for `node -e`: argv is [timeoutMs, graceMs, command].
const SUPERVISOR = `
const { spawn } = require("node:child_process");
const { constants } = require("node:os");
const [timeoutMs, graceMs, command] = process.argv.slice(1);
const child = spawn("bash", ["-c", command], { stdio: "inherit", detached: true });
let timedOut = false;
const signalGroup = (signal) => { try { process.kill(-child.pid, signal); } catch {} };
const stop = (signal) => { signalGroup(signal); setTimeout(() => signalGroup("SIGKILL"), Number(graceMs)).unref(); };
const timer = setTimeout(() => { timedOut = true; console.error("hook timed out after " + timeoutMs + " ms"); stop("SIGTERM"); }, Number(timeoutMs));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => stop(signal));
child.on("exit", (code, signal) => {
  clearTimeout(timer);
  process.exit(timedOut ? ${TIMED_OUT} : code ?? 128 + (constants.signals[signal] ?? 0));
});
`;

export interface HookRun {
  exitCode: number;
  timedOut: boolean;
  durationMs: number;
  /** The last lines of output, for the report (the full output is in the log). */
  tail: string[];
}

export interface HookOptions {
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  cwd?: string;
  /** Each line of output, as it comes. */
  onLine?: (line: string) => void;
}

export async function runHook(options: HookOptions): Promise<HookRun> {
  const started = Date.now();
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    options.onLine?.(line);
  };
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  const exitCode = await exec(
    process.execPath,
    ["-e", SUPERVISOR, String(options.timeoutMs), "5000", options.command],
    {
      env: { ...env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ignoreReturnCode: true,
      silent: true,
      // Output goes to the log line by line (through onLine); a hook that leaves a background process
      // holding its output open does not keep the deploy waiting longer than this.
      delay: 1_000,
      listeners: { stdline: remember, errline: remember },
    },
  );
  return { exitCode, timedOut: exitCode === TIMED_OUT, durationMs: Date.now() - started, tail };
}
