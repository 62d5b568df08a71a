// A fleet's arithmetic, pure: the instances a command printed, the batches a rollout takes, how
// many instances a canary step puts the new version on, and the traffic weights at each moment.
import type { Instance, InstanceCount } from "./settings.js";
import { SLOT_NAME } from "../schema/deploy.js";

/** Weights in percent by instance (or slot) name. */
export type Weights = Readonly<Record<string, number>>;

/** A count or share of `size` instances, shares rounded up. */
export function countOf(spec: InstanceCount, size: number): number {
  return "count" in spec ? Math.min(spec.count, size) : Math.ceil((spec.percent * size) / 100);
}

/**
 * The instances an instances command printed: one a line, `name [url]`; blank lines and `#`
 * comments skipped. Throws with the offending line when a name is not an instance name.
 */
export function parseInstanceList(output: string): Instance[] {
  const instances: Instance[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [name = "", url, ...rest] = line.split(/\s+/);
    if (
      !SLOT_NAME.test(name) ||
      rest.length > 0 ||
      (url !== undefined && !/^https?:\/\//.test(url))
    )
      throw new Error(
        `expected "name [http(s) url]" a line, got ${JSON.stringify(line.slice(0, 80))}`,
      );
    if (instances.some((instance) => instance.name === name))
      throw new Error(`instance ${name} is listed twice`);
    instances.push(url ? { name, url } : { name });
  }
  if (instances.length === 0) throw new Error("it listed no instance");
  return instances;
}

/** The weights a weights hook printed: one JSON object of names to numbers from 0 to 100. */
export function parseWeights(output: string): Weights {
  const last = output.trim().split("\n").pop() ?? "";
  let value: unknown;
  try {
    value = JSON.parse(last);
  } catch {
    throw new Error(`expected a JSON object of weights, got ${JSON.stringify(last.slice(0, 80))}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error(`expected a JSON object of weights, got ${JSON.stringify(last.slice(0, 80))}`);
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [name, weight] of entries) {
    if (!SLOT_NAME.test(name) || typeof weight !== "number" || !(weight >= 0 && weight <= 100))
      throw new Error(
        `expected weights from 0 to 100 by name, got ${JSON.stringify(name)}: ${JSON.stringify(weight)}`,
      );
  }
  return Object.fromEntries(entries as [string, number][]);
}

/** `total` percent spread over `names` as evenly as whole numbers allow (largest remainder). */
export function spread(names: readonly string[], total: number): Record<string, number> {
  if (names.length === 0) return {};
  const base = Math.floor(total / names.length);
  const extra = total - base * names.length;
  return Object.fromEntries(names.map((name, index) => [name, base + (index < extra ? 1 : 0)]));
}

/**
 * Every instance's weight: `share` percent over `canary`, the rest over `stable`, 0 for the others
 * (out of traffic). With no stable instance serving, the canary takes everything.
 */
export function fleetWeights(
  order: readonly string[],
  canary: readonly string[],
  stable: readonly string[],
  share: number,
): Record<string, number> {
  const canaryShare = stable.length === 0 ? 100 : canary.length === 0 ? 0 : share;
  const weights = { ...spread(stable, 100 - canaryShare), ...spread(canary, canaryShare) };
  return Object.fromEntries(order.map((name) => [name, weights[name] ?? 0]));
}

/** `vm1=0,vm2=50,vm3=50`, in the fleet's order: what {{ weights }} holds. */
export function formatWeights(weights: Weights): string {
  return Object.entries(weights)
    .map(([name, weight]) => `${name}=${weight}`)
    .join(",");
}

/** `items` cut into consecutive batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += Math.max(1, size)) {
    result.push(items.slice(index, index + Math.max(1, size)));
  }
  return result;
}

/**
 * How many instances carry the new version at each canary step: the step's share of the fleet,
 * rounded up, at least one and (below 100%) at most all but one.
 */
export function canaryCounts(steps: readonly number[], size: number): number[] {
  return steps.map((step) =>
    step >= 100 ? size : Math.min(size - 1, Math.max(1, Math.ceil((step * size) / 100))),
  );
}

/** Why a fleet cannot be rolled out as set up, or undefined when it can. */
export function fleetProblem(options: {
  size: number;
  batch: number;
  minHealthy: number;
  strategy: string;
}): string | undefined {
  const { size, batch, minHealthy, strategy } = options;
  if (strategy === "canary" && size < 2)
    return `a canary needs a stable instance beside it, and the fleet has ${size}`;
  if (minHealthy > size)
    return `min-healthy ${minHealthy} is more than the fleet's ${size} instance(s)`;
  if (strategy !== "blue-green" && size - batch < minHealthy)
    return (
      `a batch of ${batch} leaves ${size - batch} of ${size} instance(s) serving, under ` +
      `min-healthy ${minHealthy}: lower batch or min-healthy`
    );
  return undefined;
}

/**
 * Whether the weights read at start are what the rollout expects: every named instance (or slot)
 * listed, those that must serve serving, those about to get the new version out of traffic.
 * Returns what was found when it is not.
 */
export function unexpectedWeights(
  found: Weights,
  expect: { serving: readonly string[]; idle: readonly string[] },
): string | undefined {
  const missing = [...expect.serving, ...expect.idle].filter((name) => !(name in found));
  const notServing = expect.serving.filter((name) => name in found && (found[name] ?? 0) <= 0);
  const busy = expect.idle.filter((name) => (found[name] ?? 0) > 0);
  const problems = [
    ...(missing.length > 0 ? [`no weight for ${missing.join(", ")}`] : []),
    ...(busy.length > 0
      ? [
          `${busy.map((name) => `${name} carries ${found[name]}%`).join(", ")} but is to get the new version`,
        ]
      : []),
    ...(notServing.length > 0 ? [`${notServing.join(", ")} out of traffic (weight 0)`] : []),
  ];
  if (problems.length === 0) return undefined;
  const state = formatWeights(found);
  return `the traffic weights are not as the last deployment left them (${state}): ${problems.join("; ")}`;
}
