// Evaluates the simulator's PromQL subset at one time over a sample source, with Prometheus 2.x's
// semantics (the version the lab runs): instant selectors take the latest sample in the 5m
// lookback, ranges are closed [t - range, t], rate() and increase() extrapolate as Prometheus's
// extrapolatedRate does and handle counter resets, histogram_quantile interpolates within buckets.
import type { AggregateOp, BinaryOp, Expr, Matcher } from "./promql.js";
import { labelsKey, lowerBound, type Labels, type SampleSource } from "./store.js";

export interface Sample {
  labels: Labels;
  value: number;
}
export type Value = { type: "scalar"; value: number } | { type: "vector"; samples: Sample[] };

export interface EvaluationOptions {
  /** Multiplies every duration written in the query (ranges): the simulator's speed-up. */
  durationScale?: number;
  lookbackDeltaMs?: number;
}

/** A query that parses but cannot be evaluated (Prometheus's `execution` errors). */
export class EvaluationError extends Error {}

const LOOKBACK_DELTA_MS = 5 * 60_000;

const withoutName = (labels: Labels): Labels => {
  const rest: Record<string, string> = { ...labels };
  delete rest.__name__;
  return rest;
};

interface Context {
  source: SampleSource;
  scale: number;
  lookback: number;
}

/** The value of `expr` at virtual time `at` (milliseconds). */
export function evaluate(
  expr: Expr,
  at: number,
  source: SampleSource,
  options: EvaluationOptions = {},
): Value {
  const context = {
    source,
    scale: options.durationScale ?? 1,
    lookback: options.lookbackDeltaMs ?? LOOKBACK_DELTA_MS,
  };
  return evaluateAt(expr, at, context);
}

function evaluateAt(expr: Expr, at: number, context: Context): Value {
  switch (expr.kind) {
    case "number":
      return { type: "scalar", value: expr.value };
    case "selector":
      return { type: "vector", samples: instantSelector(expr.matchers, at, context) };
    case "range":
      throw new EvaluationError("a range vector cannot be the result of an expression here");
    case "negate": {
      const inner = evaluateAt(expr.arg, at, context);
      return inner.type === "scalar"
        ? { type: "scalar", value: -inner.value }
        : {
            type: "vector",
            samples: inner.samples.map((s) => ({ labels: withoutName(s.labels), value: -s.value })),
          };
    }
    case "call":
      return call(expr, at, context);
    case "aggregate":
      return {
        type: "vector",
        samples: aggregateSamples(expr, vectorOf(evaluateAt(expr.arg, at, context))),
      };
    case "binary":
      return binary(
        expr.op,
        evaluateAt(expr.left, at, context),
        evaluateAt(expr.right, at, context),
      );
  }
}

function vectorOf(value: Value): Sample[] {
  if (value.type !== "vector")
    throw new EvaluationError("expected an instant vector, got a scalar");
  return value.samples;
}

function instantSelector(matchers: readonly Matcher[], at: number, context: Context): Sample[] {
  const samples: Sample[] = [];
  for (const series of context.source.select(matchers, at)) {
    const index = lowerBound(series.times, at + 1) - 1;
    if (index < 0 || series.times[index]! < at - context.lookback) continue;
    samples.push({ labels: series.labels, value: series.values[index]! });
  }
  return samples;
}

function call(expr: Expr & { kind: "call" }, at: number, context: Context): Value {
  const [first, second] = expr.args;
  switch (expr.name) {
    case "rate":
    case "increase":
      return {
        type: "vector",
        samples: extrapolatedRates(
          first as Expr & { kind: "range" },
          at,
          context,
          expr.name === "rate",
        ),
      };
    case "vector": {
      const value = evaluateAt(first!, at, context);
      if (value.type !== "scalar") throw new EvaluationError("vector() takes a scalar");
      return { type: "vector", samples: [{ labels: {}, value: value.value }] };
    }
    case "scalar": {
      const samples = vectorOf(evaluateAt(first!, at, context));
      return { type: "scalar", value: samples.length === 1 ? samples[0]!.value : Number.NaN };
    }
    case "histogram_quantile": {
      const q = evaluateAt(first!, at, context);
      if (q.type !== "scalar")
        throw new EvaluationError("histogram_quantile() takes a scalar first");
      return {
        type: "vector",
        samples: histogramQuantiles(q.value, vectorOf(evaluateAt(second!, at, context))),
      };
    }
  }
}

/**
 * rate() and increase() as Prometheus's extrapolatedRate: the increase between the first and last
 * sample in the range (resets add the value before the drop), extrapolated to the range's edges
 * when the samples reach within 1.1 average intervals of them (half an interval otherwise), never
 * before the counter's zero point.
 */
function extrapolatedRates(
  range: Expr & { kind: "range" },
  at: number,
  context: Context,
  isRate: boolean,
): Sample[] {
  const rangeMs = range.rangeMs * context.scale;
  const start = at - rangeMs;
  const results: Sample[] = [];
  for (const series of context.source.select(range.matchers, at)) {
    const from = lowerBound(series.times, start);
    const to = lowerBound(series.times, at + 1);
    if (to - from < 2) continue;
    const times = series.times;
    const values = series.values;
    let increase = values[to - 1]! - values[from]!;
    for (let index = from + 1; index < to; index++)
      if (values[index]! < values[index - 1]!) increase += values[index - 1]!;
    const sampled = (times[to - 1]! - times[from]!) / 1000;
    const average = sampled / (to - from - 1);
    let toStart = (times[from]! - start) / 1000;
    let toEnd = (at - times[to - 1]!) / 1000;
    if (toStart >= average * 1.1) toStart = average / 2;
    if (increase > 0 && values[from]! >= 0) {
      const toZero = sampled * (values[from]! / increase);
      if (toZero < toStart) toStart = toZero;
    }
    if (toEnd >= average * 1.1) toEnd = average / 2;
    let factor = (sampled + toStart + toEnd) / sampled;
    if (isRate) factor /= rangeMs / 1000;
    results.push({ labels: withoutName(series.labels), value: increase * factor });
  }
  return results;
}

/** histogram_quantile over classic buckets, grouped by every label but `le` (Prometheus 2.x). */
export function histogramQuantiles(q: number, samples: readonly Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: { upper: number; count: number }[] }>();
  for (const sample of samples) {
    const le = sample.labels.le;
    if (le === undefined) continue;
    const upper = le === "+Inf" ? Infinity : Number(le);
    if (Number.isNaN(upper) && le !== "NaN") continue;
    const labels: Record<string, string> = { ...withoutName(sample.labels) };
    delete labels.le;
    const key = labelsKey(labels);
    const group = groups.get(key) ?? { labels, buckets: [] };
    group.buckets.push({ upper, count: sample.value });
    groups.set(key, group);
  }
  return [...groups.values()].map(({ labels, buckets }) => ({
    labels,
    value: bucketQuantile(q, buckets),
  }));
}

function bucketQuantile(q: number, unsorted: { upper: number; count: number }[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...unsorted].sort((a, b) => a.upper - b.upper);
  if (sorted.at(-1)?.upper !== Infinity) return Number.NaN;
  const buckets: { upper: number; count: number }[] = [];
  for (const bucket of sorted) {
    const last = buckets.at(-1);
    if (last && last.upper === bucket.upper) last.count += bucket.count;
    else buckets.push({ ...bucket });
  }
  let max = -Infinity;
  for (const bucket of buckets) {
    if (bucket.count > max) max = bucket.count;
    else if (bucket.count < max) bucket.count = max;
  }
  if (buckets.length < 2) return Number.NaN;
  const observations = buckets.at(-1)!.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = buckets.findIndex((bucket, index) => index < buckets.length - 1 && bucket.count >= rank);
  if (b < 0) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upper;
  if (b === 0 && buckets[0]!.upper <= 0) return buckets[0]!.upper;
  let bucketStart = 0;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upper;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (buckets[b]!.upper - bucketStart) * (rank / count);
}

function groupLabels(
  labels: Labels,
  without: boolean,
  names: readonly string[] | undefined,
): Labels {
  if (!names) return {};
  if (without) {
    const kept: Record<string, string> = { ...withoutName(labels) };
    for (const name of names) delete kept[name];
    return kept;
  }
  const kept: Record<string, string> = {};
  for (const name of names) if (labels[name] !== undefined) kept[name] = labels[name];
  return kept;
}

const FOLD: Readonly<Record<AggregateOp, (values: number[]) => number>> = {
  sum: (values) => values.reduce((total, value) => total + value, 0),
  avg: (values) => values.reduce((total, value) => total + value, 0) / values.length,
  min: (values) => values.reduce((low, value) => (value < low || Number.isNaN(low) ? value : low)),
  max: (values) =>
    values.reduce((high, value) => (value > high || Number.isNaN(high) ? value : high)),
  count: (values) => values.length,
};

function aggregateSamples(
  expr: Expr & { kind: "aggregate" },
  samples: readonly Sample[],
): Sample[] {
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const sample of samples) {
    const labels = groupLabels(sample.labels, expr.without, expr.labels);
    const key = labelsKey(labels);
    const group = groups.get(key) ?? { labels, values: [] };
    group.values.push(sample.value);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ labels, values }) => ({
    labels,
    value: FOLD[expr.op](values),
  }));
}

const ARITHMETIC: Readonly<Record<string, (a: number, b: number) => number>> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
};

function binary(op: BinaryOp, left: Value, right: Value): Value {
  if (op === "or" || op === "and" || op === "unless")
    return setOperation(op, vectorOf(left), vectorOf(right));
  const apply = ARITHMETIC[op]!;
  if (left.type === "scalar" && right.type === "scalar")
    return { type: "scalar", value: apply(left.value, right.value) };
  if (left.type === "scalar" || right.type === "scalar") {
    const scalar = left.type === "scalar" ? left.value : (right as { value: number }).value;
    const vector = left.type === "vector" ? left.samples : (right as { samples: Sample[] }).samples;
    return {
      type: "vector",
      samples: vector.map((sample) => ({
        labels: withoutName(sample.labels),
        value: left.type === "scalar" ? apply(scalar, sample.value) : apply(sample.value, scalar),
      })),
    };
  }
  return { type: "vector", samples: oneToOne(apply, left.samples, right.samples) };
}

/** Vector-vector arithmetic, one-to-one on every label but the name, as Prometheus matches it. */
function oneToOne(
  apply: (a: number, b: number) => number,
  left: readonly Sample[],
  right: readonly Sample[],
): Sample[] {
  const rights = new Map<string, Sample>();
  for (const sample of right) {
    const key = labelsKey(withoutName(sample.labels));
    if (rights.has(key))
      throw new EvaluationError(
        `found duplicate series for the match group ${key} on the right hand-side of the operation`,
      );
    rights.set(key, sample);
  }
  const seen = new Set<string>();
  const results: Sample[] = [];
  for (const sample of left) {
    const labels = withoutName(sample.labels);
    const key = labelsKey(labels);
    const match = rights.get(key);
    if (!match) continue;
    if (seen.has(key))
      throw new EvaluationError(
        `multiple matches for labels ${key}: many-to-one matching must be explicit (group_left/group_right)`,
      );
    seen.add(key);
    results.push({ labels, value: apply(sample.value, match.value) });
  }
  return results;
}

function setOperation(
  op: "or" | "and" | "unless",
  left: readonly Sample[],
  right: readonly Sample[],
): Value {
  const signature = (sample: Sample) => labelsKey(withoutName(sample.labels));
  const leftKeys = new Set(left.map(signature));
  const rightKeys = new Set(right.map(signature));
  if (op === "or")
    return {
      type: "vector",
      samples: [...left, ...right.filter((s) => !leftKeys.has(signature(s)))],
    };
  const keep = op === "and";
  return {
    type: "vector",
    samples: left.filter((sample) => rightKeys.has(signature(sample)) === keep),
  };
}
