// Raw cumulative counters as sequential metrics read them: one value from a scalar or one-element
// vector, histogram buckets by `le`, and increases between readings with resets treated as
// Prometheus's increase() treats them (a counter that went down restarted from zero).
import type { Sample } from "./provider.js";

/** One increase between two readings of a counter, and whether the counter was reset between. */
export interface CounterStep {
  increase: number;
  reset: boolean;
}

/** What a counter grew by from `previous` to `current`; a drop means it restarted from zero. */
export function counterIncrease(previous: number, current: number): CounterStep {
  if (current < previous) return { increase: current, reset: true };
  return { increase: current - previous, reset: false };
}

/** A counter's value from an instant query: no element reads as 0 (no series yet, nothing counted). */
export function counterValue(samples: readonly Sample[]): { value: number } | { problem: string } {
  if (samples.length > 1) {
    const shown = samples
      .slice(0, 3)
      .map((sample) => JSON.stringify(sample.labels))
      .join(", ");
    return {
      problem:
        `returned ${samples.length} series (${shown}${samples.length > 3 ? ", ..." : ""}); ` +
        "a counter query must return a scalar or one element: wrap it in sum(...)",
    };
  }
  const value = samples[0]?.value ?? 0;
  if (!Number.isFinite(value) || value < 0)
    return { problem: `returned ${value}, not a counter value (finite, 0 or more)` };
  return { value };
}

/** Cumulative histogram counts, by bucket upper bound in increasing order (the last is +Inf). */
export interface Buckets {
  le: number[];
  counts: number[];
}

function parseLe(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === "+Inf" || text === "Inf" || text === "inf") return Number.POSITIVE_INFINITY;
  const value = Number(text);
  return text.trim() !== "" && Number.isFinite(value) ? value : undefined;
}

/**
 * The buckets of an instant query over Prometheus histogram bucket counters: one element per `le`,
 * a +Inf bucket among them. No element at all is an empty histogram (no observations yet).
 */
export function histogramBuckets(samples: readonly Sample[]): Buckets | { problem: string } {
  if (samples.length === 0) return { le: [], counts: [] };
  const byLe = new Map<number, number>();
  for (const sample of samples) {
    const le = parseLe(sample.labels.le);
    if (le === undefined)
      return {
        problem:
          `returned a series without a bucket label le (${JSON.stringify(sample.labels)}): ` +
          "query the _bucket counters, e.g. sum by (le) (http_request_duration_seconds_bucket{...})",
      };
    if (byLe.has(le))
      return {
        problem: `returned more than one series for le="${sample.labels.le}": aggregate with sum by (le) (...)`,
      };
    if (!Number.isFinite(sample.value) || sample.value < 0)
      return {
        problem: `returned ${sample.value} for le="${sample.labels.le}", not a counter value`,
      };
    byLe.set(le, sample.value);
  }
  if (!byLe.has(Number.POSITIVE_INFINITY))
    return { problem: 'has no le="+Inf" bucket, so the number of observations is unknown' };
  const le = [...byLe.keys()].sort((a, b) => a - b);
  return { le, counts: le.map((bound) => byLe.get(bound) ?? 0) };
}

/** Why two sides' buckets cannot be compared, or undefined when their bounds are the same. */
export function bucketMismatch(canary: Buckets, baseline: Buckets): string | undefined {
  if (canary.le.length === 0 || baseline.le.length === 0) return undefined;
  const same =
    canary.le.length === baseline.le.length &&
    canary.le.every((bound, index) => bound === baseline.le[index]);
  if (same) return undefined;
  const show = (buckets: Buckets) => buckets.le.map(String).join(", ");
  return `the canary's buckets (le ${show(canary)}) differ from the baseline's (le ${show(baseline)})`;
}

/**
 * Increases of every bucket between two readings, each bucket's counter on its own as Prometheus
 * does; a histogram that was empty before counts from zero. Returns the number of resets seen.
 */
export function bucketIncrease(
  previous: Buckets,
  current: Buckets,
): { counts: number[]; resets: number } {
  let resets = 0;
  const counts = current.counts.map((count, index) => {
    const bound = current.le[index];
    const before = previous.le.indexOf(bound ?? Number.NaN);
    const step = counterIncrease(before >= 0 ? (previous.counts[before] ?? 0) : 0, count);
    if (step.reset) resets += 1;
    return step.increase;
  });
  return { counts, resets };
}

/**
 * The q-quantile of cumulative bucket counts as histogram_quantile() computes it: linear within
 * the bucket that holds it, from 0 for the first bucket; in the +Inf bucket, the highest finite
 * bound. Null without observations.
 */
export function bucketQuantile(q: number, buckets: Buckets): number | null {
  const total = buckets.counts[buckets.counts.length - 1] ?? 0;
  if (total <= 0 || buckets.le.length < 2) return null;
  const rank = q * total;
  let index = buckets.counts.findIndex((count) => count >= rank);
  if (index < 0) index = buckets.counts.length - 1;
  const upper = buckets.le[index] ?? Number.POSITIVE_INFINITY;
  if (upper === Number.POSITIVE_INFINITY) return buckets.le[buckets.le.length - 2] ?? null;
  const lower = index === 0 ? Math.min(0, upper) : (buckets.le[index - 1] ?? 0);
  const below = index === 0 ? 0 : (buckets.counts[index - 1] ?? 0);
  const inside = (buckets.counts[index] ?? 0) - below;
  if (inside <= 0) return upper;
  return lower + ((upper - lower) * (rank - below)) / inside;
}
