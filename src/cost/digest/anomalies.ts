// Days far outside their trailing baseline: a modified z-score (median and MAD) per day.

export interface AnomalyMethod {
  /** Days before each day that form its baseline (days without data are skipped). */
  baselineDays: number;
  /** Fewest days with data a baseline needs before a day is judged. */
  minimumBaseline: number;
  /** |modified z-score| above which a day is an anomaly. */
  threshold: number;
}

/** Iglewicz and Hoaglin's modified z-score with their 3.5 cut-off, on a two-week trailing window. */
export const DEFAULT_ANOMALY_METHOD: AnomalyMethod = {
  baselineDays: 14,
  minimumBaseline: 7,
  threshold: 3.5,
};

export interface DayValue {
  day: number;
  /** Undefined when the day has no data at all (not the same as a zero cost). */
  value: number | undefined;
}

export interface Anomaly {
  day: number;
  value: number;
  median: number;
  score: number;
  direction: "spike" | "drop";
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The modified z-score of `value` against `baseline`: 0.6745 (x - median) / MAD. When the MAD is
 * zero (over half the baseline identical), the mean absolute deviation stands in, scaled by
 * 1.2533 so both estimate the same spread; when that is zero too, any other value is infinitely far.
 */
export function modifiedZScore(
  value: number,
  baseline: readonly number[],
): { score: number; median: number } {
  const middle = median(baseline);
  const deviations = baseline.map((item) => Math.abs(item - middle));
  const mad = median(deviations);
  const difference = value - middle;
  if (mad > 0) return { score: (0.6745 * difference) / mad, median: middle };
  const meanDeviation = deviations.reduce((sum, item) => sum + item, 0) / deviations.length;
  if (meanDeviation > 0) return { score: difference / (1.253314 * meanDeviation), median: middle };
  return { score: difference === 0 ? 0 : difference > 0 ? Infinity : -Infinity, median: middle };
}

/**
 * Judges each day of `series` from `firstJudged` on against the days with data among the
 * `baselineDays` before it. `series` must include those earlier days.
 */
export function detectAnomalies(
  series: readonly DayValue[],
  firstJudged: number,
  method: AnomalyMethod = DEFAULT_ANOMALY_METHOD,
): Anomaly[] {
  const byDay = new Map(series.map((item) => [item.day, item.value]));
  const anomalies: Anomaly[] = [];
  for (const { day, value } of series) {
    if (day < firstJudged || value === undefined) continue;
    const baseline: number[] = [];
    for (let earlier = day - method.baselineDays; earlier < day; earlier++) {
      const before = byDay.get(earlier);
      if (before !== undefined) baseline.push(before);
    }
    if (baseline.length < method.minimumBaseline) continue;
    const { score, median: middle } = modifiedZScore(value, baseline);
    if (Math.abs(score) > method.threshold)
      anomalies.push({
        day,
        value,
        median: middle,
        score,
        direction: score > 0 ? "spike" : "drop",
      });
  }
  return anomalies;
}
