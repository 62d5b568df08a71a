// One round of a sequential metric: read its raw counters with instant queries, add the increases
// since the previous reading as one interval of data, and run the anytime-valid test on every
// interval so far. The readings live in a memory the gate keeps for the analysis.
import {
  bucketIncrease,
  bucketMismatch,
  counterIncrease,
  counterValue,
  histogramBuckets,
} from "./counters.js";
import type { Buckets } from "./counters.js";
import type { CounterQueries, SequentialMetric, SequentialTest } from "./definitions.js";
import { HistogramSequence, type QuantileShift } from "./histogram-test.js";
import { QueryError, type MetricsProvider } from "./provider.js";
import { RatioSequence } from "./sequential.js";

/** An answer of the wrong shape for a sequential metric: a mistake in its queries, not a passing fault. */
export class ShapeError extends QueryError {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

type RateSides = {
  canary: { events: number; total: number };
  baseline: { events: number; total: number };
};
type HistogramSides = { canary: Buckets; baseline: Buckets };

/** What a sequential metric has read so far. */
type SequentialState =
  | { kind: "rate"; last?: RateSides; intervals: number; test: RatioSequence; resets: Resets }
  | {
      kind: "histogram";
      last?: HistogramSides;
      intervals: number;
      test: HistogramSequence;
      resets: Resets;
    };

interface Resets {
  canary: number;
  baseline: number;
}

/** The readings of every sequential metric of one analysis, by metric name. */
export type SequentialMemory = Map<string, SequentialState>;

/** The test's state after a round, as the summary and the JSON report show it. */
export interface SequentialDetail {
  kind: "rate" | "histogram";
  /** The evidence against the canary so far; the test rejects once it reaches `threshold` (1/alpha). */
  eValue: number;
  threshold: number;
  /** Intervals of data so far (rounds after the first reading). */
  intervals: number;
  /** Events per side (rate), or observations per side (histogram). */
  events: { canary: number; baseline: number };
  /** Exposure per side (rate: the total counters' increases). */
  exposure?: { canary: number; baseline: number };
  /**
   * Rate: the canary's rate over the baseline's. Histogram: the same for the share of
   * observations above `le`, the bucket bound where the evidence is strongest.
   */
  estimate: number | null;
  /** Anytime-valid bounds for the estimate, each at level 1 - alpha at every round at once. */
  lower: number | null;
  upper: number | null;
  le?: number;
  canaryShare?: number | null;
  baselineShare?: number | null;
  quantiles?: QuantileShift[];
  /** Whether min-events (and traffic on both sides) were seen: a pass needs it. */
  enough: boolean;
  /** Counter resets seen so far per side, each handled as Prometheus's increase() does. */
  resets: Resets;
}

export interface SequentialOutcome {
  phase: "Running" | "Failed";
  reason: string;
  sequential: SequentialDetail;
}

export const newSequentialMemory = (): SequentialMemory => new Map();

const show = (value: number | null | undefined): string =>
  value === null || value === undefined
    ? "n/a"
    : Number.isFinite(value)
      ? String(Number(value.toPrecision(3)))
      : String(value);
const percent = (value: number | null | undefined): string =>
  value === null || value === undefined ? "n/a" : `${show(value * 100)}%`;

async function readCounter(provider: MetricsProvider, query: string, at: Date, what: string) {
  const read = counterValue(await provider.instant(query, at));
  if ("problem" in read) throw new ShapeError(`the ${what} query ${read.problem}`);
  return read.value;
}

/** Both sides' four counters, each a scalar or one element. */
export async function readRate(
  sides: { canary: CounterQueries; baseline: CounterQueries },
  provider: MetricsProvider,
  at: Date,
): Promise<RateSides> {
  const [canaryEvents, canaryTotal, baselineEvents, baselineTotal] = await Promise.all([
    readCounter(provider, sides.canary.events, at, "canary events"),
    readCounter(provider, sides.canary.total, at, "canary total"),
    readCounter(provider, sides.baseline.events, at, "baseline events"),
    readCounter(provider, sides.baseline.total, at, "baseline total"),
  ]);
  return {
    canary: { events: canaryEvents, total: canaryTotal },
    baseline: { events: baselineEvents, total: baselineTotal },
  };
}

/** Both sides' buckets, checked: `le` on every series, a +Inf bucket, the same bounds on both sides. */
export async function readHistogram(
  queries: { canary: string; baseline: string },
  provider: MetricsProvider,
  at: Date,
): Promise<HistogramSides> {
  const [canarySamples, baselineSamples] = await Promise.all([
    provider.instant(queries.canary, at),
    provider.instant(queries.baseline, at),
  ]);
  const canary = histogramBuckets(canarySamples);
  if ("problem" in canary) throw new ShapeError(`the canary query ${canary.problem}`);
  const baseline = histogramBuckets(baselineSamples);
  if ("problem" in baseline) throw new ShapeError(`the baseline query ${baseline.problem}`);
  const mismatch = bucketMismatch(canary, baseline);
  if (mismatch) throw new ShapeError(mismatch);
  return { canary, baseline };
}

function stateFor(memory: SequentialMemory, metric: SequentialMetric): SequentialState {
  let state = memory.get(metric.name);
  if (!state) {
    const resets = { canary: 0, baseline: 0 };
    const { judge } = metric;
    state =
      judge.kind === "rate"
        ? {
            kind: "rate",
            intervals: 0,
            resets,
            test: new RatioSequence({
              nullRatio: 1 + judge.tolerance,
              alpha: judge.alpha,
              direction: "increase",
            }),
          }
        : {
            kind: "histogram",
            intervals: 0,
            resets,
            test: new HistogramSequence({ alpha: judge.alpha, direction: judge.direction }),
          };
    memory.set(metric.name, state);
  }
  return state;
}

/** Adds the increases since the last reading as one interval (none at the first reading). */
function addRateReading(state: SequentialState & { kind: "rate" }, reading: RateSides): void {
  const last = state.last;
  state.last = reading;
  if (!last) return;
  const step = (side: "canary" | "baseline", key: "events" | "total") => {
    const increase = counterIncrease(last[side][key], reading[side][key]);
    if (increase.reset) state.resets[side] += 1;
    return increase.increase;
  };
  state.intervals += 1;
  state.test.add({
    canaryEvents: step("canary", "events"),
    canaryTotal: step("canary", "total"),
    baselineEvents: step("baseline", "events"),
    baselineTotal: step("baseline", "total"),
  });
}

function addHistogramReading(
  state: SequentialState & { kind: "histogram" },
  reading: HistogramSides,
): void {
  const last = state.last;
  state.last = reading;
  if (!last) return;
  const side = (name: "canary" | "baseline"): Buckets => {
    const { counts, resets } = bucketIncrease(last[name], reading[name]);
    if (resets > 0) state.resets[name] += 1;
    return { le: reading[name].le, counts };
  };
  state.intervals += 1;
  state.test.add({ canary: side("canary"), baseline: side("baseline") });
}

function resetNote(resets: Resets): string {
  const total = resets.canary + resets.baseline;
  if (total === 0) return "";
  return (
    `; counter reset seen (canary ${resets.canary}, baseline ${resets.baseline}): ` +
    "the value after a reset counted as the increase, as Prometheus's increase() does"
  );
}

function rateOutcome(
  test: SequentialTest & { kind: "rate" },
  state: SequentialState & { kind: "rate" },
): SequentialOutcome {
  const result = state.test.result();
  const { events, exposure } = result;
  const traffic = exposure.canary > 0 && exposure.baseline > 0;
  const detail: SequentialDetail = {
    kind: "rate",
    eValue: result.eValue,
    threshold: 1 / test.alpha,
    intervals: state.intervals,
    events,
    exposure,
    estimate: result.estimate,
    lower: result.interval.lower,
    upper: result.interval.upper,
    enough: traffic && events.canary + events.baseline >= test.minEvents,
    resets: { ...state.resets },
  };
  const rate = (side: "canary" | "baseline") =>
    exposure[side] > 0 ? percent(events[side] / exposure[side]) : "n/a (no traffic)";
  const seen =
    `canary ${rate("canary")} (${show(events.canary)} of ${show(exposure.canary)}) vs baseline ` +
    `${rate("baseline")} (${show(events.baseline)} of ${show(exposure.baseline)}); ` +
    `ratio ${show(result.estimate)}, anytime-valid interval ` +
    `[${show(result.interval.lower)}, ${show(result.interval.upper)}] ` +
    `(each bound ${show(100 * (1 - test.alpha))}%); e-value ${show(result.eValue)}`;
  const margin = test.tolerance > 0 ? ` by more than ${show(test.tolerance * 100)}%` : "";
  if (result.rejected)
    return {
      phase: "Failed",
      sequential: detail,
      reason: `regression: the canary's rate is above the baseline's${margin} (${seen} >= ${show(1 / test.alpha)})`,
    };
  return {
    phase: "Running",
    sequential: detail,
    reason: `no regression so far: ${seen}${resetNote(state.resets)}`,
  };
}

function histogramOutcome(
  test: SequentialTest & { kind: "histogram" },
  state: SequentialState & { kind: "histogram" },
): SequentialOutcome {
  const result = state.test.result();
  const strongest = result.strongest;
  const detail: SequentialDetail = {
    kind: "histogram",
    eValue: result.eValue,
    threshold: 1 / test.alpha,
    intervals: state.intervals,
    events: result.observations,
    estimate: strongest?.test.estimate ?? null,
    lower: strongest ? strongest.test.interval.lower : null,
    upper: strongest ? strongest.test.interval.upper : null,
    ...(strongest
      ? {
          le: strongest.le,
          canaryShare: strongest.canaryShare,
          baselineShare: strongest.baselineShare,
        }
      : {}),
    quantiles: result.quantiles,
    enough: Math.min(result.observations.canary, result.observations.baseline) >= test.minEvents,
    resets: { ...state.resets },
  };
  const moved = result.quantiles
    .map(
      (one) =>
        `p${show(one.q * 100)} ${show(one.canary)} vs ${show(one.baseline)} (${signed(one.change)})`,
    )
    .join(", ");
  const where = strongest
    ? `; above le=${show(strongest.le)}: canary ${percent(strongest.canaryShare)} vs baseline ` +
      `${percent(strongest.baselineShare)}, ratio ${show(strongest.test.estimate)} ` +
      `[${show(strongest.test.interval.lower)}, ${show(strongest.test.interval.upper)}]`
    : "";
  const seen =
    `${show(result.observations.canary)} vs ${show(result.observations.baseline)} observations; ` +
    `${moved}${where}; e-value ${show(result.eValue)}`;
  if (result.rejected) {
    const which = { increase: "slower", decrease: "faster", either: "different" }[test.direction];
    return {
      phase: "Failed",
      sequential: detail,
      reason: `regression: the canary is ${which} than the baseline (${seen} >= ${show(1 / test.alpha)})`,
    };
  }
  return {
    phase: "Running",
    sequential: detail,
    reason: `no regression so far: ${seen}${resetNote(state.resets)}`,
  };
}

function signed(change: number | null): string {
  if (change === null) return "n/a";
  return `${change >= 0 ? "+" : ""}${show(change * 100)}%`;
}

/**
 * Reads the metric's counters at `at` and tests every interval so far. Query errors and answers
 * of the wrong shape throw (the round is an Error measurement; the next reading covers the gap).
 */
export async function measureSequential(
  metric: SequentialMetric,
  provider: MetricsProvider,
  at: Date,
  memory: SequentialMemory,
): Promise<SequentialOutcome> {
  const state = stateFor(memory, metric);
  const test = metric.judge;
  if (test.kind === "rate" && state.kind === "rate") {
    addRateReading(state, await readRate(test.sides, provider, at));
    const outcome = rateOutcome(test, state);
    return state.intervals === 0 ? firstReading(outcome) : outcome;
  }
  if (test.kind === "histogram" && state.kind === "histogram") {
    addHistogramReading(state, await readHistogram(test.sides, provider, at));
    const outcome = histogramOutcome(test, state);
    return state.intervals === 0 ? firstReading(outcome) : outcome;
  }
  throw new Error(`metric ${metric.name}: its readings are of another kind`);
}

function firstReading(outcome: SequentialOutcome): SequentialOutcome {
  return {
    ...outcome,
    phase: "Running",
    reason: "first reading of the counters: increases are counted from here",
  };
}

/**
 * Reads a sequential metric's queries once before the analysis and returns why their answers
 * cannot be tested (more than one series, no `le`, buckets that differ), or undefined. A query
 * that cannot be answered now is left to the rounds, which retry it.
 */
export async function sequentialShapeProblem(
  metric: SequentialMetric,
  provider: MetricsProvider,
  at: Date,
): Promise<string | undefined> {
  try {
    if (metric.judge.kind === "rate") await readRate(metric.judge.sides, provider, at);
    else await readHistogram(metric.judge.sides, provider, at);
    return undefined;
  } catch (error) {
    return error instanceof ShapeError ? error.message : undefined;
  }
}
