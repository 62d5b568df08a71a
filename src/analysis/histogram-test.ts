// The sequential test of a latency histogram: at every finite bucket bound, the observations above
// it are counted events among all observations (exposure), and the canary's share of them is tested
// with the anytime-valid ratio test, one-sided by the direction of a regression. The metric's
// e-value is the mean of the bounds' e-values: a uniform mixture over where the distribution moved,
// itself an e-process (a mean of nonnegative supermartingales is one), so rejecting at 1/alpha keeps
// the false-detection probability at most alpha over the whole analysis.
import { bucketQuantile, type Buckets } from "./counters.js";
import { RatioSequence, type Direction, type RatioTest } from "./sequential.js";

/** One interval of both sides: every bucket's increase, cumulative by bound as Prometheus keeps them. */
export interface HistogramInterval {
  canary: Buckets;
  baseline: Buckets;
}

export interface HistogramTestOptions {
  alpha: number;
  direction: Direction;
}

/** One quantile of both sides over the whole analysis, and the canary's relative change. */
export interface QuantileShift {
  q: number;
  canary: number | null;
  baseline: number | null;
  /** canary / baseline - 1; null when either is unknown or the baseline's is 0. */
  change: number | null;
}

/** The bucket bound where the evidence is strongest: the share of observations above it per side. */
export interface BoundEvidence {
  le: number;
  canaryShare: number | null;
  baselineShare: number | null;
  test: RatioTest;
}

export interface HistogramTest {
  eValue: number;
  rejected: boolean;
  /** Observations per side over the analysis. */
  observations: { canary: number; baseline: number };
  strongest?: BoundEvidence;
  quantiles: QuantileShift[];
}

export const REPORTED_QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;

/** Observations above a bound in one interval of one side (all observations minus the bucket). */
function above(buckets: Buckets, index: number): number {
  const total = buckets.counts[buckets.counts.length - 1] ?? 0;
  return Math.max(0, total - (buckets.counts[index] ?? 0));
}

const observed = (buckets: Buckets) => buckets.counts[buckets.counts.length - 1] ?? 0;

function shift(q: number, canary: Buckets, baseline: Buckets): QuantileShift {
  const c = bucketQuantile(q, canary);
  const b = bucketQuantile(q, baseline);
  return {
    q,
    canary: c,
    baseline: b,
    change: c !== null && b !== null && b > 0 ? c / b - 1 : null,
  };
}

/** Adds `from` into the running sums `into` (bounds taken from the first interval seen). */
function pool(into: Buckets, from: Buckets): void {
  if (into.le.length === 0) {
    into.le.push(...from.le);
    into.counts.push(...from.le.map(() => 0));
  }
  from.counts.forEach((count, index) => {
    into.counts[index] = (into.counts[index] ?? 0) + count;
  });
}

/** The histogram test as data arrive: one ratio test per finite bound, fed interval by interval. */
export class HistogramSequence {
  private readonly bounds: { le: number; index: number; test: RatioSequence }[] = [];
  private readonly canary: Buckets = { le: [], counts: [] };
  private readonly baseline: Buckets = { le: [], counts: [] };

  constructor(private readonly options: HistogramTestOptions) {}

  add(one: HistogramInterval): void {
    if (one.canary.le.length === 0 || one.baseline.le.length === 0) return;
    if (this.bounds.length === 0)
      one.canary.le.forEach((le, index) => {
        if (Number.isFinite(le))
          this.bounds.push({
            le,
            index,
            test: new RatioSequence({
              nullRatio: 1,
              alpha: this.options.alpha,
              direction: this.options.direction,
            }),
          });
      });
    pool(this.canary, one.canary);
    pool(this.baseline, one.baseline);
    for (const bound of this.bounds)
      bound.test.add({
        canaryEvents: above(one.canary, bound.index),
        canaryTotal: observed(one.canary),
        baselineEvents: above(one.baseline, bound.index),
        baselineTotal: observed(one.baseline),
      });
  }

  /** The mean e-value over the bounds, the bound with the most evidence, and the quantiles. */
  result(): HistogramTest {
    const share = (events: number, total: number) => (total > 0 ? events / total : null);
    const evidence = this.bounds.map(({ le, test }): BoundEvidence => {
      const result = test.result();
      return {
        le,
        canaryShare: share(result.events.canary, result.exposure.canary),
        baselineShare: share(result.events.baseline, result.exposure.baseline),
        test: result,
      };
    });
    const eValue =
      evidence.length > 0
        ? evidence.reduce((total, one) => total + one.test.eValue, 0) / evidence.length
        : 1;
    const strongest = evidence.reduce<BoundEvidence | undefined>(
      (best, one) => (best === undefined || one.test.eValue > best.test.eValue ? one : best),
      undefined,
    );
    return {
      eValue,
      rejected: eValue >= 1 / this.options.alpha,
      observations: { canary: observed(this.canary), baseline: observed(this.baseline) },
      ...(strongest ? { strongest } : {}),
      quantiles: REPORTED_QUANTILES.map((q) => shift(q, this.canary, this.baseline)),
    };
  }
}

/** The sequential test on the intervals so far, with the quantiles it is about. */
export function histogramTest(
  intervals: readonly HistogramInterval[],
  options: HistogramTestOptions,
): HistogramTest {
  const sequence = new HistogramSequence(options);
  for (const one of intervals) sequence.add(one);
  return sequence.result();
}
