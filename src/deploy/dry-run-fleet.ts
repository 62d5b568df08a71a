// A fleet's dry run: the steps the fleet rollout would take when every step passes, read off the
// rollout itself run against ports that only write down what they are asked (no hook runs, no
// check or query is made), so the plan cannot drift from what a deploy does.
import type { PlannedStep } from "./dry-run.js";
import { FleetRollout } from "./fleet-rollout.js";
import { renderHook } from "./hooks.js";
import type { RolloutPlan, RolloutPorts } from "./rollout.js";

/** The fleet rollout's steps, in order, each hook rendered as it would run. */
export async function planFleetSteps(
  plan: RolloutPlan,
  options: { healthChecks: readonly string[]; configFile?: string },
): Promise<PlannedStep[]> {
  const steps: PlannedStep[] = [];
  const slot = plan.targetSlot;
  let clock = 0;
  const ports: RolloutPorts = {
    hook: async (kind, values) => {
      const template = plan.settings.hooks[kind];
      const command = template
        ? renderHook(template, { ...values, config_file: options.configFile ?? "" })
        : undefined;
      const instances = (values.instance || values.instances || "").split(",").filter(Boolean);
      steps.push({
        // A rollout never runs the restore hook (a restore drill's own).
        step:
          kind === "weights" ? "traffic" : (kind as Exclude<typeof kind, "weights" | "restore">),
        slot,
        ...(command !== undefined ? { command } : {}),
        ...(instances.length > 0 ? { instances } : {}),
        ...(values.weights ? { weights: parseWeightList(values.weights) } : {}),
        detail: command !== undefined ? describe(kind, values) : `no ${kind} hook: nothing runs`,
      });
      return { exitCode: 0, timedOut: false, durationMs: 0, tail: [] };
    },
    health: async (url, version) => {
      if (options.healthChecks.length === 0) return undefined;
      const detail = url
        ? `${options.healthChecks.join(", ")} at ${url}, expecting ${version}`
        : "skipped, no URL for this target (give the instance a url)";
      steps.push({ step: "health", slot, ...(url ? { url } : {}), detail });
      return { healthy: true, detail };
    },
    gate: async (weight) => {
      steps.push({ step: "gate", slot, weight, detail: `the canary gate at ${weight}%` });
      return { verdict: "promote", score: null, detail: "planned" };
    },
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    log: () => {},
    checkpoint: () => {},
    signal: new AbortController().signal,
  };
  // A plan holds where the rollout would: its steps end at the hold.
  await new FleetRollout(plan, ports).run();
  return steps;
}

function parseWeightList(text: string): Record<string, number> {
  return Object.fromEntries(
    text.split(",").map((pair) => {
      const [name = "", weight = "0"] = pair.split("=");
      return [name, Number(weight)];
    }),
  );
}

function describe(
  kind: string,
  values: { version: string; instance?: string; instances?: string },
) {
  const who = values.instance || values.instances || "";
  if (kind === "deploy") return `deploys ${values.version} to ${who}`;
  if (kind === "traffic") return "sets every instance's weight";
  if (kind === "promote") return `${who || "the fleet"} becomes stable`;
  return `${kind} hook`;
}
