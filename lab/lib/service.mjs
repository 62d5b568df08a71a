// @ts-check
// Starting and stopping instances of the demo service (lab/service.mjs) as child processes.
import { spawn } from "node:child_process";
import { open, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { TextDecoder } from "node:util";
import { httpGet } from "./http.mjs";
import { isAlive, isLabProcess, spawnLogged, stopPid, waitUntil } from "./processes.mjs";
import { parseVersion } from "./versions.mjs";

export const SERVICE_SCRIPT = fileURLToPath(new URL("../service.mjs", import.meta.url));

/**
 * @typedef {object} StartServiceOptions
 * @property {string} version semver, a leading "v" allowed
 * @property {string} [slot] "blue" by default
 * @property {number} [port] 0 (the default) lets the service pick a free port
 * @property {number} [errorRate] overrides versions.yml, 0..1
 * @property {number} [latencyMs] overrides versions.yml
 * @property {number} [latencyJitterMs] overrides versions.yml
 * @property {string} [logFile] append stdout/stderr here; without it they are kept in memory
 * @property {boolean} [detached] let the instance outlive this process (needs logFile)
 * @property {number} [timeoutMs] how long to wait for it to listen and answer /healthz (10 s)
 * @property {NodeJS.ProcessEnv} [env] its environment (this process's by default), such as a
 *   drill's SHIPGATE_DRILL=1
 */

/**
 * @typedef {object} ServiceInstance
 * @property {string} url base URL, http://127.0.0.1:PORT
 * @property {number} port
 * @property {number} pid
 * @property {string} version the normalised version
 * @property {string} slot
 * @property {(graceMs?: number) => Promise<void>} stop SIGTERM: drain in-flight requests, then exit
 * @property {() => Promise<void>} kill SIGKILL
 */

/** @param {string} text @returns {{ port: number } | undefined} */
function listeningLine(text) {
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const event = JSON.parse(line);
      if (event.event === "listening" && typeof event.port === "number") return event;
    } catch {
      // a partial line; the next read completes it
    }
  }
  return undefined;
}

/** @param {string} file @param {number} from */
async function readFrom(file, from) {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const buffer = new Uint8Array(Math.max(0, size - from));
    await handle.read(buffer, 0, buffer.length, from);
    return new TextDecoder().decode(buffer);
  } finally {
    await handle.close();
  }
}

/**
 * Starts one instance and resolves once it listens and /healthz answers with its version.
 * @param {StartServiceOptions} options
 * @returns {Promise<ServiceInstance>}
 */
export async function startService(options) {
  const version = parseVersion(options.version);
  const slot = options.slot ?? "blue";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const args = serviceArgs(options, version, slot);
  const launched = options.logFile
    ? await launchLogged(args, options.logFile, options.detached, options.env)
    : await launchPiped(args, options.detached, options.env);
  const { pid } = launched;
  /** @type {number} */
  let port;
  try {
    port = await awaitListening(launched, `the ${slot} service (${version}) to listen`, timeoutMs);
    await awaitHealthy(port, version, timeoutMs);
  } catch (error) {
    await stopPid(pid, { signal: "SIGKILL" });
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    pid,
    version,
    slot,
    stop: async (graceMs = 10_000) => {
      await stopPid(pid, { signal: "SIGTERM", timeoutMs: graceMs + 5000 });
    },
    kill: async () => {
      await stopPid(pid, { signal: "SIGKILL" });
    },
  };
}

/**
 * The command line of lab/service.mjs for these options.
 * @param {StartServiceOptions} options
 * @param {string} version
 * @param {string} slot
 */
function serviceArgs(options, version, slot) {
  const args = [
    SERVICE_SCRIPT,
    "--port",
    String(options.port ?? 0),
    "--version",
    version,
    "--slot",
    slot,
  ];
  if (options.errorRate !== undefined) args.push("--error-rate", String(options.errorRate));
  if (options.latencyMs !== undefined) args.push("--latency-ms", String(options.latencyMs));
  if (options.latencyJitterMs !== undefined)
    args.push("--latency-jitter-ms", String(options.latencyJitterMs));
  return args;
}

/**
 * A started instance before it is ready.
 * @typedef {object} Launched
 * @property {number} pid
 * @property {() => Promise<string>} output what it printed so far (since it started)
 * @property {() => boolean} exited
 */

/**
 * Starts the service with its output appended to `logFile`; reads back only what this run wrote.
 * @param {string[]} args
 * @param {string} logFile
 * @param {boolean | undefined} detached
 * @param {NodeJS.ProcessEnv | undefined} env
 * @returns {Promise<Launched>}
 */
async function launchLogged(args, logFile, detached, env) {
  const from = await stat(logFile).then(
    (s) => s.size,
    () => 0,
  );
  const spawned = await spawnLogged(process.execPath, args, {
    logFile,
    detached,
    ...(env ? { env } : {}),
  });
  const pid = spawned.pid;
  return { pid, output: () => readFrom(logFile, from), exited: () => !isAlive(pid) };
}

/**
 * Starts the service with its output kept in memory (the last 64 KiB), tied to this process.
 * @param {string[]} args
 * @param {boolean | undefined} detached
 * @param {NodeJS.ProcessEnv | undefined} env
 * @returns {Promise<Launched>}
 */
async function launchPiped(args, detached, env) {
  if (detached) throw new Error("startService: a detached instance needs a logFile");
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    ...(env ? { env } : {}),
  });
  let text = "";
  const keep = (/** @type {Buffer} */ chunk) => {
    text = (text + chunk.toString("utf8")).slice(-65_536);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let gone = false;
  child.once("exit", () => {
    gone = true;
  });
  /** @type {number} */
  const pid = await new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("spawn", () => resolve(/** @type {number} */ (child.pid)));
  });
  return { pid, output: async () => text, exited: () => gone };
}

/**
 * The port the service reports in its "listening" line; fails as soon as it exits instead.
 * @param {Launched} launched
 * @param {string} what
 * @param {number} timeoutMs
 */
function awaitListening(launched, what, timeoutMs) {
  return waitUntil(
    what,
    async () => {
      const line = listeningLine(await launched.output());
      if (line) return line.port;
      if (launched.exited()) throw new Error(`it exited:\n${await launched.output()}`);
      return undefined;
    },
    { timeoutMs },
  );
}

/**
 * Resolves once /healthz on `port` answers 200 with `version`.
 * @param {number} port
 * @param {string} version
 * @param {number} timeoutMs
 */
async function awaitHealthy(port, version, timeoutMs) {
  const healthz = `http://127.0.0.1:${port}/healthz`;
  await waitUntil(
    `${healthz} to report ${version}`,
    async () => {
      const response = await httpGet(healthz, { timeoutMs: 1000 });
      return response.status === 200 && JSON.parse(response.body).version === version
        ? true
        : undefined;
    },
    { timeoutMs },
  );
}

/**
 * Stops an instance known only by pid (from the lab's state file), if it is still the service.
 * @param {number | null | undefined} pid
 * @param {number} [graceMs]
 */
export async function stopServicePid(pid, graceMs = 10_000) {
  if (!isLabProcess(pid, SERVICE_SCRIPT)) return "not running";
  return stopPid(pid, { signal: "SIGTERM", timeoutMs: graceMs + 5000 });
}
