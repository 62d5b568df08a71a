// Runs a hook command under a timeout: bash in a process group of its own, whose every process is
// terminated (then killed after a grace period) when the timeout passes, and whose output is read
// line by line as it comes.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** Exit code of a hook stopped by its timeout (as coreutils' `timeout` uses). */
export const TIMED_OUT = 124;
/** How long a process group has between SIGTERM and SIGKILL. */
const GRACE_MS = 5_000;
/**
 * How long output may stay open after the hook exits: a hook that leaves a background process
 * holding its stdout does not keep the deploy waiting longer than this.
 */
const OUTPUT_LINGER_MS = 1_000;
/** Lines kept for the report (the full output is in the log). */
const TAIL_LINES = 20;

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
  /** Each line of standard output alone: what a command that prints a result is read for. */
  onStdout?: (line: string) => void;
}

/** Signals every process of the hook's group; the group may already be gone. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left to signal.
  }
}

/** Reads `streams` line by line; `drained` waits for their end, at most `lingerMs`, then closes them. */
function readLines(streams: readonly Readable[], onLine: (line: string) => void) {
  const closed = streams.map(
    (stream) =>
      new Promise<void>((done) => {
        createInterface({ input: stream, crlfDelay: Infinity })
          .on("line", onLine)
          .on("close", done);
      }),
  );
  return {
    drained: (lingerMs: number) =>
      Promise.race([
        Promise.all(closed),
        new Promise<void>((done) => setTimeout(done, lingerMs).unref()),
      ]).then(() => streams.forEach((stream) => stream.destroy())),
  };
}

export async function runHook(options: HookOptions): Promise<HookRun> {
  const started = Date.now();
  const tail: string[] = [];
  const child = spawn("bash", ["-c", options.command], {
    env: { ...process.env, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const remember = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    options.onLine?.(line);
  };
  const output = {
    stdout: readLines([child.stdout], (line) => {
      remember(line);
      options.onStdout?.(line);
    }),
    stderr: readLines([child.stderr], remember),
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    remember(`hook timed out after ${options.timeoutMs} ms`);
    signalGroup(child.pid, "SIGTERM");
    setTimeout(() => signalGroup(child.pid, "SIGKILL"), GRACE_MS).unref();
  }, options.timeoutMs);
  const exitCode = await new Promise<number>((done) => {
    child.on("error", (error) => {
      remember(`hook could not start: ${error.message}`);
      done(127);
    });
    child.on("exit", (code, signal) => {
      done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
  clearTimeout(timer);
  await Promise.all([
    output.stdout.drained(OUTPUT_LINGER_MS),
    output.stderr.drained(OUTPUT_LINGER_MS),
  ]);
  return {
    exitCode: timedOut ? TIMED_OUT : exitCode,
    timedOut,
    durationMs: Date.now() - started,
    tail,
  };
}
