// @ts-check
// The lab's operations over its state directory: up, down, the deploy hooks, status and load.
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { startLoad } from "./load.mjs";
import { startNginx, stopNginx } from "./nginx.mjs";
import { freePort, isLabProcess } from "./processes.mjs";
import { startPrometheus, stopPrometheusPid } from "./prometheus.mjs";
import { stopServicePid } from "./service.mjs";
import {
  applyWeights,
  refuseIfCarrying,
  replaceInstance,
  slotRunning,
  splitTraffic,
  stopOtherSlot,
  stopSlot,
  upstream,
} from "./slots.mjs";
import { SLOTS, otherSlot, readState, withLock, writeState } from "./state.mjs";
import { LabUsageError } from "./usage-error.mjs";
import { parseVersion } from "./versions.mjs";

export { LabUsageError };

/** @typedef {import("./state.mjs").LabState} LabState */
/** @typedef {import("./state.mjs").Slot} Slot */
/** @typedef {import("./state.mjs").SlotState} SlotState */

/** @param {unknown} input */
function usageVersion(input) {
  try {
    return parseVersion(input);
  } catch (error) {
    throw new LabUsageError(/** @type {Error} */ (error).message);
  }
}

/**
 * @typedef {object} SlotSummary
 * @property {number} port
 * @property {string | null} version
 * @property {boolean} running
 * @property {number} weight
 */

/**
 * @typedef {object} LabSummary what every operation reports
 * @property {string} url the traffic entry point
 * @property {string} prometheus the Prometheus base URL
 * @property {Slot} live
 * @property {Record<Slot, number>} weights
 * @property {Record<Slot, SlotSummary>} slots
 */

/** @param {LabState} state @returns {LabSummary} */
export function summarize(state) {
  /** @param {Slot} name */
  const slot = (name) => ({
    port: state.slots[name].port,
    version: state.slots[name].version,
    running: slotRunning(state.slots[name]),
    weight: state.weights[name],
  });
  return {
    url: state.url,
    prometheus: state.prometheus.url,
    live: state.live,
    weights: { ...state.weights },
    slots: { blue: slot("blue"), green: slot("green") },
  };
}

/** @param {string} dir */
async function requireUp(dir) {
  const state = await readState(dir);
  if (!state || !isLabProcess(state.nginx.pid, "nginx"))
    throw new LabUsageError(`the lab is not up in ${resolve(dir)}; run \`lab up\` first`);
  return state;
}

/** @param {LabState} state */
async function stopAll(state) {
  /** @type {Record<string, string>} */
  const stopped = {};
  stopped.nginx = await stopNginx(state.nginx.prefix);
  state.nginx.pid = null;
  for (const slot of SLOTS) {
    stopped[slot] = await stopServicePid(state.slots[slot].pid);
    state.slots[slot].pid = null;
    state.slots[slot].version = null;
  }
  stopped.prometheus = await stopPrometheusPid(state.prometheus.pid);
  state.prometheus.pid = null;
  return stopped;
}

/**
 * Starts nginx, Prometheus (scraping both slot ports) and the blue slot with `version`, all
 * traffic to blue. If the lab is already up in `dir`, reports it and starts nothing.
 * @param {string} dir
 * @param {{ version?: string, scrapeInterval?: string }} [options]
 * @returns {Promise<LabSummary & { alreadyUp: boolean, dir: string }>}
 */
export function labUp(dir, options = {}) {
  const version = usageVersion(options.version ?? "1.0.0");
  return withLock(dir, async () => {
    const existing = await readState(dir);
    if (existing && isLabProcess(existing.nginx.pid, "nginx"))
      return { ...summarize(existing), alreadyUp: true, dir: existing.dir };
    if (existing) await stopAll(existing);

    const root = resolve(dir);
    await mkdir(join(root, "logs"), { recursive: true });
    const state = initialState(root, await distinctFreePorts(), existing?.environment ?? null);
    await writeState(state);
    try {
      await startServers(state, version, options.scrapeInterval ?? "1s");
    } catch (error) {
      await stopAll(state);
      await writeState(state);
      throw error;
    }
    return { ...summarize(state), alreadyUp: false, dir: root };
  });
}

/** Ports for nginx, Prometheus, blue and green: four, since the kernel may offer one twice. */
async function distinctFreePorts() {
  /** @type {number[]} */
  const ports = [];
  while (ports.length < 4) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return /** @type {[number, number, number, number]} */ (ports);
}

/**
 * The state of a lab about to start: every port fixed, nothing running yet, all traffic to blue.
 * @param {string} root
 * @param {[number, number, number, number]} ports nginx, Prometheus, blue, green
 * @param {string | null} environment
 * @returns {LabState}
 */
function initialState(root, [nginxPort, prometheusPort, bluePort, greenPort], environment) {
  return {
    schema: 1,
    dir: root,
    url: `http://127.0.0.1:${nginxPort}`,
    live: "blue",
    weights: { blue: 100, green: 0 },
    nginx: { port: nginxPort, pid: null, prefix: join(root, "nginx") },
    prometheus: {
      port: prometheusPort,
      pid: null,
      url: `http://127.0.0.1:${prometheusPort}`,
      dir: join(root, "prometheus"),
    },
    slots: {
      blue: { port: bluePort, pid: null, version: null, overrides: {}, startedAt: null },
      green: { port: greenPort, pid: null, version: null, overrides: {}, startedAt: null },
    },
    environment,
    updatedAt: "",
  };
}

/**
 * Starts blue with `version`, then nginx, then Prometheus, recording each pid as soon as it runs
 * so that a failure part-way can stop what did start.
 * @param {LabState} state
 * @param {string} version
 * @param {string} scrapeInterval
 */
async function startServers(state, version, scrapeInterval) {
  await replaceInstance(state, "blue", version, {});
  const nginx = await startNginx({
    dir: state.nginx.prefix,
    port: state.nginx.port,
    detached: true,
    upstream: upstream(state, state.weights),
  });
  state.nginx.pid = nginx.pid;
  await writeState(state);
  const prometheus = await startPrometheus({
    dir: state.prometheus.dir,
    port: state.prometheus.port,
    detached: true,
    scrapeInterval,
    targets: SLOTS.map((slot) => ({
      target: `127.0.0.1:${state.slots[slot].port}`,
      job: "demo",
      labels: { slot },
    })),
  });
  state.prometheus.pid = prometheus.pid;
  await writeState(state);
}

/**
 * Stops everything: nginx gracefully (`-s quit`), then the slots and Prometheus with SIGTERM.
 * @param {string} dir
 */
export function labDown(dir) {
  return withLock(dir, async () => {
    const state = await readState(dir);
    if (!state) return { stopped: {}, wasUp: false };
    const wasUp = isLabProcess(state.nginx.pid, "nginx");
    const stopped = await stopAll(state);
    await writeState(state);
    return { stopped, wasUp };
  });
}

/**
 * The state file with whether each recorded process is still running.
 * @param {string} dir
 */
export async function labStatus(dir) {
  const state = await readState(dir);
  if (!state) return { up: false, dir: resolve(dir) };
  return {
    up: isLabProcess(state.nginx.pid, "nginx"),
    ...state,
    running: {
      nginx: isLabProcess(state.nginx.pid, "nginx"),
      prometheus: isLabProcess(state.prometheus.pid, "prometheus"),
      blue: slotRunning(state.slots.blue),
      green: slotRunning(state.slots.green),
    },
  };
}

/**
 * @param {LabState} state
 * @param {string | undefined} environment
 */
function noteEnvironment(state, environment) {
  if (environment) state.environment = environment;
}

/**
 * (Re)starts `slot` with `version` on the slot's port and waits for /healthz. Refuses a slot that
 * carries traffic unless `force` (an in-place restart then drops that slot's share briefly).
 * @param {string} dir
 * @param {{ slot: Slot, version: string, force?: boolean, environment?: string } & SlotState["overrides"]} options
 */
export function labDeploy(dir, options) {
  const version = usageVersion(options.version);
  const { slot } = options;
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    refuseIfCarrying(
      state,
      slot,
      options.force,
      `deploy to the idle slot ${otherSlot(slot)}, move traffic off ${slot} first, or pass --force`,
    );
    /** @type {SlotState["overrides"]} */
    const overrides = {};
    if (options.errorRate !== undefined) overrides.errorRate = options.errorRate;
    if (options.latencyMs !== undefined) overrides.latencyMs = options.latencyMs;
    if (options.latencyJitterMs !== undefined) overrides.latencyJitterMs = options.latencyJitterMs;
    const previousVersion = state.slots[slot].version;
    noteEnvironment(state, options.environment);
    await replaceInstance(state, slot, version, overrides);
    return {
      ...summarize(state),
      slot,
      version,
      previousVersion,
      slotUrl: `http://127.0.0.1:${state.slots[slot].port}`,
    };
  });
}

/**
 * Sends `weight`% of traffic to `slot` and the rest to the other slot.
 * @param {string} dir
 * @param {{ slot: Slot, weight: number, environment?: string }} options
 */
export function labTraffic(dir, options) {
  const { slot, weight } = options;
  if (!Number.isInteger(weight) || weight < 0 || weight > 100)
    throw new LabUsageError(`weight must be an integer from 0 to 100, got ${weight}`);
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    noteEnvironment(state, options.environment);
    await applyWeights(state, splitTraffic(slot, weight));
    return { ...summarize(state), slot, weight };
  });
}

/**
 * Makes `slot` the live slot with all traffic; with `stopOther`, then stops the other slot (after
 * the reload completed, so it no longer receives requests).
 * @param {string} dir
 * @param {{ slot: Slot, stopOther?: boolean, environment?: string }} options
 */
export function labPromote(dir, options) {
  const { slot } = options;
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    noteEnvironment(state, options.environment);
    await applyWeights(state, splitTraffic(slot, 100));
    state.live = slot;
    await writeState(state);
    const stopped = options.stopOther ? await stopOtherSlot(state, slot) : null;
    return { ...summarize(state), promoted: slot, stopped };
  });
}

/**
 * Returns all traffic to the live slot (idempotent). With `previousVersion` (the version that was
 * live before the deploy) and a live slot no longer running it, that version is redeployed there
 * first: the in-place (rolling) case. With `stopOther`, the non-live slot is stopped afterwards.
 * @param {string} dir
 * @param {{ stopOther?: boolean, previousVersion?: string, environment?: string }} [options]
 */
export function labRollback(dir, options = {}) {
  const previousVersion =
    options.previousVersion === undefined ? undefined : usageVersion(options.previousVersion);
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    noteEnvironment(state, options.environment);
    const live = state.live;
    let redeployed = false;
    const liveSlot = state.slots[live];
    const wanted = previousVersion ?? liveSlot.version;
    if (!wanted)
      throw new LabUsageError(
        `the live slot ${live} runs nothing and no previous version was given ` +
          "(--version or SHIPGATE_PREVIOUS_VERSION)",
      );
    if (!slotRunning(liveSlot) || liveSlot.version !== wanted) {
      await replaceInstance(
        state,
        live,
        wanted,
        liveSlot.version === wanted ? liveSlot.overrides : {},
      );
      redeployed = true;
    }
    await applyWeights(state, splitTraffic(live, 100));
    const stopped = options.stopOther ? await stopOtherSlot(state, live) : null;
    return { ...summarize(state), rolledBackTo: live, version: wanted, redeployed, stopped };
  });
}

/**
 * Stops the slot's instance; refuses a slot that carries traffic unless `force`.
 * @param {string} dir
 * @param {{ slot: Slot, force?: boolean, environment?: string }} options
 */
export function labStop(dir, options) {
  const { slot } = options;
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    refuseIfCarrying(state, slot, options.force, "move traffic off it first, or pass --force");
    noteEnvironment(state, options.environment);
    const result = await stopSlot(state, slot);
    return { ...summarize(state), slot, result };
  });
}

/**
 * Runs the load generator against the router (not locked: it changes nothing).
 * @param {string} dir
 * @param {{ rps: number, durationMs: number, maxRequests?: number, path?: string }} options
 */
export async function labLoad(dir, options) {
  const state = await requireUp(dir);
  const path = options.path ?? "/api/work";
  if (!path.startsWith("/")) throw new LabUsageError(`--path must start with /, got ${path}`);
  const result = await startLoad({
    url: `${state.url}${path}`,
    rps: options.rps,
    durationMs: options.durationMs,
    maxRequests: options.maxRequests,
  }).done;
  return { url: `${state.url}${path}`, ...result };
}
