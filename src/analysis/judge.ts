/**
 * The canary judge: Kayenta's MannWhitneyClassifier (NetflixACAJudge) for one metric. Samples are
 * cleaned (NaN strategy, optional IQR outlier removal), then the Mann-Whitney interval of the shift
 * canary - baseline is compared with a tolerance band around zero, filtered by direction and by an
 * optional effect-size limit on the ratio of means. Pure: numbers in, a labelled verdict out.
 */
import { DEFAULT_CONFIDENCE, mannWhitneySorted, type MannWhitneyTest } from "./mann-whitney.js";

export type ComparisonDirection = "increase" | "decrease" | "either";
export type ComparisonLabel = "Pass" | "High" | "Low" | "NoData";

export interface ComparisonOptions {
  /** Which shift fails the metric: a rise, a fall, or either. */
  direction: ComparisonDirection;
  /** Confidence level of the shift interval. Default 0.98 (Kayenta's). */
  confidence?: number;
  /** Band ±tolerance·|estimate| the interval must clear to count. Default 0.25 (Kayenta's). */
  tolerance?: number;
  /** Limits on mean(canary)/mean(baseline): a High counts only at >= increase, a Low only at <= decrease. */
  effectSize?: { increase?: number; decrease?: number };
  /** NaN and infinite values: dropped (default) or replaced with 0. */
  nanStrategy?: "remove" | "replace";
  /** Outliers: kept (default) or removed by Kayenta's IQR detector. */
  outliers?: "keep" | "remove";
  /** IQR multiple of the outlier fences. Default 3 (Kayenta's). */
  outlierFactor?: number;
  /** Observations each side needs after cleaning. Default 1. */
  minSamples?: number;
  /** Metric name used in the reason, e.g. "p50 latency". */
  label?: string;
}

export interface SideSummary {
  /** Observations left after cleaning. */
  n: number;
  mean: number;
  median: number;
  /** NaN or infinite values dropped (nanStrategy remove) or replaced with 0 (replace). */
  removedNaN: number;
  replacedNaN: number;
  /** Values outside the outlier fences (outliers remove). */
  removedOutliers: number;
}

/** The Mann-Whitney figures a comparison reports. */
export type ComparisonTest = Pick<
  MannWhitneyTest,
  "u" | "pValue" | "lower" | "upper" | "estimate" | "confidence"
>;

export interface ComparisonResult {
  label: ComparisonLabel;
  reason: string;
  canary: SideSummary;
  baseline: SideSummary;
  test?: ComparisonTest;
  /** mean(canary) / mean(baseline); NaN when the baseline mean is 0 and the canary's is not. */
  effectSize: number;
  /** The tolerance band ±tolerance·|estimate| the interval is compared with. */
  bounds?: { lower: number; upper: number };
}

export const DEFAULT_TOLERANCE = 0.25;
export const DEFAULT_OUTLIER_FACTOR = 3;

/** Judges canary against baseline for one metric. Throws RangeError on options no config can hold. */
export function classifyComparison(
  canary: readonly number[],
  baseline: readonly number[],
  options: ComparisonOptions,
): ComparisonResult {
  checkOptions(options);
  const canarySide = prepareSide(canary, options);
  const baselineSide = prepareSide(baseline, options);
  const sides = { canary: canarySide.summary, baseline: baselineSide.summary };
  const x = canarySide.sorted;
  const y = baselineSide.sorted;
  const effectSize = meanRatio(sides.canary.mean, sides.baseline.mean);
  const base = { ...sides, effectSize };

  const minSamples = options.minSamples ?? 1;
  if (x.length === 0 || y.length === 0 || x.length < minSamples || y.length < minSamples) {
    const what = x.length === 0 || y.length === 0 ? "no data after cleaning" : "too few samples";
    return {
      label: "NoData",
      reason: `${what} (canary n=${x.length}, baseline n=${y.length})`,
      ...base,
    };
  }
  if (sameValues(x, y)) {
    return {
      label: "Pass",
      reason: `${describe(options, sides)}: canary and baseline data are identical`,
      ...base,
    };
  }
  if (x[0] === x[x.length - 1] && y[0] === y[y.length - 1] && x[0] === y[0]) {
    return { label: "Pass", reason: `every canary and baseline value is ${show(x[0]!)}`, ...base };
  }

  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const result = mannWhitneySorted(x, y, { confidence });
  if (result.kind === "degenerate") return { label: "NoData", reason: result.message, ...base };
  const test: ComparisonTest = {
    u: result.u,
    pValue: result.pValue,
    lower: result.lower,
    upper: result.upper,
    estimate: result.estimate,
    confidence,
  };
  const band = (options.tolerance ?? DEFAULT_TOLERANCE) * Math.abs(test.estimate);
  const bounds = { lower: -band, upper: band };
  const verdict = decide(test, bounds, effectSize, options);
  return {
    label: verdict.label,
    reason: `${describe(options, sides)}: ${verdict.reason}`,
    ...base,
    test,
    bounds,
  };
}

function checkOptions(options: ComparisonOptions): void {
  const { tolerance, minSamples, outlierFactor } = options;
  if (tolerance !== undefined && !(tolerance >= 0))
    throw new RangeError(`tolerance must be >= 0, got ${tolerance}`);
  if (minSamples !== undefined && !(Number.isInteger(minSamples) && minSamples >= 1)) {
    throw new RangeError(`minSamples must be an integer >= 1, got ${minSamples}`);
  }
  if (outlierFactor !== undefined && !(outlierFactor > 0)) {
    throw new RangeError(`outlierFactor must be > 0, got ${outlierFactor}`);
  }
}

/**
 * Kayenta's rules: High when the interval lies above +band, Low when below -band, each only in a
 * direction that fails the metric and only when the mean ratio reaches the effect-size limit (a
 * ratio that cannot be computed does not hold a verdict back, as in Kayenta).
 */
function decide(
  test: ComparisonTest,
  bounds: { lower: number; upper: number },
  effectSize: number,
  options: ComparisonOptions,
): { label: ComparisonLabel; reason: string } {
  const interval = `${percent(test.confidence)} interval of the shift [${show(test.lower)}, ${show(test.upper)}]`;
  const tolerance = percent(options.tolerance ?? DEFAULT_TOLERANCE);
  const shift =
    test.lower > bounds.upper ? "increase" : test.upper < bounds.lower ? "decrease" : undefined;
  if (shift === undefined) {
    return {
      label: "Pass",
      reason: `${interval} reaches within ±${tolerance} of the estimate (±${show(bounds.upper)})`,
    };
  }
  const label = shift === "increase" ? "High" : "Low";
  const side = shift === "increase" ? `above +${tolerance}` : `below -${tolerance}`;
  const edge = shift === "increase" ? bounds.upper : bounds.lower;
  const found = `${interval} lies ${side} of the estimate (${show(edge)})`;
  if (options.direction !== "either" && options.direction !== shift) {
    return {
      label: "Pass",
      reason: `${found}, but only a${options.direction === "increase" ? "n increase" : " decrease"} fails this metric`,
    };
  }
  const limit = shift === "increase" ? options.effectSize?.increase : options.effectSize?.decrease;
  const reached =
    limit === undefined ||
    Number.isNaN(effectSize) ||
    (shift === "increase" ? effectSize >= limit : effectSize <= limit);
  if (!reached) {
    const relation = shift === "increase" ? "<" : ">";
    return {
      label: "Pass",
      reason:
        "significant but below the effect size limit: " +
        `mean ratio ${show(effectSize)} ${relation} ${limit}; ${found}`,
    };
  }
  return { label, reason: found };
}

/**
 * Ratio of means. A zero baseline mean leaves it undefined (NaN) unless the canary's is zero too
 * (ratio 1): the test alone then decides, as Kayenta does with a ratio it cannot compute.
 */
function meanRatio(canaryMean: number, baselineMean: number): number {
  if (baselineMean === 0) return canaryMean === 0 ? 1 : NaN;
  return canaryMean / baselineMean;
}

/** One side after cleaning, sorted ascending, with its summary. */
function prepareSide(
  values: readonly number[],
  options: ComparisonOptions,
): { sorted: Float64Array; summary: SideSummary } {
  const replace = options.nanStrategy === "replace";
  const kept = new Float64Array(values.length);
  let size = 0;
  let invalid = 0;
  for (const value of values) {
    if (Number.isFinite(value)) kept[size++] = value;
    else {
      invalid++;
      if (replace) kept[size++] = 0;
    }
  }
  const cleaned = kept.subarray(0, size).sort();
  const sorted =
    options.outliers === "remove"
      ? withoutOutliers(cleaned, options.outlierFactor ?? DEFAULT_OUTLIER_FACTOR)
      : cleaned;
  const summary: SideSummary = {
    n: sorted.length,
    mean: mean(sorted),
    median: percentile(sorted, 50),
    removedNaN: replace ? 0 : invalid,
    replacedNaN: replace ? invalid : 0,
    removedOutliers: cleaned.length - sorted.length,
  };
  return { sorted, summary };
}

/**
 * Kayenta's IQRDetector with reduced sensitivity: fences at the wider of Q1 - f·IQR and the 1st
 * percentile, and of Q3 + f·IQR and the 99th. On sorted data the survivors are one contiguous run.
 */
function withoutOutliers(sorted: Float64Array, factor: number): Float64Array {
  if (sorted.length === 0) return sorted;
  const q1 = percentile(sorted, 25);
  const q3 = percentile(sorted, 75);
  const lowerFence = Math.min(percentile(sorted, 1), q1 - factor * (q3 - q1));
  const upperFence = Math.max(percentile(sorted, 99), q3 + factor * (q3 - q1));
  let start = 0;
  let end = sorted.length;
  while (start < end && sorted[start]! < lowerFence) start++;
  while (end > start && sorted[end - 1]! > upperFence) end--;
  return sorted.subarray(start, end);
}

/**
 * Percentile as Apache Commons Math's StatUtils computes it by default (Kayenta's): position
 * p(n + 1)/100, linear between neighbours, clamped to the extremes (Hyndman-Fan type 6).
 */
function percentile(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const position = (p * (n + 1)) / 100;
  if (position < 1) return sorted[0]!;
  if (position >= n) return sorted[n - 1]!;
  const below = Math.floor(position);
  const lower = sorted[below - 1]!;
  return lower + (position - below) * (sorted[below]! - lower);
}

function mean(values: Float64Array): number {
  let total = 0;
  for (const value of values) total += value;
  return values.length === 0 ? NaN : total / values.length;
}

function sameValues(x: Float64Array, y: Float64Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** "canary p50 latency 0.182 vs baseline 0.101": the medians that were compared. */
function describe(
  options: ComparisonOptions,
  sides: { canary: SideSummary; baseline: SideSummary },
): string {
  const metric = options.label ? ` ${options.label}` : "";
  return `canary${metric} ${show(sides.canary.median)} vs baseline ${show(sides.baseline.median)}`;
}

/** Three significant digits, without trailing zeros. */
const show = (value: number): string => String(Number(value.toPrecision(3)));
const percent = (fraction: number): string => `${Number((fraction * 100).toPrecision(3))}%`;
