// The simulator's time series database: labelled series of (virtual time, value) samples in time
// order, selected by PromQL label matchers.
import type { Matcher } from "./promql.js";

export type Labels = Readonly<Record<string, string>>;

export interface StoredSeries {
  labels: Labels;
  /** Sample times, virtual milliseconds, ascending. */
  times: number[];
  values: number[];
}

/** Where the evaluator reads samples: every series matching, with samples up to `until`. */
export interface SampleSource {
  select(matchers: readonly Matcher[], until: number): readonly StoredSeries[];
}

/** A label set's identity: its pairs sorted by name. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const regexCache = new Map<string, RegExp>();

/** Whether a label value satisfies a matcher (regexes anchored at both ends, as Prometheus does). */
export function matches(matcher: Matcher, value: string | undefined): boolean {
  const actual = value ?? "";
  switch (matcher.op) {
    case "=":
      return actual === matcher.value;
    case "!=":
      return actual !== matcher.value;
    default: {
      let regex = regexCache.get(matcher.value);
      if (!regex) {
        regex = new RegExp(`^(?:${matcher.value})$`, "s");
        regexCache.set(matcher.value, regex);
      }
      return regex.test(actual) === (matcher.op === "=~");
    }
  }
}

/** Index of the first time >= `time` (times ascending). */
export function lowerBound(times: readonly number[], time: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle]! < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

export class SeriesStore implements SampleSource {
  private readonly series = new Map<string, StoredSeries>();

  /** Appends a sample; samples of one series must come in time order. */
  append(labels: Labels, time: number, value: number): void {
    const key = labelsKey(labels);
    let stored = this.series.get(key);
    if (!stored) {
      stored = { labels: { ...labels }, times: [], values: [] };
      this.series.set(key, stored);
    }
    const last = stored.times.at(-1);
    if (last !== undefined && time <= last)
      throw new Error(`out-of-order sample for ${key} at ${time} (last ${last})`);
    stored.times.push(time);
    stored.values.push(value);
  }

  select(matchers: readonly Matcher[]): readonly StoredSeries[] {
    return [...this.series.values()].filter((series) =>
      matchers.every((matcher) => matches(matcher, series.labels[matcher.name])),
    );
  }

  all(): readonly StoredSeries[] {
    return [...this.series.values()];
  }
}
