#!/usr/bin/env node
// @ts-check
// The lab's command line: `node lab/lab.mjs <command>`; the deploy hooks are its subcommands.
// Each command prints one human line on stderr and one JSON result on stdout.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseWeights } from "./lib/fleet.mjs";
import * as lab from "./lib/lab.mjs";
import { isSlot } from "./lib/state.mjs";

const { LabUsageError } = lab;

const DEFAULT_DIR = fileURLToPath(new URL("../.lab", import.meta.url));

const USAGE = `usage: node lab/lab.mjs <command> [--dir DIR] [options]
  up [--version 1.0.0] [--scrape-interval 1s]  start nginx, Prometheus and the blue slot (all traffic)
     [--instances vm1,vm2,vm3]                 or a fleet: every instance with V, traffic split equally
  down                                         stop everything the lab started
  status                                       print the state, with what is running
  instances                                    print "NAME URL" per instance, one a line
  weights                                      print the weights in force as one JSON object
  deploy --slot S --version V [--force]        (re)start slot S with version V; refuses a slot with traffic
  deploy --instance I --version V [--force]    (re)start instance I; refuses an instance with traffic
         [--error-rate R] [--latency-ms MS] [--latency-jitter-ms MS]   override lab/versions.yml
  traffic --slot S --weight W                  W% of traffic (0..100) to S, the rest to the other slot
  traffic --weights vm1=0,vm2=50,vm3=50        every instance's weight (summing to 100; unnamed: 0)
  promote --slot S [--stop-other]              S becomes the live slot with all traffic (slot mode)
  rollback [--version PREVIOUS] [--stop-other] all traffic back to the live slot (slot mode)
  stop --slot S | --instance I [--force]       stop an instance; refuses one with traffic
  load [--rps 50] [--duration 10s] [--max-requests N] [--path /api/work]
Slots are blue and green; a fleet's instances are named at up. --dir defaults to $LAB_DIR, else .lab/
at the repository root. Hooks fall back to SHIPGATE_SLOT or SHIPGATE_INSTANCE, SHIPGATE_VERSION
(deploy), SHIPGATE_PREVIOUS_VERSION (rollback), SHIPGATE_WEIGHT or SHIPGATE_WEIGHTS (traffic) and
SHIPGATE_ENVIRONMENT when the flag is not given.`;

/** @typedef {NonNullable<import("node:util").ParseArgsConfig["options"]>} Options */
/** @typedef {Record<string, string | boolean | undefined>} Values */

/**
 * One command as its handler sees it.
 * @typedef {object} Invocation
 * @property {(name: string) => string | undefined} str the value of a string option
 * @property {(name: string) => boolean} flag whether a boolean option was given
 * @property {string} dir the state directory
 * @property {string | undefined} environment SHIPGATE_ENVIRONMENT, recorded in the state
 */

/**
 * What a command prints: `result` as JSON on stdout, or `stdout` as it is (instances, weights).
 * @typedef {{ human: string, result: object } | { human: string, stdout: string }} Outcome
 */

/**
 * @typedef {object} Command
 * @property {Options} options what it accepts besides --dir and --help
 * @property {(invocation: Invocation) => Promise<Outcome>} run
 */

/** @type {{ type: "string" }} */
const STRING = { type: "string" };
/** @type {{ type: "boolean" }} */
const BOOLEAN = { type: "boolean" };

/** @type {Record<string, Command>} */
const COMMANDS = {
  up: { options: { version: STRING, "scrape-interval": STRING, instances: STRING }, run: up },
  down: { options: {}, run: down },
  status: { options: {}, run: status },
  instances: { options: {}, run: instances },
  weights: { options: {}, run: weights },
  deploy: {
    options: {
      slot: STRING,
      instance: STRING,
      version: STRING,
      force: BOOLEAN,
      "error-rate": STRING,
      "latency-ms": STRING,
      "latency-jitter-ms": STRING,
    },
    run: deploy,
  },
  traffic: { options: { slot: STRING, weight: STRING, weights: STRING }, run: traffic },
  promote: { options: { slot: STRING, "stop-other": BOOLEAN }, run: promote },
  rollback: { options: { version: STRING, "stop-other": BOOLEAN }, run: rollback },
  stop: { options: { slot: STRING, instance: STRING, force: BOOLEAN }, run: stop },
  load: {
    options: { rps: STRING, duration: STRING, "max-requests": STRING, path: STRING },
    run: load,
  },
};

async function main() {
  const { values, positionals } = parseCommandLine();
  const [command, ...extra] = positionals;
  if (command === undefined || command === "help" || values.help) {
    console.log(USAGE);
    if (command === undefined && !values.help) process.exitCode = 2;
    return;
  }
  const { run } = commandFor(command, extra, values);
  const dir =
    /** @type {string | undefined} */ (values.dir) ?? env(process.env.LAB_DIR) ?? DEFAULT_DIR;
  const outcome = await run({
    str: (name) => /** @type {string | undefined} */ (values[name]),
    flag: (name) => values[name] === true,
    dir,
    environment: env(process.env.SHIPGATE_ENVIRONMENT),
  });
  console.error(`lab: ${outcome.human}`);
  if ("stdout" in outcome) process.stdout.write(outcome.stdout);
  else console.log(JSON.stringify(outcome.result, null, 2));
}

/** Every command's options are parsed together; `commandFor` then refuses the ones it lacks. */
function parseCommandLine() {
  const allOptions = Object.assign(
    { dir: STRING, help: BOOLEAN },
    ...Object.values(COMMANDS).map((command) => command.options),
  );
  try {
    const parsed = parseArgs({
      args: process.argv.slice(2),
      options: allOptions,
      strict: true,
      allowPositionals: true,
    });
    return { values: /** @type {Values} */ (parsed.values), positionals: parsed.positionals };
  } catch (error) {
    throw new LabUsageError(/** @type {Error} */ (error).message);
  }
}

/** @param {string} command @param {string[]} extra @param {Values} values */
function commandFor(command, extra, values) {
  const found = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!found) throw new LabUsageError(`unknown command ${JSON.stringify(command)}`);
  if (extra.length > 0)
    throw new LabUsageError(`${command}: unexpected argument ${JSON.stringify(extra[0])}`);
  for (const name of Object.keys(values)) {
    if (name !== "dir" && !Object.hasOwn(found.options, name))
      throw new LabUsageError(`${command}: no option --${name}`);
  }
  return found;
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function up({ str, dir }) {
  const result = await lab.labUp(dir, {
    version: str("version"),
    scrapeInterval: str("scrape-interval"),
    instances: str("instances"),
  });
  const fleet = result.mode === "fleet";
  const what = fleet
    ? `fleet ${result.instances.map((instance) => instance.name).join(", ")}`
    : `live slot ${result.live}`;
  const runs = fleet
    ? `every instance runs ${result.instances[0]?.version}, traffic ${weightsLine(result.weights)}`
    : `blue runs ${result.slots?.blue.version}`;
  const human = result.alreadyUp
    ? `lab already up in ${result.dir}: traffic at ${result.url}, ${what}`
    : `lab up in ${result.dir}: traffic at ${result.url}, Prometheus at ${result.prometheus}, ${runs}`;
  return { human, result };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function down({ dir }) {
  const result = await lab.labDown(dir);
  return {
    human: result.wasUp
      ? `lab down: ${JSON.stringify(result.stopped)}`
      : "lab was not up; stopped what was left",
    result,
  };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function status({ dir }) {
  const result = await lab.labStatus(dir);
  return { human: result.up ? `lab up in ${dir}` : `lab not up in ${dir}`, result };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function instances({ dir }) {
  const listed = await lab.labInstances(dir);
  return {
    human: `${listed.length} instances: ${listed.map(({ name }) => name).join(", ")}`,
    stdout: listed.map(({ name, url }) => `${name} ${url}\n`).join(""),
  };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function weights({ dir }) {
  const inForce = await lab.labWeights(dir);
  return { human: `traffic ${weightsLine(inForce)}`, stdout: `${JSON.stringify(inForce)}\n` };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function deploy({ str, flag, dir, environment }) {
  const target = targetOption(str);
  const version = str("version") ?? env(process.env.SHIPGATE_VERSION);
  if (version === undefined) throw new LabUsageError("--version (or SHIPGATE_VERSION) is required");
  const latency = { min: 0, max: 60_000 };
  const result = await lab.labDeploy(dir, {
    ...target,
    version,
    force: flag("force"),
    environment,
    errorRate: numberOf(str("error-rate"), "--error-rate", { min: 0, max: 1 }),
    latencyMs: numberOf(str("latency-ms"), "--latency-ms", latency),
    latencyJitterMs: numberOf(str("latency-jitter-ms"), "--latency-jitter-ms", latency),
  });
  return {
    human:
      `deployed ${result.version} to ${result.instance} (${result.instanceUrl}); ` +
      `traffic ${weightsLine(result.weights)}`,
    result,
  };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function traffic({ str, dir, environment }) {
  const asked = await weightsOption(str, dir);
  if (asked !== undefined) {
    const weights = parseWeights(asked.text, asked.from);
    const result = await lab.labTraffic(dir, { weights, from: asked.from, environment });
    return { human: `traffic ${weightsLine(result.weights)}`, result };
  }
  const slot = slotOption(str);
  const weight = numberOf(
    str("weight") ?? env(process.env.SHIPGATE_WEIGHT),
    "--weight (or SHIPGATE_WEIGHT)",
    { min: 0, max: 100, integer: true },
  );
  if (weight === undefined) throw new LabUsageError("--weight (or SHIPGATE_WEIGHT) is required");
  const result = await lab.labTraffic(dir, { slot, weight, environment });
  return { human: `traffic ${weightsLine(result.weights)}`, result };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function promote({ str, flag, dir, environment }) {
  const slot = slotOption(str);
  const result = await lab.labPromote(dir, { slot, stopOther: flag("stop-other"), environment });
  return {
    human: `promoted ${slot} (${result.slots?.[slot].version}) to live${stoppedNote(result.stopped)}`,
    result,
  };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function rollback({ str, flag, dir, environment }) {
  const previousVersion = str("version") ?? env(process.env.SHIPGATE_PREVIOUS_VERSION);
  const result = await lab.labRollback(dir, {
    previousVersion,
    stopOther: flag("stop-other"),
    environment,
  });
  const how = result.redeployed ? `redeployed ${result.version} on` : "all traffic to";
  return {
    human: `rolled back: ${how} ${result.rolledBackTo}${stoppedNote(result.stopped)}`,
    result,
  };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function stop({ str, flag, dir, environment }) {
  const target = targetOption(str);
  const result = await lab.labStop(dir, { ...target, force: flag("force"), environment });
  return { human: `stopped ${result.stopped} (${result.result})`, result };
}

/** @param {Invocation} invocation @returns {Promise<Outcome>} */
async function load({ str, dir }) {
  const rps = numberOf(str("rps") ?? "50", "--rps", { min: 0.1, max: 5000 }) ?? 50;
  const result = await lab.labLoad(dir, {
    rps,
    durationMs: durationMs(str("duration") ?? "10s"),
    maxRequests: numberOf(str("max-requests"), "--max-requests", {
      min: 1,
      max: 1_000_000,
      integer: true,
    }),
    path: str("path"),
  });
  const { sent, ok, failed, latencyMs } = result;
  return {
    human: `load: ${sent} sent, ${ok} ok, ${failed} failed, p95 ${latencyMs.p95} ms`,
    result,
  };
}

/** @param {string | undefined} value an empty variable counts as unset */
const env = (value) => (value === undefined || value === "" ? undefined : value);

/**
 * Every instance's weights, when traffic is asked that way: --weights; else, without --slot or
 * --weight, SHIPGATE_WEIGHTS in a fleet (where it is required) and in a slot lab whose hook did
 * not set SHIPGATE_SLOT or SHIPGATE_WEIGHT. Undefined means the slot form.
 * @param {Invocation["str"]} str
 * @param {string} dir
 * @returns {Promise<{ text: string, from: string } | undefined>}
 */
async function weightsOption(str, dir) {
  const flag = str("weights");
  if (flag !== undefined) return { text: flag, from: "--weights" };
  if (str("slot") !== undefined || str("weight") !== undefined) return undefined;
  const text = env(process.env.SHIPGATE_WEIGHTS);
  if ((await lab.labMode(dir)) === "fleet") {
    if (text === undefined)
      throw new LabUsageError(
        "--weights (or SHIPGATE_WEIGHTS) is required: name=weight,... for every instance",
      );
    return { text, from: "SHIPGATE_WEIGHTS" };
  }
  const slotForm = env(process.env.SHIPGATE_SLOT) ?? env(process.env.SHIPGATE_WEIGHT);
  return text === undefined || slotForm !== undefined
    ? undefined
    : { text, from: "SHIPGATE_WEIGHTS" };
}

/**
 * The instance a command names: --instance, --slot, SHIPGATE_INSTANCE, SHIPGATE_SLOT in that order
 * (a slot must be blue or green); none of them leaves the lab to say what it needs.
 * @param {Invocation["str"]} str
 * @returns {{ instance?: string, slot?: import("./lib/state.mjs").Slot }}
 */
function targetOption(str) {
  const instance = str("instance");
  if (instance !== undefined) return { instance };
  if (str("slot") !== undefined) return { slot: slotOption(str) };
  const fromEnv = env(process.env.SHIPGATE_INSTANCE);
  if (fromEnv !== undefined) return { instance: fromEnv };
  return env(process.env.SHIPGATE_SLOT) === undefined ? {} : { slot: slotOption(str) };
}

/** --slot, else SHIPGATE_SLOT. @param {Invocation["str"]} str */
function slotOption(str) {
  const from = "--slot (or SHIPGATE_SLOT)";
  const value = str("slot") ?? env(process.env.SHIPGATE_SLOT);
  if (value === undefined) throw new LabUsageError(`${from} is required (blue or green)`);
  if (!isSlot(value))
    throw new LabUsageError(`${from}: expected blue or green, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * @param {string | undefined} value
 * @param {string} name
 * @param {{ min: number, max: number, integer?: boolean }} range
 */
function numberOf(value, name, range) {
  if (value === undefined) return undefined;
  const number = Number(value.replace(/%$/, ""));
  if (
    value.trim() === "" ||
    !Number.isFinite(number) ||
    number < range.min ||
    number > range.max ||
    (range.integer && !Number.isInteger(number))
  ) {
    const kind = range.integer ? "an integer" : "a number";
    throw new LabUsageError(
      `${name}: expected ${kind} from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/** "10s", "500ms", "2m"; a bare number is seconds. @param {string} value */
function durationMs(value) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match)
    throw new LabUsageError(
      `--duration: expected a duration like 10s, 500ms or 2m, got ${JSON.stringify(value)}`,
    );
  const unit = match[2] ?? "s";
  const ms = Number(match[1]) * (unit === "ms" ? 1 : unit === "s" ? 1000 : 60_000);
  if (ms <= 0 || ms > 3_600_000)
    throw new LabUsageError(`--duration: expected more than 0 and at most 1h, got ${value}`);
  return ms;
}

/** @param {Record<string, number>} weights */
const weightsLine = (weights) =>
  Object.entries(weights)
    .map(([slot, weight]) => `${slot} ${weight}%`)
    .join(" / ");

/** @param {string | null} stopped the slot a command stopped on the way, if any */
const stoppedNote = (stopped) => (stopped ? `; stopped ${stopped}` : "");

main().catch((/** @type {unknown} */ error) => {
  if (error instanceof LabUsageError) {
    console.error(`lab: ${error.message}\n(run \`node lab/lab.mjs --help\` for usage)`);
    process.exitCode = 2;
  } else {
    console.error(
      `lab: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exitCode = 1;
  }
});
