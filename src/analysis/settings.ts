// Analysis settings: their defaults and layering (the action's inputs over the environment's
// `analysis` section over the defaults), each bad one named where it was given.
import type { ProviderKind, RawSettings } from "../schema/analysis.js";
import { parseDuration, promDuration, timerLimitProblem } from "../shared/duration.js";
import type { Problem } from "../shared/errors.js";
import { httpUrlProblem } from "./endpoint.js";
import { limitsProblem } from "./limits.js";

export interface AnalysisSettings {
  provider: ProviderKind;
  address?: string;
  intervalMs: number;
  count: number;
  initialDelayMs: number;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  consecutiveSuccessLimit: number;
  minSamples: number;
  passScore: number;
  marginalScore: number;
  lookbackMs: number;
  stepMs: number;
  queryTimeoutMs: number;
  groupWeights: Readonly<Record<string, number>>;
}

/** Why a duration setting cannot be read, or undefined when it can. */
export function durationProblem(text: string): string | undefined {
  if (/^\s*[\d.]+\s*$/.test(text)) return `"${text}" needs a unit, such as ${text.trim()}s`;
  try {
    parseDuration(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** One setting as the highest layer that gives it, with where that layer names it. */
type Picked<K extends keyof RawSettings> =
  { value: NonNullable<RawSettings[K]>; where: Pick<Problem, "path" | "at"> } | undefined;
type SettingsLayers = readonly {
  settings: RawSettings;
  where: (key: string) => Pick<Problem, "path" | "at">;
}[];
type Picker = <K extends keyof RawSettings>(key: K) => Picked<K>;

/** Settings that become waits (timers), and so cannot be longer than a timer holds. */
const WAITS: ReadonlySet<string> = new Set(["interval", "initial-delay", "query-timeout"]);
type DurationKey =
  "interval" | "duration" | "initial-delay" | "lookback" | "step" | "query-timeout";

/** Reads duration settings in milliseconds; a bad one is recorded in `problems` and reads as 0. */
function durationReader(pick: Picker, problems: Problem[]) {
  return (key: DurationKey, fallback: string): number => {
    const chosen = pick(key);
    const text = chosen?.value ?? fallback;
    let problem = durationProblem(text);
    const ms = problem ? 0 : parseDuration(text);
    if (!problem && WAITS.has(key)) problem = timerLimitProblem(text, ms);
    if (problem && chosen) problems.push({ ...chosen.where, message: problem });
    return problem ? 0 : ms;
  };
}

/** The address, when one is given and is an http(s) URL (otherwise a problem is recorded). */
function addressSetting(pick: Picker, problems: Problem[]): { address?: string } {
  const chosen = pick("address");
  if (!chosen) return {};
  const problem = httpUrlProblem(chosen.value);
  if (problem) problems.push({ ...chosen.where, message: problem });
  return { address: chosen.value };
}

/** The score bands; marginal-score above pass-score is recorded in `problems`. */
function scoreBands(pick: Picker, problems: Problem[]) {
  const passScore = pick("pass-score")?.value ?? 75;
  const marginalScore = pick("marginal-score")?.value ?? 50;
  if (marginalScore > passScore) {
    problems.push({
      ...(pick("marginal-score")?.where ?? pick("pass-score")?.where ?? {}),
      message: `marginal-score (${marginalScore}) is above pass-score (${passScore})`,
    });
  }
  return { passScore, marginalScore };
}

/** The group weights; more than 100 in all is recorded in `problems`. */
function groupWeightsSetting(pick: Picker, problems: Problem[]): Record<string, number> {
  const groupWeights = pick("groups")?.value ?? {};
  const weightSum = Object.values(groupWeights).reduce((total, weight) => total + weight, 0);
  if (weightSum > 100)
    problems.push({
      ...(pick("groups")?.where ?? {}),
      message: `group weights add up to ${weightSum}, more than 100`,
    });
  return groupWeights;
}

/**
 * Resolves the settings: each input given wins over the environment's `analysis` section, which
 * wins over the defaults. `duration` sets the count (intervals in it) when no count is given.
 */
export function resolveSettings(
  layers: SettingsLayers,
): AnalysisSettings | { problems: Problem[] } {
  const problems: Problem[] = [];
  const pick: Picker = (key) => {
    for (const layer of layers) {
      const value = layer.settings[key];
      if (value !== undefined) return { value, where: layer.where(key) };
    }
    return undefined;
  };
  const ms = durationReader(pick, problems);
  const intervalMs = ms("interval", "1m");
  if (intervalMs <= 0 && problems.length === 0)
    problems.push({
      ...(pick("interval")?.where ?? {}),
      message: "the interval must be longer than 0",
    });
  const durationMs = pick("duration") ? ms("duration", "0s") : undefined;
  const count =
    pick("count")?.value ??
    (durationMs !== undefined && intervalMs > 0
      ? Math.max(1, Math.floor(durationMs / intervalMs))
      : 1);
  const address = addressSetting(pick, problems);
  const bands = scoreBands(pick, problems);
  const groupWeights = groupWeightsSetting(pick, problems);
  const stepGiven = pick("step");
  const settings: AnalysisSettings = {
    provider: pick("provider")?.value ?? "prometheus",
    ...address,
    intervalMs,
    count,
    initialDelayMs: ms("initial-delay", "0s"),
    failureLimit: pick("failure-limit")?.value ?? 0,
    inconclusiveLimit: pick("inconclusive-limit")?.value ?? 0,
    consecutiveErrorLimit: pick("consecutive-error-limit")?.value ?? 4,
    consecutiveSuccessLimit: pick("consecutive-success-limit")?.value ?? 0,
    minSamples: pick("min-samples")?.value ?? 1,
    ...bands,
    lookbackMs: ms("lookback", promDuration(intervalMs || 60_000)),
    // Twelve points per interval by default, never finer than a second.
    stepMs: stepGiven
      ? ms("step", "1s")
      : Math.max(1_000, Math.round(intervalMs / 12 / 1_000) * 1_000),
    queryTimeoutMs: ms("query-timeout", "30s"),
    groupWeights,
  };
  const limits = limitsProblem(settings);
  if (limits) {
    const where = (
      ["consecutive-success-limit", "failure-limit", "inconclusive-limit", "count"] as const
    )
      .map((key) => pick(key)?.where)
      .find((given) => given !== undefined);
    problems.push({ path: "count", ...where, message: limits });
  }
  return problems.length > 0 ? { problems } : settings;
}
