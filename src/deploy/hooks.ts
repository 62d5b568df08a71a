// Deploy hooks: the commands that drive the target (a VM fleet, Kubernetes, a PaaS, the lab).
// Values are substituted shell-quoted, so a version string can never inject a command, and are
// also exported to the hook as SHIPGATE_* variables.
import { formatPlaceholders, placeholders, replacePlaceholders } from "../shared/template.js";

export const HOOKS = ["deploy", "traffic", "promote", "rollback", "weights", "restore"] as const;
export type HookKind = (typeof HOOKS)[number];

export interface HookValues {
  version: string;
  previous_version: string;
  slot: string;
  weight: string;
  environment: string;
  /** The rendered configuration's file (env-config's output-file); "" when none was given. */
  config_file?: string;
  /** Fleets: the instance a hook acts on, the batch's instances (comma-separated), its number. */
  instance?: string;
  instances?: string;
  batch?: string;
  /** Fleets: every instance's weight, `vm1=0,vm2=50,vm3=50`. */
  weights?: string;
}

const NAMES: readonly (keyof HookValues)[] = [
  "version",
  "previous_version",
  "slot",
  "weight",
  "environment",
  "config_file",
  "instance",
  "instances",
  "batch",
  "weights",
];

/** The placeholders that are "" unless given: the configuration file and the fleet's. */
const OPTIONAL = ["config_file", "instance", "instances", "batch", "weights"] as const;

/** The placeholders a hook may use, as messages list them. */
export const HOOK_PLACEHOLDERS = formatPlaceholders(NAMES);

/** POSIX single-quoting: the value is one word whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Placeholders a hook template uses that deploy does not know, for validation at start. */
export function unknownPlaceholders(template: string): string[] {
  return placeholders(template).filter((name) => !(NAMES as readonly string[]).includes(name));
}

/** The command with every placeholder replaced by its shell-quoted value. */
export function renderHook(template: string, values: HookValues): string {
  return replacePlaceholders(template, (name, written) => {
    const known = { ...Object.fromEntries(OPTIONAL.map((key) => [key, ""])), ...values };
    const value = Object.hasOwn(known, name)
      ? (known as unknown as Record<string, string>)[name]
      : undefined;
    if (value === undefined)
      throw new Error(`unknown placeholder ${written} in hook: use ${HOOK_PLACEHOLDERS}`);
    return shellQuote(value);
  });
}

/**
 * The SHIPGATE_* variables a hook sees. In a drill, SHIPGATE_DRILL is "1" for the hooks that put
 * out or serve the faulty build (or rebuild from a backup), the service's own fault switch, and ""
 * for those that restore stable; outside a drill it is not set.
 */
export function hookEnvironment(values: HookValues, drill?: boolean): Record<string, string> {
  return {
    ...(drill !== undefined ? { SHIPGATE_DRILL: drill ? "1" : "" } : {}),
    SHIPGATE_VERSION: values.version,
    SHIPGATE_PREVIOUS_VERSION: values.previous_version,
    SHIPGATE_SLOT: values.slot,
    SHIPGATE_WEIGHT: values.weight,
    SHIPGATE_ENVIRONMENT: values.environment,
    SHIPGATE_CONFIG_FILE: values.config_file ?? "",
    SHIPGATE_INSTANCE: values.instance ?? "",
    SHIPGATE_INSTANCES: values.instances ?? "",
    SHIPGATE_BATCH: values.batch ?? "",
    SHIPGATE_WEIGHTS: weightsJson(values.weights ?? ""),
  };
}

/** `vm1=0,vm2=50` as the JSON object hooks read from SHIPGATE_WEIGHTS; "" when there are none. */
function weightsJson(weights: string): string {
  if (weights === "") return "";
  const pairs = weights.split(",").map((pair) => {
    const [name = "", weight = "0"] = pair.split("=");
    return [name, Number(weight)] as const;
  });
  return JSON.stringify(Object.fromEntries(pairs));
}
