// The shipgate command line read into one typed request: the action, its inputs (flags over an
// inputs file) and the CLI's own options. Validation against action.yml happens in main.ts.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** The CLI's own options; an action input of the same name could not be given as a flag. */
export const CLI_OPTIONS = [
  "help",
  "inputs",
  "workspace",
  "env",
  "event",
  "github",
  "store",
] as const;
type CliOption = (typeof CLI_OPTIONS)[number];

export class UsageError extends Error {}

export interface CliRequest {
  /** The action's folder under actions/; undefined for `shipgate` and `shipgate --help`. */
  action?: string;
  help: boolean;
  /** Inputs given as flags, by their action.yml names. */
  flags: Record<string, string>;
  /** `--inputs FILE`: a YAML (or JSON) mapping of input names to values, under the flags. */
  inputsFile?: string;
  workspace?: string;
  /** `--env NAME=value`, in order; a later one wins. */
  env: Record<string, string>;
  /** `--event name` or `--event name.action`: a real payload from @octokit/webhooks-examples. */
  event?: string;
  /** `stand-in` (the default) or the base URL of a GitHub API. */
  github: string;
  store?: string;
}

const isCliOption = (name: string): name is CliOption =>
  (CLI_OPTIONS as readonly string[]).includes(name);

/**
 * Reads `<action> [--name value | --name=value | --name]...`. A flag without a value (at the end,
 * or followed by another flag) is `true`, as boolean inputs are written.
 */
export function parseArgs(argv: readonly string[]): CliRequest {
  const request: CliRequest = { help: false, flags: {}, env: {}, github: "stand-in" };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (!arg.startsWith("--")) {
      if (request.action !== undefined)
        throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: inputs are --name value`);
      request.action = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    let value = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      const next = argv[index + 1];
      value = next === undefined || next.startsWith("--") ? "true" : next;
      if (next !== undefined && !next.startsWith("--")) index++;
    }
    if (name === "") throw new UsageError(`${JSON.stringify(arg)} names no input`);
    if (isCliOption(name)) applyOption(request, name, value);
    else request.flags[name] = value;
  }
  return request;
}

function applyOption(request: CliRequest, name: CliOption, value: string): void {
  if (name === "help") request.help = value !== "false";
  else if (name === "env") {
    const eq = value.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env ${JSON.stringify(value)}: expected NAME=value`);
    request.env[value.slice(0, eq)] = value.slice(eq + 1);
  } else if (name === "inputs") request.inputsFile = value;
  else request[name] = value;
}

/**
 * The inputs file: a mapping of input names to scalars, each given to the action as text, as a
 * workflow's `with:` gives it. A list or mapping must be written as text (a `|` block).
 */
export function readInputsFile(path: string): Record<string, string> {
  let data: unknown;
  try {
    data = parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(`--inputs ${path}: ${(error as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data))
    throw new UsageError(`--inputs ${path}: expected a mapping of input names to values`);
  const inputs: Record<string, string> = {};
  for (const [name, value] of Object.entries(data)) {
    if (value !== null && typeof value === "object") {
      throw new UsageError(
        `--inputs ${path}: ${name} is a ${Array.isArray(value) ? "list" : "mapping"}; inputs are ` +
          "text, so write it as a block (name: |) as a workflow's with: would",
      );
    }
    inputs[name] = value === null ? "" : String(value);
  }
  return inputs;
}
