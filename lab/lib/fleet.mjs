// @ts-check
// Fleet mode's rules: instance names, the equal split at `up`, and a weights map checked against
// the lab's instances.
import { INSTANCE_NAME } from "./state.mjs";
import { LabUsageError } from "./usage-error.mjs";

/** More would leave some instance without a share of an integer 100. */
export const MAX_INSTANCES = 20;

/**
 * The fleet's instance names from `--instances vm1,vm2,vm3` (or a list), checked: at least one, at
 * most MAX_INSTANCES, each a short lower-case name, no repeats.
 * @param {string | string[]} input
 * @returns {string[]}
 */
export function parseInstanceNames(input) {
  const names = (Array.isArray(input) ? input : input.split(",")).map((name) => name.trim());
  if (names.length === 0 || names.every((name) => name === ""))
    throw new LabUsageError("--instances: expected a comma-separated list of names, got nothing");
  if (names.length > MAX_INSTANCES)
    throw new LabUsageError(`--instances: at most ${MAX_INSTANCES} instances, got ${names.length}`);
  for (const name of names) {
    if (!INSTANCE_NAME.test(name))
      throw new LabUsageError(
        `--instances: ${JSON.stringify(name)} is not an instance name ` +
          "(a lower-case letter, then up to 31 lower-case letters, digits or '-')",
      );
  }
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new LabUsageError(`--instances: ${repeated} is listed twice`);
  return names;
}

/**
 * 100 shared as evenly as integers allow, by largest remainder: the first `100 % n` instances get
 * one more (3 instances: 34, 33, 33).
 * @param {string[]} names
 * @returns {Record<string, number>}
 */
export function equalWeights(names) {
  const base = Math.floor(100 / names.length);
  const extra = 100 - base * names.length;
  return Object.fromEntries(names.map((name, i) => [name, base + (i < extra ? 1 : 0)]));
}

/**
 * Weights as the CLI takes them: `vm1=0,vm2=50,vm3=50`, or a JSON object `{"vm1":0,...}` (either
 * may come from SHIPGATE_WEIGHTS). Only the form is checked here; `checkWeights` checks them
 * against the lab.
 * @param {string} text
 * @param {string} from where the text came from, for messages
 * @returns {Record<string, number>}
 */
export function parseWeights(text, from) {
  const bad = (/** @type {string} */ why) =>
    new LabUsageError(`${from}: ${why} (expected name=weight,... such as vm1=0,vm2=50,vm3=50)`);
  /** @type {[string, unknown][]} */
  let pairs;
  if (text.trim().startsWith("{")) {
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw bad("not a JSON object");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw bad("not a JSON object");
    pairs = Object.entries(parsed);
  } else {
    pairs = text
      .split(",")
      .filter((part) => part.trim() !== "")
      .map((part) => {
        const match = /^\s*([^=\s]+)\s*=\s*(\S*)\s*$/.exec(part);
        if (!match) throw bad(`${JSON.stringify(part)} is not name=weight`);
        return [
          /** @type {string} */ (match[1]),
          /^\d+$/.test(match[2] ?? "") ? Number(match[2]) : match[2],
        ];
      });
  }
  if (pairs.length === 0) throw bad("no weights given");
  /** @type {Record<string, number>} */
  const weights = {};
  for (const [name, weight] of pairs) {
    if (Object.hasOwn(weights, name)) throw bad(`${name} is given twice`);
    if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 0 || weight > 100)
      throw bad(
        `${name}: the weight must be an integer from 0 to 100, got ${JSON.stringify(weight)}`,
      );
    weights[name] = weight;
  }
  return weights;
}

/**
 * Every instance's weight, in the lab's order: the named ones as given, the others 0. Refuses a name
 * the lab lacks and weights that do not sum to 100.
 * @param {string[]} names the lab's instances
 * @param {Record<string, number>} given
 * @param {string} from where the weights came from, for messages
 * @returns {Record<string, number>}
 */
export function checkWeights(names, given, from) {
  const unknown = Object.keys(given).filter((name) => !names.includes(name));
  if (unknown.length > 0)
    throw new LabUsageError(
      `${from}: no instance ${unknown.join(", ")} in this lab (it has ${names.join(", ")})`,
    );
  const weights = Object.fromEntries(names.map((name) => [name, given[name] ?? 0]));
  const sum = Object.values(weights).reduce((total, weight) => total + weight, 0);
  if (sum !== 100)
    throw new LabUsageError(
      `${from}: the weights must sum to 100, got ${sum} (${JSON.stringify(weights)})`,
    );
  return weights;
}
