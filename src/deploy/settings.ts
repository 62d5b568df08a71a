// Deploy settings: the environment's `deploy` section under the action's inputs, validated at
// start (strategy, steps, hooks and their placeholders, slots, timeouts) so a mistake fails the
// run before anything is deployed.
import { DeploySectionSchema, STRATEGIES, type Strategy } from "../schema/deploy.js";
import { formatKeyPath } from "../config/yaml-source.js";
import { parseDuration } from "../shared/duration.js";
import type { Problem } from "../shared/errors.js";
import { issuesToProblems } from "../shared/validation.js";
import { HOOKS, unknownPlaceholders, type HookKind } from "./hooks.js";

/** What the inputs may set; each wins over the section. */
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

/**
 * Layers the inputs over the environment's deploy section and validates the result: every problem
 * is named by its input or key (with the file and line for the section).
 */
export function resolveDeploySettings(
  section: unknown,
  overrides: DeployOverrides,
  locate: (path: readonly (string | number)[]) => Problem["at"],
): DeploySettings | { problems: Problem[] } {
  const problems: Problem[] = [];
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
  const file = parsed.data;
  const where = (input: string, key: (string | number)[]): Pick<Problem, "path" | "at"> =>
    (overrides as unknown as Record<string, unknown>)[input] !== undefined
      ? { path: `input "${input}"` }
      : { path: formatKeyPath(["deploy", ...key]), at: locate(["deploy", ...key]) };

  const strategyText = overrides.strategy ?? file.strategy ?? "rolling";
  if (!(STRATEGIES as readonly string[]).includes(strategyText))
    problems.push({
      ...where("strategy", ["strategy"]),
      message: `unknown strategy "${strategyText}": use rolling, blue-green or canary`,
    });
  const onInconclusive = overrides["on-inconclusive"] ?? file["on-inconclusive"] ?? "rollback";
  if (onInconclusive !== "rollback" && onInconclusive !== "hold")
    problems.push({
      path: 'input "on-inconclusive"',
      message: `expected rollback or hold, got "${onInconclusive}"`,
    });

  const steps = parseSteps(overrides.steps ?? file.steps ?? "10,25,50,100");
  if (typeof steps === "string") problems.push({ ...where("steps", ["steps"]), message: steps });

  const ms = (input: "timeout" | "switch-buffer", fallback: string): number => {
    const text = overrides[input] ?? file[input] ?? fallback;
    try {
      if (/^\s*[\d.]+\s*$/.test(text))
        throw new Error(`"${text}" needs a unit, such as ${text.trim()}s`);
      return parseDuration(text);
    } catch (error) {
      problems.push({ ...where(input, [input]), message: (error as Error).message });
      return 0;
    }
  };
  const hookTimeoutMs = ms("timeout", "10m");
  const switchBufferMs = ms("switch-buffer", "0s");

  const hooks: Partial<Record<HookKind, string>> = {};
  for (const kind of HOOKS) {
    const command = overrides.hooks[kind] ?? file.hooks?.[kind];
    if (command === undefined || command.trim() === "") continue;
    const unknown = unknownPlaceholders(command);
    if (unknown.length > 0) {
      const at =
        overrides.hooks[kind] !== undefined
          ? { path: `input "${kind}-command"` }
          : { path: `deploy.hooks.${kind}`, at: locate(["deploy", "hooks", kind]) };
      problems.push({
        ...at,
        message: `unknown placeholder ${unknown.map((name) => `{{ ${name} }}`).join(", ")}: use {{ version }}, {{ previous_version }}, {{ slot }}, {{ weight }}, {{ environment }}`,
      });
    }
    hooks[kind] = command;
  }
  if (!hooks.deploy)
    problems.push({
      path: 'input "deploy-command"',
      message:
        "no deploy hook: give the deploy-command input or deploy.hooks.deploy in the environment file",
    });
  const strategy = strategyText as Strategy;
  if ((strategy === "canary" || strategy === "blue-green") && !hooks.traffic) {
    problems.push({
      path: 'input "traffic-command"',
      message: `the ${strategy} strategy moves traffic: give the traffic-command input or deploy.hooks.traffic`,
    });
  }
  if (problems.length > 0) return { problems };
  return {
    strategy,
    steps: steps as number[],
    slots: file.slots ?? ["blue", "green"],
    slotUrls: file["slot-urls"] ?? {},
    hooks,
    hookTimeoutMs,
    switchBufferMs,
    onInconclusive: onInconclusive as OnInconclusive,
  };
}
