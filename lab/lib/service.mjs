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

  /** @type {number} */
  let pid;
  /** @type {() => Promise<string>} */
  let output;
  /** @type {() => boolean} */
  let exited;
  if (options.logFile) {
    const logFile = options.logFile;
    const from = await stat(logFile).then(
      (s) => s.size,
      () => 0,
    );
    const spawned = await spawnLogged(process.execPath, args, {
      logFile,
      detached: options.detached,
    });
    pid = spawned.pid;
    output = () => readFrom(logFile, from);
    exited = () => !isAlive(pid);
  } else {
    if (options.detached) throw new Error("startService: a detached instance needs a logFile");
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
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
    pid = await new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => resolve(/** @type {number} */ (child.pid)));
    });
    output = async () => text;
    exited = () => gone;
  }

  /** @type {number} */
  let port;
  try {
    port = await waitUntil(
      `the ${slot} service (${version}) to listen`,
      async () => {
        const line = listeningLine(await output());
        if (line) return line.port;
        if (exited()) throw new Error(`it exited:\n${await output()}`);
        return undefined;
      },
      { timeoutMs },
    );
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
 * Stops an instance known only by pid (from the lab's state file), if it is still the service.
 * @param {number | null | undefined} pid
 * @param {number} [graceMs]
 */
export async function stopServicePid(pid, graceMs = 10_000) {
  if (!isLabProcess(pid, SERVICE_SCRIPT)) return "not running";
  return stopPid(pid, { signal: "SIGTERM", timeoutMs: graceMs + 5000 });
}
