#!/usr/bin/env node
// @ts-check
// The demo service's command line: `node lab/service.mjs --port P --version V [--slot blue]`.
// Prints {"event":"listening",...} on stdout when ready; drains in-flight requests on SIGTERM.
import { parseArgs } from "node:util";
import { createDemoService } from "./lib/demo-service.mjs";
import { VERSIONS_FILE, parseVersion, versionBehaviour } from "./lib/versions.mjs";

/** @typedef {import("./lib/versions.mjs").Behaviour} Behaviour */

const USAGE = `usage: node lab/service.mjs --version V [--port P] [--slot NAME] [--host 127.0.0.1]
       [--error-rate 0..1] [--latency-ms MS] [--latency-jitter-ms MS] [--versions-file FILE]
Error rate and latency default to the version's entry in lab/versions.yml; LAB_ERROR_RATE,
LAB_LATENCY_MS and LAB_LATENCY_JITTER_MS override it, and the flags override those.
SHIPGATE_DRILL=1 (a recovery drill's fault switch, set by deploy for a drill's faulty build)
fails at least LAB_DRILL_ERROR_RATE (default 0.25) of the traffic requests; /healthz stays UP,
so it is the canary gate, not the health check, that must catch it.`;

/** The share of traffic requests a drill's faulty build fails unless LAB_DRILL_ERROR_RATE says. */
const DRILL_ERROR_RATE = 0.25;

/**
 * @param {string | undefined} flag
 * @param {string | undefined} env
 * @param {string} name
 * @param {number} fallback
 * @param {number} max
 */
function numberSetting(flag, env, name, fallback, max) {
  const raw = flag ?? env;
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max)
    throw new Error(`${name}: expected a number from 0 to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Each behaviour setting's flag, its variable, and its upper bound. */
const SETTINGS = /** @type {const} */ ([
  ["errorRate", "error-rate", "LAB_ERROR_RATE", 1],
  ["latencyMs", "latency-ms", "LAB_LATENCY_MS", 60_000],
  ["latencyJitterMs", "latency-jitter-ms", "LAB_LATENCY_JITTER_MS", 60_000],
]);

/**
 * The version's behaviour with the LAB_* variables and then the flags laid over it.
 * @param {Record<string, string | boolean | undefined>} values the parsed flags
 * @param {Behaviour} base from versions.yml
 * @returns {Behaviour}
 */
function behaviour(values, base) {
  const entries = SETTINGS.map(([key, flag, variable, max]) => {
    const given = /** @type {string | undefined} */ (values[flag]);
    return [key, numberSetting(given, process.env[variable], `--${flag}`, base[key], max)];
  });
  return /** @type {Behaviour} */ (Object.fromEntries(entries));
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      version: { type: "string" },
      slot: { type: "string", default: "blue" },
      "error-rate": { type: "string" },
      "latency-ms": { type: "string" },
      "latency-jitter-ms": { type: "string" },
      "versions-file": { type: "string", default: VERSIONS_FILE },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const version = parseVersion(values.version);
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(values.slot))
    throw new Error(`--slot: expected a short lower-case name, got ${JSON.stringify(values.slot)}`);
  const port = numberSetting(values.port, undefined, "--port", 0, 65535);
  if (!Number.isInteger(port)) throw new Error(`--port: expected an integer, got ${values.port}`);
  const base = await versionBehaviour(version, values["versions-file"]);
  const drill = process.env.SHIPGATE_DRILL === "1";
  const settings = behaviour(values, base);
  if (drill) {
    const rate = numberSetting(
      undefined,
      process.env.LAB_DRILL_ERROR_RATE,
      "LAB_DRILL_ERROR_RATE",
      DRILL_ERROR_RATE,
      1,
    );
    settings.errorRate = Math.max(settings.errorRate, rate);
  }
  const service = createDemoService({ version, slot: values.slot, drill, ...settings });
  service.server.listen(port, values.host, () => {
    const address = service.server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    console.log(
      JSON.stringify({
        event: "listening",
        port: bound,
        version,
        slot: values.slot,
        ...(drill ? { drill: true, errorRate: settings.errorRate } : {}),
        pid: process.pid,
      }),
    );
  });
  service.server.on("error", (error) => {
    console.error(`service: ${error.message}`);
    process.exit(1);
  });
  let stopping = false;
  const stop = (/** @type {string} */ signal) => {
    if (stopping) return;
    stopping = true;
    console.error(`service: ${signal}, draining in-flight requests`);
    service.shutdown().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((/** @type {unknown} */ error) => {
  console.error(`service: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
});
