// @ts-check
// The lab's state directory: state.json (ports, pids, versions, weights) and a lock for writers.
import { mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "./processes.mjs";
import { LabUsageError } from "./usage-error.mjs";

/** @typedef {"blue" | "green"} Slot */
export const SLOTS = /** @type {const} */ (["blue", "green"]);

/**
 * @typedef {"slots" | "fleet"} LabMode `slots`: blue and green, one live and one idle or canary;
 *   `fleet`: N named instances that all serve traffic
 */

/** An instance's name: a slot's, a fleet member's, nginx's server comment and the `slot` label. */
export const INSTANCE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * @typedef {object} Overrides
 * @property {number} [errorRate]
 * @property {number} [latencyMs]
 * @property {number} [latencyJitterMs]
 */

/**
 * @typedef {object} InstanceState
 * @property {number} port fixed at `up`, so Prometheus scrapes the same addresses throughout
 * @property {number | null} pid the running process, null when the instance is idle
 * @property {string | null} version the version running, null when idle
 * @property {Overrides} overrides of versions.yml for this instance
 * @property {string | null} startedAt
 */

/** @typedef {InstanceState} SlotState a slot is an instance named blue or green */

/**
 * @typedef {object} LabState
 * @property {1} schema
 * @property {LabMode} mode
 * @property {string} dir absolute
 * @property {string} url the traffic entry point (nginx)
 * @property {Slot | null} live slot mode: the stable slot, what `rollback` returns all traffic to;
 *   null in fleet mode
 * @property {Record<string, number>} weights percentages by instance, summing to 100
 * @property {{ port: number, pid: number | null, prefix: string }} nginx
 * @property {{ port: number, pid: number | null, url: string, dir: string }} prometheus
 * @property {Record<string, InstanceState>} instances by name, in order (blue and green in slot
 *   mode, the fleet's instances as `up --instances` listed them in fleet mode)
 * @property {string | null} environment the last SHIPGATE_ENVIRONMENT a hook was called with
 * @property {string} updatedAt
 */

/** @param {string} dir */
export const stateFile = (dir) => join(resolve(dir), "state.json");

/** @param {unknown} slot @returns {slot is Slot} */
export const isSlot = (slot) => slot === "blue" || slot === "green";

/** @param {Slot} slot @returns {Slot} */
export const otherSlot = (slot) => (slot === "blue" ? "green" : "blue");

/**
 * @param {string} dir
 * @returns {Promise<LabState | undefined>} undefined when the lab was never brought up here
 */
export async function readState(dir) {
  let text;
  try {
    text = await readFile(stateFile(dir), "utf8");
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === "ENOENT") return undefined;
    throw error;
  }
  const state = JSON.parse(text);
  if (state?.schema !== 1)
    throw new Error(
      `${stateFile(dir)}: not a lab state file (schema ${JSON.stringify(state?.schema)})`,
    );
  // A state written before fleet mode: a slot lab whose instances were called `slots`.
  if (state.instances === undefined && state.slots !== undefined) {
    state.instances = state.slots;
    delete state.slots;
  }
  state.mode ??= "slots";
  return /** @type {LabState} */ (state);
}

/** The instances' names in order. @param {LabState} state */
export const instanceNames = (state) => Object.keys(state.instances);

/**
 * The named instance; a name the lab does not have is the caller's mistake.
 * @param {LabState} state
 * @param {string} name
 */
export function instanceOf(state, name) {
  const instance = Object.hasOwn(state.instances, name) ? state.instances[name] : undefined;
  if (!instance) {
    const names = instanceNames(state).join(", ");
    throw new LabUsageError(
      state.mode === "slots"
        ? `slot ${JSON.stringify(name)}: expected blue or green`
        : `no instance ${JSON.stringify(name)} in this fleet (${names})`,
    );
  }
  return instance;
}

/** The live slot of a slot lab. @param {LabState} state @returns {Slot} */
export function liveSlot(state) {
  if (state.mode !== "slots" || !state.live)
    throw new LabUsageError("this lab is a fleet: it has no live slot");
  return state.live;
}

/** @param {LabState} state */
export async function writeState(state) {
  state.updatedAt = new Date().toISOString();
  const file = stateFile(state.dir);
  await writeFile(`${file}.next`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.next`, file);
}

/**
 * Runs `fn` holding DIR/state.lock, so two hook commands cannot interleave their read-modify-write
 * of the state. A lock left by a process that died is taken over.
 * @template T
 * @param {string} dir
 * @param {() => Promise<T>} fn
 * @param {number} [timeoutMs]
 * @returns {Promise<T>}
 */
export async function withLock(dir, fn, timeoutMs = 60_000) {
  await mkdir(resolve(dir), { recursive: true });
  const lock = join(resolve(dir), "state.lock");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lock, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== "EEXIST") throw error;
      const holder = Number((await readFile(lock, "utf8").catch(() => "")).trim());
      if (holder && !isAlive(holder)) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`another lab command (pid ${holder || "?"}) holds ${lock}`, {
          cause: error,
        });
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
