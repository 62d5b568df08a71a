// @ts-check
// Child processes of the lab: free ports, spawning with logs, waiting for readiness, stopping by pid.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** Asks the kernel for a free TCP port on 127.0.0.1 (free now; a later bind may still race). */
export function freePort() {
  return new Promise(
    /** @param {(port: number) => void} resolve @param {(error: Error) => void} reject */
    (resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : 0;
        server.close(() => resolve(port));
      });
    },
  );
}

/**
 * Whether a process exists and is not a zombie. PID 1 on some machines never reaps orphans, so a
 * stopped detached process can linger as a zombie that `kill(pid, 0)` still reports as present.
 * @param {number | null | undefined} pid
 */
export function isAlive(pid) {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A multi-threaded process (Prometheus) shows its leader as a zombie while the other threads
    // still exit and hold its sockets open; it is gone only when no other thread is left.
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    return !(state === "Z" || state === "X") || threads > 1;
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is alive and its command line contains `marker`: a pid read back from a state
 * file may have been reused by an unrelated process, which the lab must never signal.
 * @param {number | null | undefined} pid
 * @param {string} marker
 */
export function isLabProcess(pid, marker) {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").includes(marker);
  } catch {
    return false;
  }
}

/**
 * The pids whose parent is `pid` (nginx workers of a master, for example).
 * @param {number} pid
 * @returns {number[]}
 */
export function childPids(pid) {
  /** @type {number[]} */
  let pids;
  try {
    pids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: scan every process's parent pid instead.
    pids = readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((candidate) => {
        try {
          const stat = readFileSync(`/proc/${candidate}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
        } catch {
          return false;
        }
      });
  }
  return pids.filter((child) => isAlive(child));
}

/**
 * Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. A
 * check that throws is retried, unless its error is marked `permanent`.
 * @template T
 * @param {string} what names the awaited condition in the timeout error
 * @param {() => Promise<T | undefined> | T | undefined} check
 * @param {{ timeoutMs?: number, intervalMs?: number }} [options]
 * @returns {Promise<T>}
 */
export async function waitUntil(what, check, options = {}) {
  const { timeoutMs = 10_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  /** @type {unknown} */
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (/** @type {{ permanent?: boolean }} */ (error)?.permanent) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * @typedef {object} Spawned
 * @property {import("node:child_process").ChildProcess} child
 * @property {number} pid
 * @property {string} logFile where stdout and stderr go
 * @property {Promise<number | null>} exited resolves with the exit code (or null after a signal)
 */

/**
 * Starts a program with stdout and stderr appended to `logFile` (a pipe nobody reads would block
 * a chatty server). `detached` puts it in its own process group and lets this process exit
 * without it, which the CLI needs: its servers outlive the command that started them.
 * @param {string} command
 * @param {string[]} args
 * @param {{ logFile: string, detached?: boolean, env?: NodeJS.ProcessEnv, cwd?: string }} options
 * @returns {Promise<Spawned>}
 */
export async function spawnLogged(command, args, options) {
  await mkdir(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, "a");
  try {
    const child = spawn(command, args, {
      stdio: ["ignore", fd, fd],
      detached: options.detached ?? false,
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    const exited = new Promise(
      /** @param {(code: number | null) => void} resolve */
      (resolve) => child.once("exit", (code) => resolve(code)),
    );
    const pid = await new Promise(
      /** @param {(pid: number) => void} resolve @param {(error: Error) => void} reject */
      (resolve, reject) => {
        child.once("error", reject);
        child.once("spawn", () => resolve(/** @type {number} */ (child.pid)));
      },
    );
    if (options.detached) child.unref();
    return { child, pid, logFile: options.logFile, exited };
  } finally {
    closeSync(fd);
  }
}

/**
 * The last lines of a log file, for error messages.
 * @param {string} file
 * @param {number} [lines]
 */
export async function logTail(file, lines = 15) {
  try {
    const text = await readFile(file, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Sends `signal` and waits until the process is gone; SIGKILL after `timeoutMs`.
 * @param {number | null | undefined} pid
 * @param {{ signal?: NodeJS.Signals, timeoutMs?: number }} [options]
 * @returns {Promise<"stopped" | "killed" | "not running">}
 */
export async function stopPid(pid, options = {}) {
  const { signal = "SIGTERM", timeoutMs = 10_000 } = options;
  if (!pid || !isAlive(pid)) return "not running";
  try {
    process.kill(pid, signal);
  } catch {
    return "not running";
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return "stopped";
    await sleep(25);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return "stopped";
  }
  while (isAlive(pid)) await sleep(25);
  return "killed";
}

/**
 * Waits until a server just started with `spawnLogged` is ready (`check` returns a value); when it
 * exits first, the error carries the tail of `logFile`. A server that never gets ready is killed,
 * so a failed start leaves nothing behind.
 * @template T
 * @param {Spawned} spawned
 * @param {string} what names the server and what is awaited, e.g. "nginx on port 8080"
 * @param {string} logFile the log to quote when it exits
 * @param {() => Promise<T | undefined> | T | undefined} check
 * @param {{ timeoutMs?: number, intervalMs?: number }} [options]
 * @returns {Promise<T>}
 */
export async function awaitServer(spawned, what, logFile, check, options = {}) {
  try {
    return await waitUntil(
      what,
      async () => {
        if (!isAlive(spawned.pid)) throw new Error(`it exited:\n${await logTail(logFile)}`);
        return check();
      },
      options,
    );
  } catch (error) {
    await stopPid(spawned.pid, { signal: "SIGKILL" });
    throw error;
  }
}
