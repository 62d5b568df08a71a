// Deploy settings: the environment's `deploy` section under the action's inputs, validated at
// start (strategy, steps, hooks and their placeholders, slots, timeouts) so a mistake fails the
// run before anything is deployed.
import {
  DeploySectionSchema,
  STRATEGIES,
  type DeploySection,
  type Strategy,
} from "../schema/deploy.js";
import { formatKeyPath } from "../config/yaml-source.js";
import { parseDuration, timerLimitProblem } from "../shared/duration.js";
import type { Problem } from "../shared/errors.js";
import { formatPlaceholders } from "../shared/template.js";
import { issuesToProblems } from "../shared/validation.js";
import { HOOK_PLACEHOLDERS, HOOKS, unknownPlaceholders, type HookKind } from "./hooks.js";

export type { Strategy } from "../schema/deploy.js";
export type OnInconclusive = "rollback" | "hold";

/** What the inputs may set; each wins over the section. */
export interface DeployOverrides {
  strategy?: string;
  steps?: string;
  timeout?: string;
  "switch-buffer"?: string;
  "on-inconclusive"?: string;
  "hold-at"?: string;
  "skip-analysis"?: boolean;
  hooks: Partial<Record<HookKind, string>>;
  /** A restore drill runs the restore hook alone: the rollout's hooks are not required. */
  restoreDrill?: boolean;
}

/** A count of instances, or a share of the fleet in percent (rounded up). */
export type InstanceCount = { count: number } | { percent: number };

/** An instance of a fleet: its name, and where its health is checked. */
export interface Instance {
  name: string;
  url?: string;
}

/** Where a fleet's instances come from: a list, or a command that prints them. */
export type FleetSource = { instances: Instance[] } | { command: string };

export interface FleetSettings {
  source: FleetSource;
  /** Blue-green: the slots as groups of instances, by slot name. */
  groups?: Readonly<Record<string, string[]>>;
  batch: InstanceCount;
  minHealthy: InstanceCount;
}

export interface DeploySettings {
  strategy: Strategy;
  steps: number[];
  slots: [string, string];
  slotUrls: Readonly<Record<string, string>>;
  hooks: Partial<Record<HookKind, string>>;
  hookTimeoutMs: number;
  switchBufferMs: number;
  onInconclusive: OnInconclusive;
  /** How long a slot or instance out of traffic is left to drain before it gets a new version. */
  drainMs: number;
  /** Canary: the step the rollout stops at, held for a later run to promote or abort. */
  holdAt?: number;
  /** Canary: promote to all traffic without the gate. */
  skipAnalysis: boolean;
  /** Present when the environment is a fleet of instances rather than two slots. */
  fleet?: FleetSettings;
}

/** "10,25,50,100" or [10, 25, 50, 100]: increasing whole percentages ending at 100. */
export function parseSteps(value: string | readonly number[]): number[] | string {
  const parts =
    typeof value === "string" ? value.split(/[\s,]+/).filter(Boolean) : value.map(String);
  const steps = parts.map(Number);
  if (steps.length === 0) return "expected traffic steps such as 10,25,50,100";
  const bad = parts.filter(
    (part, index) => !/^\d+$/.test(part) || (steps[index] ?? 0) < 1 || (steps[index] ?? 0) > 100,
  );
  if (bad.length > 0) return `steps are whole percentages from 1 to 100, got ${bad.join(", ")}`;
  if (steps.some((step, index) => index > 0 && step <= (steps[index - 1] ?? 0)))
    return `steps must increase, got ${steps.join(", ")}`;
  if (steps[steps.length - 1] !== 100)
    return `the last step must be 100 (full traffic before promotion), got ${steps.join(", ")}`;
  return steps;
}

type Locate = (path: readonly (string | number)[]) => Problem["at"];

/** The section and the inputs over it, where to point a problem, and the problems found so far. */
interface Layers {
  file: DeploySection;
  overrides: DeployOverrides;
  locate: Locate;
  problems: Problem[];
}

/**
 * Layers the inputs over the environment's deploy section and validates the result: every problem
 * is named by its input or key (with the file and line for the section).
 */
export function resolveDeploySettings(
  section: unknown,
  overrides: DeployOverrides,
  locate: Locate,
): DeploySettings | { problems: Problem[] } {
  const parsed = DeploySectionSchema.safeParse(section ?? {});
  if (!parsed.success) {
    return {
      problems: issuesToProblems(
        parsed.error.issues,
        (path) => formatKeyPath(["deploy", ...path]),
        (path) => locate(["deploy", ...path]),
      ),
    };
  }
  const layers: Layers = { file: parsed.data, overrides, locate, problems: [] };
  const strategy = chooseStrategy(layers);
  const onInconclusive = chooseOnInconclusive(layers);
  const steps = chooseSteps(layers);
  const hookTimeoutMs = durationMs(layers, "timeout", "10m");
  const switchBufferMs = durationMs(layers, "switch-buffer", "0s");
  const drainMs = durationMs(layers, "drain", "0s");
  const hooks = chooseHooks(layers);
  if (!layers.overrides.restoreDrill) requireHooks(layers, strategy, hooks);
  const fleet = chooseFleet(layers, strategy, hooks);
  const holdAt = chooseHoldAt(layers, strategy, steps);
  const skipAnalysis = layers.overrides["skip-analysis"] ?? layers.file["skip-analysis"] ?? false;
  if (layers.problems.length > 0) return { problems: layers.problems };
  return {
    drainMs,
    ...(holdAt !== undefined ? { holdAt } : {}),
    skipAnalysis,
    ...(fleet ? { fleet } : {}),
    strategy: strategy as Strategy,
    steps,
    slots: chooseSlots(layers.file),
    slotUrls: layers.file["slot-urls"] ?? {},
    hooks,
    hookTimeoutMs,
    switchBufferMs,
    onInconclusive: onInconclusive as OnInconclusive,
  };
}

/** Where a problem with a setting points: the input when one was given, else the section's key. */
function placeOf(layers: Layers, input: string): Pick<Problem, "path" | "at"> {
  return (layers.overrides as unknown as Record<string, unknown>)[input] !== undefined
    ? { path: `input "${input}"` }
    : { path: formatKeyPath(["deploy", input]), at: layers.locate(["deploy", input]) };
}

function chooseStrategy(layers: Layers): string {
  const strategy = layers.overrides.strategy ?? layers.file.strategy ?? "rolling";
  if (!(STRATEGIES as readonly string[]).includes(strategy))
    layers.problems.push({
      ...placeOf(layers, "strategy"),
      message: `unknown strategy "${strategy}": use rolling, blue-green or canary`,
    });
  return strategy;
}

function chooseOnInconclusive(layers: Layers): string {
  const choice =
    layers.overrides["on-inconclusive"] ?? layers.file["on-inconclusive"] ?? "rollback";
  if (choice !== "rollback" && choice !== "hold")
    layers.problems.push({
      path: 'input "on-inconclusive"',
      message: `expected rollback or hold, got "${choice}"`,
    });
  return choice;
}

function chooseSteps(layers: Layers): number[] {
  const steps = parseSteps(layers.overrides.steps ?? layers.file.steps ?? "10,25,50,100");
  if (typeof steps !== "string") return steps;
  layers.problems.push({ ...placeOf(layers, "steps"), message: steps });
  return [];
}

/**
 * A duration setting in milliseconds. A bare number is refused here, though parseDuration reads it
 * as milliseconds: `timeout: 10` is far more likely meant as seconds or minutes.
 */
function durationMs(
  layers: Layers,
  input: "timeout" | "switch-buffer" | "drain",
  fallback: string,
): number {
  const given = input === "drain" ? undefined : layers.overrides[input];
  const text = given ?? layers.file[input] ?? fallback;
  try {
    if (/^\s*[\d.]+\s*$/.test(text))
      throw new Error(`"${text}" needs a unit, such as ${text.trim()}s`);
    const ms = parseDuration(text);
    // A hook's timeout and the switch buffer are timers: one past their limit would end at once.
    const tooLong = timerLimitProblem(text, ms);
    if (tooLong) throw new Error(tooLong);
    return ms;
  } catch (error) {
    layers.problems.push({ ...placeOf(layers, input), message: (error as Error).message });
    return 0;
  }
}

/** The hooks given (an input wins over the section), each checked for unknown placeholders. */
function chooseHooks(layers: Layers): Partial<Record<HookKind, string>> {
  const hooks: Partial<Record<HookKind, string>> = {};
  for (const kind of HOOKS) {
    const command = layers.overrides.hooks[kind] ?? layers.file.hooks?.[kind];
    if (command === undefined || command.trim() === "") continue;
    checkPlaceholders(layers, kind, command);
    hooks[kind] = command;
  }
  return hooks;
}

function checkPlaceholders(layers: Layers, kind: HookKind, command: string): void {
  const unknown = unknownPlaceholders(command);
  if (unknown.length === 0) return;
  const at =
    layers.overrides.hooks[kind] !== undefined
      ? { path: `input "${kind}-command"` }
      : { path: `deploy.hooks.${kind}`, at: layers.locate(["deploy", "hooks", kind]) };
  layers.problems.push({
    ...at,
    message: `unknown placeholder ${formatPlaceholders(unknown)}: use ${HOOK_PLACEHOLDERS}`,
  });
}

/** Every strategy deploys through the deploy hook; canary and blue-green also move traffic. */
function requireHooks(
  layers: Layers,
  strategy: string,
  hooks: Partial<Record<HookKind, string>>,
): void {
  if (!hooks.deploy)
    layers.problems.push({
      path: 'input "deploy-command"',
      message:
        "no deploy hook: give the deploy-command input or deploy.hooks.deploy in the environment file",
    });
  if ((strategy === "canary" || strategy === "blue-green") && !hooks.traffic) {
    layers.problems.push({
      path: 'input "traffic-command"',
      message: `the ${strategy} strategy moves traffic: give the traffic-command input or deploy.hooks.traffic`,
    });
  }
}

/** The two slots: the groups' names for blue-green on a fleet, else the slots key. */
function chooseSlots(file: DeploySection): [string, string] {
  const groups = Object.keys(file.groups ?? {});
  if (groups.length === 2) return [groups[0] as string, groups[1] as string];
  return file.slots ?? ["blue", "green"];
}

/** `2` or `"25%"`: a whole count, or a share of the fleet from 1 (0 with `zero`) to 100 percent. */
export function parseInstanceCount(value: number | string, zero: boolean): InstanceCount | string {
  const least = zero ? 0 : 1;
  const text = String(value).trim();
  const percent = /^(\d+)\s*%$/.exec(text);
  if (percent) {
    const share = Number(percent[1]);
    if (share >= least && share <= 100) return { percent: share };
    return `expected a share from ${least}% to 100%, got ${text}`;
  }
  if (/^\d+$/.test(text) && Number(text) >= least) return { count: Number(text) };
  return `expected a whole number of instances (${least} or more) or a share such as 25%, got ${JSON.stringify(value)}`;
}

function instanceCount(
  layers: Layers,
  key: "batch" | "min-healthy",
  fallback: InstanceCount,
): InstanceCount {
  const value = layers.file[key];
  if (value === undefined) return fallback;
  const parsed = parseInstanceCount(value, key === "min-healthy");
  if (typeof parsed !== "string") return parsed;
  layers.problems.push({ ...placeOf(layers, key), message: parsed });
  return fallback;
}

/** The fleet, when the section declares instances: checked against the strategy and its groups. */
function chooseFleet(
  layers: Layers,
  strategy: string,
  hooks: Partial<Record<HookKind, string>>,
): FleetSettings | undefined {
  const { file } = layers;
  const batch = instanceCount(layers, "batch", { count: 1 });
  const minHealthy = instanceCount(layers, "min-healthy", { count: 1 });
  if (file.instances === undefined) {
    for (const key of ["groups", "batch", "min-healthy"] as const) {
      if (file[key] !== undefined)
        layers.problems.push({
          ...placeOf(layers, key),
          message: `${key} is for fleets: declare deploy.instances too`,
        });
    }
    return undefined;
  }
  const source: FleetSource = Array.isArray(file.instances)
    ? {
        instances: file.instances.map((entry) =>
          typeof entry === "string" ? { name: entry } : entry,
        ),
      }
    : { command: file.instances.command };
  if (!hooks.traffic)
    layers.problems.push({
      path: 'input "traffic-command"',
      message:
        "a fleet takes each instance out of traffic before it gets a new version: give the " +
        "traffic-command input or deploy.hooks.traffic (it gets {{ weights }})",
    });
  checkGroups(layers, strategy, source);
  return { source, batch, minHealthy, ...(file.groups ? { groups: file.groups } : {}) };
}

/** Blue-green on a fleet needs two groups of listed instances; other strategies take none. */
function checkGroups(layers: Layers, strategy: string, source: FleetSource): void {
  const { groups, slots } = layers.file;
  const problem = (message: string) =>
    layers.problems.push({ ...placeOf(layers, "groups"), message });
  if (strategy !== "blue-green") {
    if (groups !== undefined)
      problem(`groups are the slots of blue-green on a fleet; ${strategy} uses every instance`);
    return;
  }
  if (groups === undefined || Object.keys(groups).length !== 2) {
    problem(
      "blue-green on a fleet needs two groups of instances, such as { blue: [vm1], green: [vm2] }",
    );
    return;
  }
  if (slots !== undefined && !slots.every((slot) => Object.hasOwn(groups, slot)))
    problem(`the groups must be named as the slots (${slots.join(", ")})`);
  const members = Object.values(groups).flat();
  const twice = members.filter((name, index) => members.indexOf(name) !== index);
  if (twice.length > 0) problem(`an instance is in one group only: ${twice.join(", ")}`);
  if ("instances" in source) {
    const names = new Set(source.instances.map((instance) => instance.name));
    const unknown = members.filter((name) => !names.has(name));
    if (unknown.length > 0) problem(`not among deploy.instances: ${unknown.join(", ")}`);
  }
}

/** The canary step to hold at: one of the steps, below 100. */
function chooseHoldAt(layers: Layers, strategy: string, steps: number[]): number | undefined {
  const given = layers.overrides["hold-at"];
  const value = given !== undefined ? Number(given) : layers.file["hold-at"];
  if (value === undefined) return undefined;
  const problem = (message: string) =>
    layers.problems.push({ ...placeOf(layers, "hold-at"), message });
  // The file's hold is for the file's steps: a run given other steps (a switch back at 100%)
  // does not hold, where a hold-at input that is not among the steps is a mistake.
  if (given === undefined && layers.overrides.steps !== undefined && !steps.includes(value))
    return undefined;
  if (strategy !== "canary") problem(`hold-at is a canary step; ${strategy} has none`);
  else if (!steps.includes(value) || value >= 100)
    problem(
      `hold-at must be one of the steps below 100 (${steps.join(", ")}), got ${given ?? value}`,
    );
  return value;
}
