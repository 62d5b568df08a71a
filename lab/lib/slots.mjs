// @ts-check
// The slots' instances and the router's weights, each change recorded in the lab's state at once.
import { join } from "node:path";
import { setWeights } from "./nginx.mjs";
import { isLabProcess } from "./processes.mjs";
import { SERVICE_SCRIPT, startService, stopServicePid } from "./service.mjs";
import { SLOTS, otherSlot, writeState } from "./state.mjs";
import { LabUsageError } from "./usage-error.mjs";

/** @typedef {import("./state.mjs").LabState} LabState */
/** @typedef {import("./state.mjs").Slot} Slot */
/** @typedef {import("./state.mjs").SlotState} SlotState */

/** @param {SlotState} slot */
export const slotRunning = (slot) => isLabProcess(slot.pid, SERVICE_SCRIPT);

/** @param {LabState} state @param {Slot} slot */
const logFile = (state, slot) => join(state.dir, "logs", `${slot}.log`);

/**
 * Stops the slot's instance (draining it) and starts `version` on the slot's port.
 * @param {LabState} state
 * @param {Slot} slot
 * @param {string} version normalised
 * @param {SlotState["overrides"]} overrides
 */
export async function replaceInstance(state, slot, version, overrides) {
  const current = state.slots[slot];
  await stopServicePid(current.pid);
  current.pid = null;
  current.version = null;
  await writeState(state);
  const instance = await startService({
    version,
    slot,
    port: current.port,
    ...overrides,
    logFile: logFile(state, slot),
    detached: true,
  });
  state.slots[slot] = {
    port: current.port,
    pid: instance.pid,
    version: instance.version,
    overrides,
    startedAt: new Date().toISOString(),
  };
  await writeState(state);
}

/**
 * Applies weights through nginx (resolving once no old worker remains) and records them.
 * @param {LabState} state
 * @param {Record<Slot, number>} weights
 */
export async function applyWeights(state, weights) {
  for (const slot of SLOTS) {
    if (weights[slot] > 0 && !slotRunning(state.slots[slot])) {
      throw new LabUsageError(
        `slot ${slot} has no running instance, so it cannot take ${weights[slot]}% of traffic; deploy it first`,
      );
    }
  }
  await setWeights({
    dir: state.nginx.prefix,
    port: state.nginx.port,
    upstream: upstream(state, weights),
  });
  state.weights = { ...weights };
  await writeState(state);
}

/**
 * The router's servers: each slot's port with its weight.
 * @param {LabState} state
 * @param {Record<Slot, number>} weights
 */
export const upstream = (state, weights) =>
  SLOTS.map((name) => ({ name, port: state.slots[name].port, weight: weights[name] }));

/** @param {Slot} slot @param {number} weight @returns {Record<Slot, number>} */
export const splitTraffic = (slot, weight) =>
  slot === "blue" ? { blue: weight, green: 100 - weight } : { blue: 100 - weight, green: weight };

/**
 * Refuses to take down a slot that carries traffic, unless forced.
 * @param {LabState} state
 * @param {Slot} slot
 * @param {boolean | undefined} force
 * @param {string} remedy what the caller can do instead
 */
export function refuseIfCarrying(state, slot, force, remedy) {
  if (state.weights[slot] > 0 && !force)
    throw new LabUsageError(`slot ${slot} carries ${state.weights[slot]}% of traffic; ${remedy}`);
}

/**
 * Stops the slot's instance and records the slot as idle.
 * @param {LabState} state
 * @param {Slot} slot
 */
export async function stopSlot(state, slot) {
  const result = await stopServicePid(state.slots[slot].pid);
  state.slots[slot] = { ...state.slots[slot], pid: null, version: null, startedAt: null };
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
  await stopSlot(state, other);
  return other;
}
