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
  hooks: Partial<Record<HookKind, string>>;
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
  const hooks = chooseHooks(layers);
  requireHooks(layers, strategy, hooks);
  if (layers.problems.length > 0) return { problems: layers.problems };
  return {
    strategy: strategy as Strategy,
    steps,
    slots: layers.file.slots ?? ["blue", "green"],
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
function durationMs(layers: Layers, input: "timeout" | "switch-buffer", fallback: string): number {
  const text = layers.overrides[input] ?? layers.file[input] ?? fallback;
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
