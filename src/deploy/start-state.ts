// What deploy reads before it records anything: a fleet's instances (listed, or printed by a
// command) with its batch sizes, and the traffic weights in force, which must be what the last
// deployment left: a rollout never starts from a state it did not expect.
import { ConfigurationError } from "../shared/errors.js";
import {
  countOf,
  fleetProblem,
  parseInstanceList,
  parseWeights,
  unexpectedWeights,
  type Weights,
} from "./fleet.js";
import type { HookValues } from "./hooks.js";
import type { FleetPlan } from "./rollout.js";
import type { DeploySettings, FleetSettings, Instance } from "./settings.js";
import type { DeployTargets } from "./targets.js";

/** Runs a command and resolves to its output: ports.ts outputPort. */
export type ReadOutput = (what: string, template: string, values: HookValues) => Promise<string>;

export interface StartState {
  fleet?: FleetPlan;
  /** The slot or group the new version takes was read out of traffic. */
  targetIdle?: boolean;
}

/** The fleet and the weights, checked; a ConfigurationError names what was found instead. */
export async function readStartState(
  settings: DeploySettings,
  targets: DeployTargets,
  values: HookValues,
  read: ReadOutput,
  options: { resumeOrder?: readonly string[] } = {},
): Promise<StartState> {
  const fleet = settings.fleet
    ? await fleetPlan(settings, settings.fleet, values, read, options.resumeOrder)
    : undefined;
  if (!settings.hooks.weights || options.resumeOrder) return fleet ? { fleet } : {};
  let weights: Weights;
  try {
    weights = parseWeights(await read("weights hook", settings.hooks.weights, values));
  } catch (error) {
    throw new ConfigurationError({
      path: "deploy.hooks.weights",
      message: `could not read the traffic weights: ${(error as Error).message}`,
    });
  }
  const expect = expectedWeights(settings, targets, fleet);
  if (!expect) return fleet ? { fleet } : {};
  const found = unexpectedWeights(weights, expect);
  if (found)
    throw new ConfigurationError({
      path: "deploy.hooks.weights",
      message: `${found}. Nothing was deployed: put traffic back as it was, or finish the rollout that left it so`,
    });
  return { ...(fleet ? { fleet } : {}), ...(expect.idle.length > 0 ? { targetIdle: true } : {}) };
}

/** Which names must serve and which must be idle at start; undefined when nothing is expected. */
function expectedWeights(
  settings: DeploySettings,
  targets: DeployTargets,
  fleet: FleetPlan | undefined,
): { serving: string[]; idle: string[] } | undefined {
  const { strategy } = settings;
  if (fleet && strategy !== "blue-green")
    return { serving: fleet.instances.map((instance) => instance.name), idle: [] };
  if (fleet) {
    const group = (slot: string) => [...(fleet.groups?.[slot] ?? [])];
    return { serving: group(targets.stableSlot), idle: group(targets.targetSlot) };
  }
  if (strategy === "rolling") return undefined;
  return { serving: [targets.stableSlot], idle: [targets.targetSlot] };
}

async function fleetPlan(
  settings: DeploySettings,
  fleet: FleetSettings,
  values: HookValues,
  read: ReadOutput,
  resumeOrder: readonly string[] | undefined,
): Promise<FleetPlan> {
  const listed = await listInstances(fleet, values, read);
  const instances = resumeOrder ? inRecordedOrder(listed, resumeOrder) : listed;
  const names = new Set(instances.map((instance) => instance.name));
  const strays = Object.values(fleet.groups ?? {})
    .flat()
    .filter((name) => !names.has(name));
  if (strays.length > 0)
    throw new ConfigurationError({
      path: "deploy.groups",
      message: `not among the fleet's instances: ${strays.join(", ")}`,
    });
  const size = instances.length;
  const plan: FleetPlan = {
    instances,
    batch: Math.max(1, countOf(fleet.batch, size)),
    minHealthy: countOf(fleet.minHealthy, size),
    ...(fleet.groups ? { groups: fleet.groups } : {}),
  };
  const problem = fleetProblem({ ...plan, size, strategy: settings.strategy });
  if (problem) throw new ConfigurationError({ path: "deploy.min-healthy", message: problem });
  return plan;
}

async function listInstances(
  fleet: FleetSettings,
  values: HookValues,
  read: ReadOutput,
): Promise<Instance[]> {
  if ("instances" in fleet.source) return fleet.source.instances;
  try {
    return parseInstanceList(await read("instances command", fleet.source.command, values));
  } catch (error) {
    throw new ConfigurationError({
      path: "deploy.instances.command",
      message: `could not list the fleet's instances: ${(error as Error).message}`,
    });
  }
}

/** The instances in the order a held rollout recorded; the fleet must not have changed since. */
function inRecordedOrder(listed: Instance[], order: readonly string[]): Instance[] {
  const byName = new Map(listed.map((instance) => [instance.name, instance]));
  const missing = order.filter((name) => !byName.has(name));
  const added = listed.filter((instance) => !order.includes(instance.name));
  if (missing.length > 0 || added.length > 0 || order.length === 0)
    throw new ConfigurationError({
      path: 'input "resume"',
      message:
        "the fleet changed since the rollout was held " +
        `(gone: ${missing.join(", ") || "none"}; new: ${added.map((i) => i.name).join(", ") || "none"}): ` +
        "abort it with force, or restore the fleet",
    });
  return order.map((name) => byName.get(name) as Instance);
}
