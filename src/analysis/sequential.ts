// Anytime-valid tests of a rate ratio between two counting processes (Lindon, Sanden, Shirikian,
// KDD 2022; Lindon and Malek, NeurIPS 2022): the canary's share of events given both sides'
// exposure, a mixture likelihood ratio over the ratio, and the confidence sequence it implies.
//
// Model. In interval k the canary has exposure a_k (requests) and x_k events (errors), the
// baseline b_k and y_k. Events are Poisson with intensities theta * lambda_k * a_k and
// lambda_k * b_k, lambda_k a rate shared by both sides that may drift as it likes. Given the
// interval's n_k = x_k + y_k events, x_k ~ Binomial(n_k, pi_k) with
// pi_k = theta r_k / (theta r_k + 1), r_k = a_k / b_k: lambda_k cancels, so the test needs no model
// of traffic or of its drift. (When events are binomial, errors among requests, the conditional law
// is hypergeometric, smaller in convex order than this binomial, and the test stays valid.)
//
// Test. For H0: theta <= theta0, E_t = sum_i w_i L_t(theta_i) / L_t(theta0) over a grid of ratios
// above theta0, with weights from a Beta(a, a) prior on s = u / (1 + u), u = theta / theta0 (the
// canary's share of events at equal exposure: conjugate to the binomial, so with equal exposure
// E_t is the beta-binomial Bayes factor). Each likelihood ratio with theta_i > theta0 is a
// nonnegative supermartingale under any theta <= theta0, so their mixture is too, and Ville's
// inequality bounds P(E_t >= 1/alpha at any t) by alpha however often it is looked at.
//
// Confidence sequence. Inverting the one-sided tests: the lower bound is the least theta0 the
// increase test does not reject, the upper the greatest one the decrease test does not reject;
// each holds at every t at once with probability at least 1 - alpha (so both, 1 - 2 alpha), and
// the lower bound passes theta0 exactly when the test rejects.

/** Which shift of the canary is a regression: more events (slower), fewer, or either. */
export type Direction = "increase" | "decrease" | "either";

/** One interval of both sides: events and exposure counted since the previous reading. */
export interface RateInterval {
  canaryEvents: number;
  canaryTotal: number;
  baselineEvents: number;
  baselineTotal: number;
}

export interface RatioTestOptions {
  /** theta0: the ratio at the edge of the null (1 + tolerance). */
  nullRatio: number;
  alpha: number;
  direction: Direction;
  /** The prior's concentration a (Beta(a, a) on the canary's share at equal exposure). */
  concentration?: number;
}

export interface RatioTest {
  /** The e-value against H0; the test rejects once it reaches 1 / alpha. */
  eValue: number;
  rejected: boolean;
  /** Canary rate over baseline rate, pooled over the intervals; null without baseline events. */
  estimate: number | null;
  /** The anytime-valid bounds for the ratio at this time (each one-sided at level alpha). */
  interval: { lower: number; upper: number };
  events: { canary: number; baseline: number };
  exposure: { canary: number; baseline: number };
}

/**
 * Beta(5, 5) on the share: log(theta / theta0) has standard deviation 0.66, so ratios from about
 * 1.2 to 5 carry most of the prior's mass; chosen for detecting a doubling within minutes (see
 * test/analysis/sequential.test.ts for the A/A and A/B figures).
 */
export const DEFAULT_CONCENTRATION = 5;

/**
 * Offsets of log theta from the prior's centre, -6 to 6 (ratios 1/400 to 400 times the centre) in
 * steps of 0.02. The mixture is a discrete one over these points, so its validity owes nothing to
 * how closely the sum follows the integral (to about 1e-4 here).
 */
const GRID_STEP = 0.02;
const GRID_HALF_WIDTH = 6;
const OFFSETS: readonly number[] = Array.from(
  { length: Math.round((2 * GRID_HALF_WIDTH) / GRID_STEP) + 1 },
  (_, index) => -GRID_HALF_WIDTH + index * GRID_STEP,
);
const CENTRE_INDEX = Math.round(GRID_HALF_WIDTH / GRID_STEP);

/** log(1 / (1 + e^-z)), accurate for large |z|. */
export function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

/** log(sum(exp(values))) without overflow; -Infinity for no values. */
export function logSumExp(values: readonly number[]): number {
  let top = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > top) top = value;
  if (top === Number.NEGATIVE_INFINITY) return top;
  let sum = 0;
  for (const value of values) sum += Math.exp(value - top);
  return top + Math.log(sum);
}

/** Whether an interval carries information: both sides exposed, and at least one event. */
const informative = (one: RateInterval): boolean =>
  one.canaryTotal > 0 &&
  one.baselineTotal > 0 &&
  one.canaryEvents >= 0 &&
  one.baselineEvents >= 0 &&
  one.canaryEvents + one.baselineEvents > 0;

/** Adds one interval's log-likelihood at log theta = centre + every offset to `values`. */
function addLogLikelihood(values: Float64Array, one: RateInterval, centre: number): void {
  const shift = centre + Math.log(one.canaryTotal / one.baselineTotal);
  const { canaryEvents: x, baselineEvents: y } = one;
  for (let index = 0; index < OFFSETS.length; index++) {
    const z = (OFFSETS[index] ?? 0) + shift;
    // log sigma(z) and log sigma(-z) share log(1 + e^-|z|).
    const soft = Math.log1p(Math.exp(-Math.abs(z)));
    const up = z >= 0 ? -soft : z - soft;
    values[index] = (values[index] ?? 0) + x * up + y * (up - z);
  }
}

const priorCache = new Map<string, Float64Array>();

/**
 * Log prior weights at the offsets, summing to 1: Beta(a, a) on s = sigma(offset), whose density
 * in the offset is proportional to s^a (1 - s)^a, by the trapezoid rule; a one-sided prior keeps
 * the half past the centre (the centre itself with half a step's weight).
 */
export function priorLogWeights(a: number, side: Direction): Float64Array {
  const key = `${a}:${side}`;
  const cached = priorCache.get(key);
  if (cached) return cached;
  const raw = OFFSETS.map((offset, index) => {
    const kept =
      side === "either" || (side === "increase" ? index >= CENTRE_INDEX : index <= CENTRE_INDEX);
    const edge =
      (side !== "either" && index === CENTRE_INDEX) || index === 0 || index === OFFSETS.length - 1;
    const density = a * logSigmoid(offset) + a * logSigmoid(-offset);
    return kept ? density + (edge ? Math.log(0.5) : 0) : Number.NEGATIVE_INFINITY;
  });
  const norm = logSumExp(raw);
  const weights = Float64Array.from(raw, (value) => value - norm);
  priorCache.set(key, weights);
  return weights;
}

/** log of the mixture sum_i w_i L(theta_i), from the log-likelihood at the prior's points. */
function logMixture(grid: Float64Array, weights: Float64Array): number {
  const terms: number[] = [];
  for (let index = 0; index < grid.length; index++) {
    const weight = weights[index] ?? Number.NEGATIVE_INFINITY;
    if (weight > Number.NEGATIVE_INFINITY) terms.push((grid[index] ?? 0) + weight);
  }
  return logSumExp(terms);
}

/**
 * log E at log theta0 = OFFSETS[j] for the one-sided test on `side`: the prior's points lie on the
 * same grid, so the likelihood ratios are differences of grid values (points past the grid's end
 * drop out, which only lowers E).
 */
function logEAt(
  grid: Float64Array,
  j: number,
  weights: Float64Array,
  side: "increase" | "decrease",
): number {
  const terms: number[] = [];
  const sign = side === "increase" ? 1 : -1;
  for (let step = 0; step <= CENTRE_INDEX; step++) {
    const at = j + sign * step;
    if (at < 0 || at >= grid.length) break;
    terms.push((weights[CENTRE_INDEX + sign * step] ?? Number.NEGATIVE_INFINITY) + (grid[at] ?? 0));
  }
  return logSumExp(terms) - (grid[j] ?? 0);
}

/**
 * The anytime-valid interval for the ratio: each bound is where the one-sided test at `alpha`
 * stops rejecting (the lower one is the rejection test's own, so the test rejects exactly when the
 * lower bound passes theta0, to the grid's 2%). Each holds at every round with probability at least
 * 1 - alpha. log L is concave in log theta, so each test's e-value is monotone in theta0 and a
 * bisection finds the bound.
 */
function confidenceSequence(
  grid: Float64Array,
  alpha: number,
  a: number,
): { lower: number; upper: number } {
  const limit = -Math.log(alpha);
  const last = OFFSETS.length - 1;
  const rejects = (j: number, side: "increase" | "decrease") =>
    logEAt(grid, j, priorLogWeights(a, side), side) >= limit;
  // Lower: the first theta0 the increase test does not reject (it rejects every theta0 below it).
  let low = 0;
  let high = last;
  if (!rejects(0, "increase")) high = 0;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (rejects(mid, "increase")) low = mid;
    else high = mid;
  }
  const lower = high === 0 ? 0 : Math.exp(OFFSETS[high] ?? 0);
  // Upper: the last theta0 the decrease test does not reject.
  low = 0;
  high = last;
  if (!rejects(last, "decrease")) low = last;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (rejects(mid, "decrease")) high = mid;
    else low = mid;
  }
  const upper = low === last ? Number.POSITIVE_INFINITY : Math.exp(OFFSETS[low] ?? 0);
  return { lower, upper };
}

/**
 * The test as data arrive: each interval is added once (its log-likelihood over the grid), so a
 * look costs the same at the hundredth round as at the first.
 */
export class RatioSequence {
  private readonly a: number;
  private readonly centre: number;
  /** Log-likelihood at centre + offsets (the test) and at the offsets (the confidence sequence). */
  private readonly atTest: Float64Array;
  private readonly atOne: Float64Array;
  private readonly events = { canary: 0, baseline: 0 };
  private readonly exposure = { canary: 0, baseline: 0 };

  constructor(private readonly options: RatioTestOptions) {
    this.a = options.concentration ?? DEFAULT_CONCENTRATION;
    this.centre = Math.log(options.nullRatio);
    this.atOne = new Float64Array(OFFSETS.length);
    this.atTest = this.centre === 0 ? this.atOne : new Float64Array(OFFSETS.length);
  }

  add(one: RateInterval): void {
    this.events.canary += Math.max(0, one.canaryEvents);
    this.events.baseline += Math.max(0, one.baselineEvents);
    this.exposure.canary += Math.max(0, one.canaryTotal);
    this.exposure.baseline += Math.max(0, one.baselineTotal);
    if (!informative(one)) return;
    addLogLikelihood(this.atOne, one, 0);
    if (this.atTest !== this.atOne) addLogLikelihood(this.atTest, one, this.centre);
  }

  /** Its e-value, whether it rejects, the pooled ratio and the anytime-valid interval for it. */
  result(): RatioTest {
    const { alpha, direction } = this.options;
    const atNull = this.atTest[CENTRE_INDEX] ?? 0;
    const logE = logMixture(this.atTest, priorLogWeights(this.a, direction)) - atNull;
    const { events, exposure } = this;
    const canaryRate = exposure.canary > 0 ? events.canary / exposure.canary : Number.NaN;
    const baselineRate = exposure.baseline > 0 ? events.baseline / exposure.baseline : Number.NaN;
    const estimate =
      events.baseline > 0 && Number.isFinite(canaryRate) ? canaryRate / baselineRate : null;
    return {
      eValue: Math.exp(logE),
      rejected: logE >= -Math.log(alpha),
      estimate,
      interval: confidenceSequence(this.atOne, alpha, this.a),
      events: { ...events },
      exposure: { ...exposure },
    };
  }
}

/** The test on the intervals so far, all at once (RatioSequence adds them one by one). */
export function ratioTest(
  intervals: readonly RateInterval[],
  options: RatioTestOptions,
): RatioTest {
  const sequence = new RatioSequence(options);
  for (const one of intervals) sequence.add(one);
  return sequence.result();
}
