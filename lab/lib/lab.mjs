// @ts-check
// The lab's operations over its state directory: up, down, the deploy hooks, status and load, for
// a slot lab (blue and green) and a fleet (N named instances that all serve traffic) alike.
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { appendEvent, clearEvents } from "./events.mjs";
import { checkWeights, equalWeights, parseInstanceNames } from "./fleet.mjs";
import {
  applyWeights,
  instanceRunning,
  named,
  refuseIfCarrying,
  replaceInstance,
  splitTraffic,
  stopInstance,
  stopOtherSlot,
  upstream,
} from "./instances.mjs";
import { startLoad } from "./load.mjs";
import { startNginx, stopNginx } from "./nginx.mjs";
import { freePort, isLabProcess } from "./processes.mjs";
import { startPrometheus, stopPrometheusPid } from "./prometheus.mjs";
import { stopServicePid } from "./service.mjs";
import {
  SLOTS,
  instanceNames,
  instanceOf,
  liveSlot,
  otherSlot,
  readState,
  withLock,
  writeState,
} from "./state.mjs";
import { LabUsageError } from "./usage-error.mjs";
import { parseVersion } from "./versions.mjs";

export { LabUsageError };

/** @typedef {import("./state.mjs").LabState} LabState */
/** @typedef {import("./state.mjs").LabMode} LabMode */
/** @typedef {import("./state.mjs").Slot} Slot */
/** @typedef {import("./state.mjs").InstanceState} InstanceState */

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

/** @typedef {SlotSummary & { name: string, url: string }} InstanceSummary */

/**
 * @typedef {object} LabSummary what every operation reports
 * @property {LabMode} mode
 * @property {string} url the traffic entry point
 * @property {string} prometheus the Prometheus base URL
 * @property {Slot | null} live the live slot; null in fleet mode
 * @property {Record<string, number>} weights by instance, in order
 * @property {InstanceSummary[]} instances in order (blue and green in slot mode)
 * @property {Record<Slot, SlotSummary>} [slots] slot mode only: blue and green by name
 */

/** @param {LabState} state @returns {LabSummary} */
export function summarize(state) {
  const instances = instanceNames(state).map((name) => {
    const instance = instanceOf(state, name);
    return {
      name,
      url: `http://127.0.0.1:${instance.port}`,
      port: instance.port,
      version: instance.version,
      running: instanceRunning(instance),
      weight: state.weights[name] ?? 0,
    };
  });
  /** @type {LabSummary} */
  const summary = {
    mode: state.mode,
    url: state.url,
    prometheus: state.prometheus.url,
    live: state.live,
    weights: { ...state.weights },
    instances,
  };
  if (state.mode === "slots") {
    /** @param {Slot} name @returns {SlotSummary} */
    const slot = (name) => {
      const { port, version, running, weight } = /** @type {InstanceSummary} */ (
        instances.find((instance) => instance.name === name)
      );
      return { port, version, running, weight };
    };
    summary.slots = { blue: slot("blue"), green: slot("green") };
  }
  return summary;
}

/** @param {string} dir */
async function requireUp(dir) {
  const state = await readState(dir);
  if (!state || !isLabProcess(state.nginx.pid, "nginx"))
    throw new LabUsageError(`the lab is not up in ${resolve(dir)}; run \`lab up\` first`);
  return state;
}

/**
 * Slot mode's commands (promote, rollback) refuse a fleet: deploy drives a fleet with the deploy and
 * traffic hooks only.
 * @param {LabState} state
 * @param {string} command
 */
function requireSlots(state, command) {
  if (state.mode !== "slots")
    throw new LabUsageError(
      `${command}: this lab is a fleet (${instanceNames(state).join(", ")}), which has no live ` +
        "slot; use `traffic --weights` and `deploy --instance`",
    );
}

/** @param {LabState} state */
async function stopAll(state) {
  /** @type {Record<string, string>} */
  const stopped = {};
  stopped.nginx = await stopNginx(state.nginx.prefix);
  state.nginx.pid = null;
  for (const [name, instance] of Object.entries(state.instances)) {
    stopped[name] = await stopServicePid(instance.pid);
    instance.pid = null;
    instance.version = null;
  }
  stopped.prometheus = await stopPrometheusPid(state.prometheus.pid);
  state.prometheus.pid = null;
  return stopped;
}

/**
 * @typedef {object} UpOptions
 * @property {string} [version] what the first instances run (1.0.0)
 * @property {string} [scrapeInterval] Prometheus's (1s)
 * @property {string | string[]} [instances] a fleet's instance names (`vm1,vm2,vm3`); without
 *   them, a slot lab
 */

/**
 * Slot mode: starts nginx, Prometheus (scraping both slot ports) and the blue slot with `version`,
 * all traffic to blue. Fleet mode (`instances`): one process per instance with `version`, traffic
 * split equally (34/33/33), Prometheus scraping every instance. A new lab starts a new event log.
 * If the lab is already up in `dir` as asked, reports it and starts nothing.
 * @param {string} dir
 * @param {UpOptions} [options]
 * @returns {Promise<LabSummary & { alreadyUp: boolean, dir: string }>}
 */
export function labUp(dir, options = {}) {
  const version = usageVersion(options.version ?? "1.0.0");
  const fleet = options.instances === undefined ? undefined : parseInstanceNames(options.instances);
  return withLock(dir, async () => {
    const existing = await readState(dir);
    if (existing && isLabProcess(existing.nginx.pid, "nginx")) {
      refuseOtherShape(existing, fleet);
      return { ...summarize(existing), alreadyUp: true, dir: existing.dir };
    }
    if (existing) await stopAll(existing);

    const root = resolve(dir);
    await mkdir(join(root, "logs"), { recursive: true });
    await clearEvents(root);
    const names = fleet ?? [...SLOTS];
    const ports = await distinctFreePorts(2 + names.length);
    const state = initialState(root, fleet ? "fleet" : "slots", names, ports);
    state.environment = existing?.environment ?? null;
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

/**
 * A lab already up is reported as it is, but not when it is not the lab asked for.
 * @param {LabState} existing
 * @param {string[] | undefined} fleet
 */
function refuseOtherShape(existing, fleet) {
  const names = instanceNames(existing);
  const asked = fleet ? `a fleet of ${fleet.join(", ")}` : "a slot lab";
  const running =
    existing.mode === "fleet" ? `a fleet of ${names.join(", ")}` : "a slot lab (blue and green)";
  const same =
    existing.mode === (fleet ? "fleet" : "slots") &&
    (!fleet || fleet.join(",") === names.join(","));
  if (!same)
    throw new LabUsageError(
      `${existing.dir} already runs ${running}, not ${asked}; run \`lab down\` first`,
    );
}

/**
 * `count` distinct ports: nginx, Prometheus, then one per instance (the kernel may offer one twice).
 * @param {number} count
 */
async function distinctFreePorts(count) {
  /** @type {number[]} */
  const ports = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/**
 * The state of a lab about to start: every port fixed, nothing running yet. Slot mode gives blue
 * all traffic; a fleet shares it equally.
 * @param {string} root
 * @param {LabMode} mode
 * @param {string[]} names the instances
 * @param {number[]} ports nginx, Prometheus, then the instances'
 * @returns {LabState}
 */
function initialState(root, mode, names, [nginxPort = 0, prometheusPort = 0, ...instancePorts]) {
  /** @param {number} port @returns {InstanceState} */
  const idle = (port) => ({ port, pid: null, version: null, overrides: {}, startedAt: null });
  return {
    schema: 1,
    mode,
    dir: root,
    url: `http://127.0.0.1:${nginxPort}`,
    live: mode === "slots" ? "blue" : null,
    weights: mode === "slots" ? { blue: 100, green: 0 } : equalWeights(names),
    nginx: { port: nginxPort, pid: null, prefix: join(root, "nginx") },
    prometheus: {
      port: prometheusPort,
      pid: null,
      url: `http://127.0.0.1:${prometheusPort}`,
      dir: join(root, "prometheus"),
    },
    instances: Object.fromEntries(names.map((name, i) => [name, idle(instancePorts[i] ?? 0)])),
    environment: null,
    updatedAt: "",
  };
}

/**
 * Starts the instances that take traffic at first (blue; every fleet instance), then nginx, then
 * Prometheus, recording each pid as soon as it runs so that a failure part-way can stop what did
 * start. The first weights are logged once nginx serves them.
 * @param {LabState} state
 * @param {string} version
 * @param {string} scrapeInterval
 */
async function startServers(state, version, scrapeInterval) {
  for (const name of instanceNames(state)) {
    if ((state.weights[name] ?? 0) > 0) await replaceInstance(state, name, version, {});
  }
  const nginx = await startNginx({
    dir: state.nginx.prefix,
    port: state.nginx.port,
    detached: true,
    upstream: upstream(state, state.weights),
  });
  state.nginx.pid = nginx.pid;
  await writeState(state);
  await appendEvent(state.dir, { type: "weights", weights: { ...state.weights } });
  const prometheus = await startPrometheus({
    dir: state.prometheus.dir,
    port: state.prometheus.port,
    detached: true,
    scrapeInterval,
    targets: instanceNames(state).map((name) => ({
      target: `127.0.0.1:${instanceOf(state, name).port}`,
      job: "demo",
      labels: { slot: name },
    })),
  });
  state.prometheus.pid = prometheus.pid;
  await writeState(state);
}

/**
 * Stops everything: nginx gracefully (`-s quit`), then every instance and Prometheus with SIGTERM.
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
 * The state file with whether each recorded process is still running (a slot lab's instances also
 * as `slots`, as before fleet mode).
 * @param {string} dir
 */
export async function labStatus(dir) {
  const state = await readState(dir);
  if (!state) return { up: false, dir: resolve(dir) };
  /** @type {Record<string, boolean>} */
  const running = {
    nginx: isLabProcess(state.nginx.pid, "nginx"),
    prometheus: isLabProcess(state.prometheus.pid, "prometheus"),
  };
  for (const [name, instance] of Object.entries(state.instances))
    running[name] = instanceRunning(instance);
  return {
    up: running.nginx,
    ...state,
    ...(state.mode === "slots" ? { slots: state.instances } : {}),
    running,
  };
}

/**
 * Every instance with its own address, in order: what `lab instances` prints.
 * @param {string} dir
 * @returns {Promise<{ name: string, url: string }[]>}
 */
export async function labInstances(dir) {
  const state = await requireUp(dir);
  return summarize(state).instances.map(({ name, url }) => ({ name, url }));
}

/**
 * The weights in force, by instance in order: what `lab weights` prints.
 * @param {string} dir
 * @returns {Promise<Record<string, number>>}
 */
export async function labWeights(dir) {
  return { ...(await requireUp(dir)).weights };
}

/**
 * Whether the lab up in `dir` is a slot lab or a fleet.
 * @param {string} dir
 * @returns {Promise<LabMode>}
 */
export async function labMode(dir) {
  return (await requireUp(dir)).mode;
}

/**
 * @param {LabState} state
 * @param {string | undefined} environment
 */
function noteEnvironment(state, environment) {
  if (environment) state.environment = environment;
}

/**
 * The instance a command names: `instance` (fleet mode, or either mode) else `slot` (slot mode).
 * @param {LabState} state
 * @param {{ instance?: string, slot?: string }} options
 */
function targetOf(state, options) {
  const name = options.instance ?? options.slot;
  if (name === undefined)
    throw new LabUsageError(
      state.mode === "slots"
        ? "--slot (or SHIPGATE_SLOT) is required (blue or green)"
        : `--instance (or SHIPGATE_INSTANCE) is required (${instanceNames(state).join(", ")})`,
    );
  if (state.mode === "fleet" && options.instance === undefined)
    throw new LabUsageError(`this lab is a fleet: name the instance with --instance, not --slot`);
  instanceOf(state, name);
  return name;
}

/**
 * @typedef {object} DeployOptions
 * @property {string} [instance] the instance to (re)start (`--instance`, either mode)
 * @property {string} [slot] the slot to (re)start (`--slot`, slot mode)
 * @property {string} version
 * @property {boolean} [force] even if it carries traffic
 * @property {string} [environment]
 */

/**
 * (Re)starts an instance with `version` on its port and waits for /healthz. Refuses one that
 * carries traffic unless `force` (an in-place restart then drops its share briefly): a slot lab
 * deploys to the idle slot, a fleet takes the instance out of traffic first.
 * @param {string} dir
 * @param {DeployOptions & InstanceState["overrides"]} options
 */
export function labDeploy(dir, options) {
  const version = usageVersion(options.version);
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    const name = targetOf(state, options);
    const slotMode = state.mode === "slots";
    refuseIfCarrying(
      state,
      name,
      options.force,
      slotMode
        ? `deploy to the idle slot ${otherSlot(/** @type {Slot} */ (name))}, move traffic off ` +
            `${name} first, or pass --force`
        : `take it out of traffic first (traffic --weights with ${name}=0), or pass --force`,
    );
    /** @type {InstanceState["overrides"]} */
    const overrides = {};
    if (options.errorRate !== undefined) overrides.errorRate = options.errorRate;
    if (options.latencyMs !== undefined) overrides.latencyMs = options.latencyMs;
    if (options.latencyJitterMs !== undefined) overrides.latencyJitterMs = options.latencyJitterMs;
    const previousVersion = instanceOf(state, name).version;
    const weightAtDeploy = state.weights[name] ?? 0;
    noteEnvironment(state, options.environment);
    await replaceInstance(state, name, version, overrides);
    const url = `http://127.0.0.1:${instanceOf(state, name).port}`;
    return {
      ...summarize(state),
      ...(slotMode ? { slot: name, slotUrl: url } : {}),
      instance: name,
      instanceUrl: url,
      version,
      previousVersion,
      weightAtDeploy,
    };
  });
}

/**
 * @typedef {{ slot: Slot, weight: number } | { weights: Record<string, number>, from?: string }} TrafficOptions
 *   a slot lab's `weight`% to `slot` and the rest to the other slot; or every instance's weight
 *   (either mode; an instance not named gets 0)
 */

/**
 * Moves traffic; resolves once nginx has reloaded and no old worker remains, so an instance whose
 * weight became 0 gets no more requests (it is drained).
 * @param {string} dir
 * @param {TrafficOptions & { environment?: string }} options
 */
export function labTraffic(dir, options) {
  if ("slot" in options) {
    const { weight } = options;
    if (!Number.isInteger(weight) || weight < 0 || weight > 100)
      throw new LabUsageError(`weight must be an integer from 0 to 100, got ${weight}`);
  }
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    let weights;
    if ("slot" in options) {
      if (state.mode !== "slots")
        throw new LabUsageError(
          "this lab is a fleet: set every instance's weight with --weights name=weight,... " +
            "(or SHIPGATE_WEIGHTS)",
        );
      weights = splitTraffic(options.slot, options.weight);
    } else {
      weights = checkWeights(instanceNames(state), options.weights, options.from ?? "weights");
    }
    noteEnvironment(state, options.environment);
    await applyWeights(state, weights);
    const asked = "slot" in options ? { slot: options.slot, weight: options.weight } : {};
    return { ...summarize(state), ...asked };
  });
}

/**
 * Makes `slot` the live slot with all traffic; with `stopOther`, then stops the other slot (after
 * the reload completed, so it no longer receives requests). Slot mode only.
 * @param {string} dir
 * @param {{ slot: Slot, stopOther?: boolean, environment?: string }} options
 */
export function labPromote(dir, options) {
  const { slot } = options;
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    requireSlots(state, "promote");
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
 * Slot mode only.
 * @param {string} dir
 * @param {{ stopOther?: boolean, previousVersion?: string, environment?: string }} [options]
 */
export function labRollback(dir, options = {}) {
  const previousVersion =
    options.previousVersion === undefined ? undefined : usageVersion(options.previousVersion);
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    requireSlots(state, "rollback");
    noteEnvironment(state, options.environment);
    const live = liveSlot(state);
    let redeployed = false;
    const current = instanceOf(state, live);
    const wanted = previousVersion ?? current.version;
    if (!wanted)
      throw new LabUsageError(
        `the live slot ${live} runs nothing and no previous version was given ` +
          "(--version or SHIPGATE_PREVIOUS_VERSION)",
      );
    if (!instanceRunning(current) || current.version !== wanted) {
      const overrides = current.version === wanted ? current.overrides : {};
      await replaceInstance(state, live, wanted, overrides);
      redeployed = true;
    }
    await applyWeights(state, splitTraffic(live, 100));
    const stopped = options.stopOther ? await stopOtherSlot(state, live) : null;
    return { ...summarize(state), rolledBackTo: live, version: wanted, redeployed, stopped };
  });
}

/**
 * Stops an instance's process; refuses one that carries traffic unless `force`.
 * @param {string} dir
 * @param {{ slot?: string, instance?: string, force?: boolean, environment?: string }} options
 */
export function labStop(dir, options) {
  return withLock(dir, async () => {
    const state = await requireUp(dir);
    const name = targetOf(state, options);
    refuseIfCarrying(state, name, options.force, "move traffic off it first, or pass --force");
    noteEnvironment(state, options.environment);
    const result = await stopInstance(state, name);
    const which = state.mode === "slots" ? { slot: name } : { instance: name };
    return { ...summarize(state), ...which, result, stopped: named(state, name) };
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
