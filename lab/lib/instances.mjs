// @ts-check
// The lab's instances (blue and green, or a fleet's) and the router's weights: each change recorded
// in the lab's state at once, and in its event log.
import { join } from "node:path";
import { appendEvent } from "./events.mjs";
import { setWeights } from "./nginx.mjs";
import { isLabProcess } from "./processes.mjs";
import { SERVICE_SCRIPT, startService, stopServicePid } from "./service.mjs";
import { instanceNames, instanceOf, otherSlot, writeState } from "./state.mjs";
import { LabUsageError } from "./usage-error.mjs";

/** @typedef {import("./state.mjs").LabState} LabState */
/** @typedef {import("./state.mjs").Slot} Slot */
/** @typedef {import("./state.mjs").InstanceState} InstanceState */

/** @param {InstanceState} instance */
export const instanceRunning = (instance) => isLabProcess(instance.pid, SERVICE_SCRIPT);

/** How messages name an instance: "slot blue" or "instance vm1". @param {LabState} state @param {string} name */
export const named = (state, name) => `${state.mode === "slots" ? "slot" : "instance"} ${name}`;

/** @param {LabState} state @param {string} name */
const logFile = (state, name) => join(state.dir, "logs", `${name}.log`);

/**
 * Stops the instance's process (draining it) and starts `version` on the instance's port, which
 * reports `name` as its slot label. Logged as a deploy event with the weight it had meanwhile
 * (0 before nginx runs: nothing can reach it then).
 * @param {LabState} state
 * @param {string} name
 * @param {string} version normalised
 * @param {InstanceState["overrides"]} overrides
 */
export async function replaceInstance(state, name, version, overrides) {
  const current = instanceOf(state, name);
  const routed = isLabProcess(state.nginx.pid, "nginx");
  const weightAtDeploy = routed ? (state.weights[name] ?? 0) : 0;
  await stopServicePid(current.pid);
  current.pid = null;
  current.version = null;
  await writeState(state);
  const instance = await startService({
    version,
    slot: name,
    port: current.port,
    ...overrides,
    logFile: logFile(state, name),
    detached: true,
  });
  state.instances[name] = {
    port: current.port,
    pid: instance.pid,
    version: instance.version,
    overrides,
    startedAt: new Date().toISOString(),
  };
  await writeState(state);
  await appendEvent(state.dir, {
    type: "deploy",
    instance: name,
    version: instance.version,
    weightAtDeploy,
  });
}

/**
 * Applies weights (every instance's, in the lab's order) through nginx, resolving once no old
 * worker remains, and records them in the state and the event log.
 * @param {LabState} state
 * @param {Record<string, number>} weights
 */
export async function applyWeights(state, weights) {
  for (const name of instanceNames(state)) {
    const weight = weights[name] ?? 0;
    if (weight > 0 && !instanceRunning(instanceOf(state, name))) {
      const what = state.mode === "slots" ? "instance" : "process";
      throw new LabUsageError(
        `${named(state, name)} has no running ${what}, so it cannot take ${weight}% of traffic; deploy it first`,
      );
    }
  }
  await setWeights({
    dir: state.nginx.prefix,
    port: state.nginx.port,
    upstream: upstream(state, weights),
  });
  state.weights = Object.fromEntries(
    instanceNames(state).map((name) => [name, weights[name] ?? 0]),
  );
  await writeState(state);
  await appendEvent(state.dir, { type: "weights", weights: { ...state.weights } });
}

/**
 * The router's servers: each instance's port with its weight.
 * @param {LabState} state
 * @param {Record<string, number>} weights
 */
export const upstream = (state, weights) =>
  instanceNames(state).map((name) => ({
    name,
    port: instanceOf(state, name).port,
    weight: weights[name] ?? 0,
  }));

/** @param {Slot} slot @param {number} weight @returns {Record<Slot, number>} */
export const splitTraffic = (slot, weight) =>
  slot === "blue" ? { blue: weight, green: 100 - weight } : { blue: 100 - weight, green: weight };

/**
 * Refuses to take down an instance that carries traffic, unless forced.
 * @param {LabState} state
 * @param {string} name
 * @param {boolean | undefined} force
 * @param {string} remedy what the caller can do instead
 */
export function refuseIfCarrying(state, name, force, remedy) {
  const weight = state.weights[name] ?? 0;
  if (weight > 0 && !force)
    throw new LabUsageError(`${named(state, name)} carries ${weight}% of traffic; ${remedy}`);
}

/**
 * Stops the instance's process and records the instance as idle.
 * @param {LabState} state
 * @param {string} name
 */
export async function stopInstance(state, name) {
  const instance = instanceOf(state, name);
  const result = await stopServicePid(instance.pid);
  state.instances[name] = { ...instance, pid: null, version: null, startedAt: null };
  await writeState(state);
  return result;
}

/**
 * Stops the slot other than `slot`; called once the reload completed, so it gets no more requests.
 * @param {LabState} state
 * @param {Slot} slot
 * @returns {Promise<Slot>} the slot stopped
 */
export async function stopOtherSlot(state, slot) {
  const other = otherSlot(slot);
  await stopInstance(state, other);
  return other;
}
