// @ts-check
// Versions of the demo service: strict semver parsing and each version's behaviour from versions.yml.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { parse } from "yaml";

export const VERSIONS_FILE = fileURLToPath(new URL("../versions.yml", import.meta.url));

/**
 * @typedef {object} Behaviour how a version answers traffic requests
 * @property {number} errorRate share of traffic requests answered with HTTP 500, 0..1
 * @property {number} latencyMs mean added latency of a traffic request
 * @property {number} latencyJitterMs spread of that latency, +/- (deterministic, not random)
 */

/**
 * Normalises a version ("v1.2.0" -> "1.2.0"); throws on anything that is not strict semver, so
 * nothing else (spaces, shell syntax, ranges) can travel on as a version.
 * @param {unknown} input
 * @returns {string}
 */
export function parseVersion(input) {
  const text = typeof input === "string" ? input : "";
  const valid = /^v?\d/.test(text) && !/\s/.test(text) ? semver.valid(text) : null;
  if (!valid)
    throw new Error(
      `version ${JSON.stringify(input)} is not a semantic version (like 1.2.0 or v1.2.0)`,
    );
  return valid;
}

/**
 * @param {unknown} value
 * @param {string} path
 * @param {number} max
 */
function number(value, path, max) {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max) {
    throw new Error(`${path}: expected a number from 0 to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * @param {unknown} raw
 * @param {string} path
 * @param {Behaviour} fallback
 * @returns {Behaviour}
 */
function behaviour(raw, path, fallback) {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== "object") throw new Error(`${path}: expected a mapping`);
  const record = /** @type {Record<string, unknown>} */ (raw);
  for (const key of Object.keys(record)) {
    if (!["errorRate", "latencyMs", "latencyJitterMs"].includes(key))
      throw new Error(`${path}.${key}: unknown setting`);
  }
  return {
    errorRate:
      record.errorRate === undefined
        ? fallback.errorRate
        : number(record.errorRate, `${path}.errorRate`, 1),
    latencyMs:
      record.latencyMs === undefined
        ? fallback.latencyMs
        : number(record.latencyMs, `${path}.latencyMs`, 60_000),
    latencyJitterMs:
      record.latencyJitterMs === undefined
        ? fallback.latencyJitterMs
        : number(record.latencyJitterMs, `${path}.latencyJitterMs`, 60_000),
  };
}

/**
 * The behaviour of `version` as versions.yml describes it (its `default` for unlisted versions).
 * @param {string} version a normalised version
 * @param {string} [file]
 * @returns {Promise<Behaviour>}
 */
export async function versionBehaviour(version, file = VERSIONS_FILE) {
  const doc = /** @type {{ default?: unknown, versions?: Record<string, unknown> } | null} */ (
    parse(await readFile(file, "utf8"))
  );
  const fallback = behaviour(doc?.default, `${file} default`, {
    errorRate: 0,
    latencyMs: 15,
    latencyJitterMs: 5,
  });
  return behaviour(doc?.versions?.[version], `${file} versions.${version}`, fallback);
}
