// @ts-check
// DIR/events.jsonl: every weight change and every instance (re)deploy, one JSON line each, so a test
// can prove afterwards that capacity never fell below a floor and that no instance got a version
// while it carried traffic.
import { appendFile, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";

/**
 * @typedef {object} WeightsEvent the weights in force from `at` on (nginx has reloaded by then)
 * @property {string} at ISO time
 * @property {"weights"} type
 * @property {Record<string, number>} weights every instance's percentage, in the lab's order
 */

/**
 * @typedef {object} DeployEvent an instance (re)started with a version
 * @property {string} at ISO time
 * @property {"deploy"} type
 * @property {string} instance
 * @property {string} version
 * @property {number} weightAtDeploy the instance's weight while it was replaced (0 unless forced)
 */

/** @typedef {WeightsEvent | DeployEvent} LabEvent */

/** @param {string} dir the lab's state directory */
export const eventsFile = (dir) => join(resolve(dir), "events.jsonl");

/**
 * Appends one event, stamped now. Callers hold the state lock, so lines never interleave.
 * @param {string} dir
 * @param {Omit<WeightsEvent, "at"> | Omit<DeployEvent, "at">} event
 */
export async function appendEvent(dir, event) {
  await appendFile(
    eventsFile(dir),
    `${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`,
  );
}

/** A new lab starts a new history. @param {string} dir */
export const clearEvents = (dir) => rm(eventsFile(dir), { force: true });

/**
 * The history of the lab in `dir`, oldest first; empty when there is none.
 * @param {string} dir
 * @returns {Promise<LabEvent[]>}
 */
export async function readEvents(dir) {
  const text = await readFile(eventsFile(dir), "utf8").catch(
    (/** @type {NodeJS.ErrnoException} */ error) => {
      if (error.code === "ENOENT") return "";
      throw error;
    },
  );
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

/**
 * The fewest instances that carried traffic (weight > 0) at any point of the history: over every
 * weights event, the count of non-zero weights. 0 when there is no weights event.
 * @param {LabEvent[]} events
 */
export function minServing(events) {
  const counts = events
    .filter((event) => event.type === "weights")
    .map((event) => Object.values(event.weights).filter((weight) => weight > 0).length);
  return counts.length === 0 ? 0 : Math.min(...counts);
}
