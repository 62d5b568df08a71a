// One measurement of one metric at one time: query the provider, judge the answer, and say which
// phase it puts the metric in. Never throws: a failed query is an `Error` measurement.
import type { NoDataPolicy } from "../schema/analysis.js";
import type { ComparisonMetric, PreparedMetric, ThresholdMetric } from "./definitions.js";
import { redactUserinfo } from "./endpoint.js";
import { classifyComparison, type ComparisonLabel } from "./judge.js";
import type { MetricsProvider, Series } from "./provider.js";
import { evaluateThreshold } from "./threshold.js";
import {
  measureSequential,
  newSequentialMemory,
  type SequentialDetail,
  type SequentialMemory,
} from "./sequential-measure.js";

/** A measurement's phase; `Running` is a sequential metric's round that decided nothing yet. */
export type MeasurementPhase = "Successful" | "Failed" | "Inconclusive" | "Error" | "Running";

export interface SideSummary {
  n: number;
  mean: number | null;
  median: number | null;
  removedNaN: number;
  removedOutliers: number;
}

export interface ComparisonDetail {
  label: ComparisonLabel;
  u?: number;
  pValue?: number;
  lower?: number;
  upper?: number;
  estimate?: number;
  confidence?: number;
  effectSize: number | null;
  canary: SideSummary;
  baseline: SideSummary;
}

export interface Measurement {
  metric: string;
  /** 1-based analysis round. */
  round: number;
  /** ISO time the measurement was taken for. */
  at: string;
  phase: MeasurementPhase;
  /** Why, in one sentence a release manager can read. */
  reason: string;
  /** True when the phase came from the metric's on-no-data policy. */
  noData?: boolean;
  query?: string;
  queries?: { canary: string; baseline: string };
  condition?: string;
  /** Threshold checks: the values judged (NaN and infinities as strings in JSON). */
  values?: number[];
  comparison?: ComparisonDetail;
  /** Sequential metrics: the test's state after this round (estimate, interval, e-value). */
  sequential?: SequentialDetail;
  /** Range of a comparison's queries. */
  window?: { start: string; end: string; stepSeconds: number };
  error?: string;
  /** Time spent in the provider, milliseconds. */
  queryMs: number;
}

export type ProviderFor = (metric: PreparedMetric) => MetricsProvider;

const NO_DATA_PHASE: Readonly<Record<NoDataPolicy, MeasurementPhase>> = {
  fail: "Failed",
  inconclusive: "Inconclusive",
  pass: "Successful",
};

function noData(
  policy: NoDataPolicy,
  reason: string,
): Pick<Measurement, "phase" | "reason" | "noData"> {
  return {
    phase: NO_DATA_PHASE[policy],
    reason: `no data: ${reason} (on-no-data: ${policy})`,
    noData: true,
  };
}

/** The phase a judged measurement ends in: by the no-data policy, or passed or failed. */
function judged(
  policy: NoDataPolicy,
  outcome: "no-data" | "pass" | "fail",
  reason: string,
): Pick<Measurement, "phase" | "reason" | "noData"> {
  if (outcome === "no-data") return noData(policy, reason);
  return { phase: outcome === "pass" ? "Successful" : "Failed", reason };
}

/** The metric's resolved queries as measurements report them: an http URL's userinfo hidden. */
function reportedQueries(
  metric: PreparedMetric,
): Pick<Measurement, "query"> | Pick<Measurement, "queries"> {
  if (metric.kind === "threshold") return { query: redactUserinfo(metric.query) };
  const { canary, baseline } = metric.queries;
  return { queries: { canary: redactUserinfo(canary), baseline: redactUserinfo(baseline) } };
}

async function measureThreshold(
  metric: ThresholdMetric,
  provider: MetricsProvider,
  at: Date,
): Promise<Omit<Measurement, "metric" | "round" | "at" | "queryMs">> {
  const samples = await provider.instant(metric.query, at);
  const outcome = evaluateThreshold(metric.threshold, samples, metric.aggregate, metric.element);
  const base = {
    ...reportedQueries(metric),
    condition: metric.threshold.text,
    values: outcome.observed,
  };
  return { ...base, ...judged(metric.onNoData, outcome.kind, outcome.reason) };
}

/** Every point of every series, in time order per series: one sample set per side. */
function values(series: readonly Series[]): number[] {
  return series.flatMap((one) => one.points.map((point) => point.value));
}

async function measureComparison(
  metric: ComparisonMetric,
  provider: MetricsProvider,
  at: Date,
  firstAt: Date,
): Promise<Omit<Measurement, "metric" | "round" | "at" | "queryMs">> {
  const range = {
    start: new Date(firstAt.getTime() - metric.lookbackMs),
    end: at,
    stepSeconds: metric.stepMs / 1000,
  };
  const [canary, baseline] = await Promise.all([
    provider.range(metric.queries.canary, range),
    provider.range(metric.queries.baseline, range),
  ]);
  const result = classifyComparison(values(canary), values(baseline), metric.judge);
  const comparison: ComparisonDetail = {
    label: result.label,
    ...(result.test
      ? {
          u: result.test.u,
          pValue: result.test.pValue,
          lower: result.test.lower,
          upper: result.test.upper,
          estimate: result.test.estimate,
          confidence: result.test.confidence,
        }
      : {}),
    effectSize: Number.isFinite(result.effectSize) ? result.effectSize : null,
    canary: side(result.canary),
    baseline: side(result.baseline),
  };
  const base = {
    ...reportedQueries(metric),
    condition: `canary vs baseline, ${metric.judge.direction}`,
    comparison,
    window: {
      start: range.start.toISOString(),
      end: range.end.toISOString(),
      stepSeconds: range.stepSeconds,
    },
  };
  const outcome = result.label === "NoData" ? "no-data" : result.label === "Pass" ? "pass" : "fail";
  return { ...base, ...judged(metric.onNoData, outcome, result.reason) };
}

function side(summary: {
  n: number;
  mean: number;
  median: number;
  removedNaN: number;
  removedOutliers: number;
}): SideSummary {
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  return {
    n: summary.n,
    mean: finite(summary.mean),
    median: finite(summary.median),
    removedNaN: summary.removedNaN,
    removedOutliers: summary.removedOutliers,
  };
}

/**
 * Measures a metric at `at`. Comparisons judge everything from `lookback` before the first
 * measurement (`firstAt`) up to `at`, so each round sees more data than the last; sequential
 * metrics keep their readings in `memory`, one per analysis.
 */
export async function measureMetric(
  metric: PreparedMetric,
  providerFor: ProviderFor,
  round: number,
  at: Date,
  firstAt: Date,
  now: () => number = Date.now,
  memory: SequentialMemory = newSequentialMemory(),
): Promise<Measurement> {
  const started = now();
  const head = { metric: metric.name, round, at: at.toISOString() };
  try {
    const provider = providerFor(metric);
    const body =
      metric.kind === "threshold"
        ? await measureThreshold(metric, provider, at)
        : metric.method === "sequential"
          ? {
              ...reportedQueries(metric),
              condition: `sequential ${metric.judge.kind}, ${metric.judge.direction}`,
              ...(await measureSequential(metric, provider, at, memory)),
            }
          : await measureComparison(metric, provider, at, firstAt);
    return { ...head, ...body, queryMs: now() - started };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ...head,
      ...reportedQueries(metric),
      phase: "Error",
      reason: `query failed: ${message}`,
      error: message,
      queryMs: now() - started,
    };
  }
}
