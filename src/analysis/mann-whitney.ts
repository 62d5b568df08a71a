import { normalQuantile, normalUpperTail } from "./normal.js";
/**
 * Mann-Whitney U test (Wilcoxon rank-sum) of canary against baseline, with the Hodges-Lehmann
 * estimate of the shift (canary minus baseline) and its confidence interval, computed the way R's
 * `wilcox.test(canary, baseline, conf.int = TRUE, exact = FALSE, correct = TRUE)` computes them.
 *
 * R finds the interval bounds and the estimate as roots, in the shift d, of the normal-approximation
 * z of the rank sum of c(canary - d, baseline) (`uniroot`, tolerance 1e-4, a full ranking per step).
 * That z is a step function whose jumps sit at pairwise differences, so here each evaluation is one
 * merge of the two sorted samples, the bracket is narrowed by interpolating on pair counts, and the
 * last few pairwise differences in the bracket are searched directly: the answer is the jump itself,
 * which R approximates within its tolerance. Comparisons are made on `canary_i - d` in floating
 * point, as R does, so exact ties fall where R sees them.
 *
 * In order: the API; samples grouped by value and one merge at a shift (`evaluate`); the search for
 * each root (`locateJump`: full merges until few pairs are left, then `searchWindow` over those
 * pairs alone); R's normal distribution functions.
 */
export interface MannWhitneyOptions {
  /** Two-sided confidence level of the shift interval, strictly between 0 and 1. Default 0.98. */
  confidence?: number;
}

export interface MannWhitneyTest {
  kind: "test";
  /** R's W: rank sum of the canary minus nCanary(nCanary + 1)/2 (scipy's `mannwhitneyu` statistic). */
  u: number;
  /** Two-sided p-value, normal approximation with tie and continuity correction. */
  pValue: number;
  /** Confidence interval of the shift canary - baseline. */
  lower: number;
  upper: number;
  /** Hodges-Lehmann estimate of the shift (median of the pairwise differences). */
  estimate: number;
  confidence: number;
  nCanary: number;
  nBaseline: number;
}

/** Why no test was run: a side without observations, every observation equal, or an infinity. */
export type MannWhitneyDegenerateReason = "empty" | "all-tied" | "non-finite";

export interface MannWhitneyDegenerate {
  kind: "degenerate";
  reason: MannWhitneyDegenerateReason;
  message: string;
  nCanary: number;
  nBaseline: number;
}

export type MannWhitneyResult = MannWhitneyTest | MannWhitneyDegenerate;

export const DEFAULT_CONFIDENCE = 0.98;

/** Past this many pairs of distinct values left in the bracket, keep narrowing by full merges. */
const ENUMERATION_LIMIT = 4096;
/** Pairs to aim past the target once it is close, so that the next bracket fits the enumeration. */
const AIM_PAST = ENUMERATION_LIMIT / 4;
/**
 * Full merges allowed per root. Smooth data needs two or three; the bound on the steering below
 * (halvings of the pairs left, of the distance to the target, and of the doubles left) is ~260.
 */
const MAX_NARROWING_STEPS = 400;

/**
 * Compares canary with baseline. NaN observations are dropped (R drops NA); an infinity, an empty
 * side or all observations equal give a degenerate result instead of a test (R stops with an error).
 * When each side is constant with different values, R also stops; the only shift consistent with
 * the data, the difference of the two constants, is returned as estimate and interval.
 */
export function mannWhitney(
  canary: ArrayLike<number>,
  baseline: ArrayLike<number>,
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  return mannWhitneySorted(sortedWithoutNaN(canary), sortedWithoutNaN(baseline), options);
}

/**
 * `mannWhitney` for callers that already hold both sides sorted ascending and free of NaN (the
 * judge sorts once for its own statistics); sorting again would cost as much as the test itself.
 */
export function mannWhitneySorted(
  x: Float64Array,
  y: Float64Array,
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must lie strictly between 0 and 1, got ${confidence}`);
  }
  const sizes = { nCanary: x.length, nBaseline: y.length };
  const degenerate = degenerateReason(x, y);
  if (degenerate) return { kind: "degenerate", ...degenerate, ...sizes };

  const sample = buildSample(x, y);
  const atZero = evaluate(sample, 0);
  const z = zStatistic(sample, atZero, true);
  const test = { u: atZero.greater + atZero.equal / 2, pValue: 2 * normalUpperTail(Math.abs(z)) };
  // The difference of medians is a cheap first guess of where the pairwise differences centre.
  const guess =
    (x[(x.length - 1) >> 1]! + x[x.length >> 1]!) / 2 -
    (y[(y.length - 1) >> 1]! + y[y.length >> 1]!) / 2;
  const shift = estimateShift(sample, confidence, atZero, guess);
  return { kind: "test", ...test, ...shift, confidence, ...sizes };
}

function sortedWithoutNaN(values: ArrayLike<number>): Float64Array {
  const kept = new Float64Array(values.length);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value === value) kept[size++] = value;
  }
  return kept.subarray(0, size).sort();
}

function degenerateReason(
  x: Float64Array,
  y: Float64Array,
): { reason: MannWhitneyDegenerateReason; message: string } | undefined {
  if (x.length === 0 || y.length === 0) {
    return {
      reason: "empty",
      message: `no observations (canary n=${x.length}, baseline n=${y.length})`,
    };
  }
  const ends = [x[0]!, x[x.length - 1]!, y[0]!, y[y.length - 1]!];
  if (ends.some((value) => !Number.isFinite(value))) {
    return { reason: "non-finite", message: "observations must be finite numbers" };
  }
  if (ends.every((value) => value === ends[0])) {
    return {
      reason: "all-tied",
      message: `all observations equal ${ends[0]}: no ranks to compare`,
    };
  }
  return undefined;
}

/**
 * Distinct values of one sorted side with their multiplicities. The arrays carry one sentinel past
 * `size` (NaN for the canary, +Infinity for the baseline) so the merge loop needs no bounds checks.
 */
interface Groups {
  size: number;
  values: Float64Array;
  counts: Float64Array;
  /** R's tie term Σ (t³ - t) over this side's tie groups. */
  ties: number;
}

interface Sample {
  x: Groups;
  y: Groups;
  /** Baseline observations below each baseline group: yBelow[j] = Σ counts[0..j). */
  yBelow: Float64Array;
  /** All zeros: where every canary group's scan starts without a better hint. */
  noStart: Int32Array;
  /**
   * Canary groups so close to a neighbour that both may round to the same double after
   * subtracting some shift (R then ranks them as one tie group). Almost always all zero.
   */
  fragile: Uint8Array;
  fragileCount: number;
  /** The last bracket searched pair by pair: the estimate's second search reuses it. */
  searched?: { lo: Evaluation; hi: Evaluation; window: Window; points: Float64Array };
  n: number;
  m: number;
}

const tieTerm = (t: number): number => t * t * t - t;

function groupSorted(sorted: Float64Array, sentinel: number): Groups {
  const values = new Float64Array(sorted.length + 1);
  const counts = new Float64Array(sorted.length + 1);
  let size = 0;
  let ties = 0;
  for (let i = 0; i < sorted.length;) {
    const value = sorted[i]!;
    const start = i;
    while (i < sorted.length && sorted[i] === value) i++;
    values[size] = value;
    counts[size] = i - start;
    ties += tieTerm(i - start);
    size++;
  }
  values[size] = sentinel;
  return { size, values, counts, ties };
}

function buildSample(x: Float64Array, y: Float64Array): Sample {
  const baseline = groupSorted(y, Infinity);
  const yBelow = new Float64Array(baseline.size + 1);
  for (let j = 0; j < baseline.size; j++) yBelow[j + 1] = yBelow[j]! + baseline.counts[j]!;
  const canary = groupSorted(x, NaN);
  const fragile = fragileGroups(canary, baseline);
  const fragileCount = fragile.reduce((total, flag) => total + flag, 0);
  return {
    x: canary,
    y: baseline,
    yBelow,
    noStart: new Int32Array(canary.size),
    fragile,
    fragileCount,
    n: x.length,
    m: y.length,
  };
}

/**
 * Two values a gap apart can only round to one double if the gap is below one unit in the last
 * place of the result, at most |canary - d| · 2^-52 for shifts d between the extreme differences.
 */
function fragileGroups(x: Groups, y: Groups): Uint8Array {
  const fragile = new Uint8Array(x.size);
  const ends = [x.values[0]!, x.values[x.size - 1]!];
  const shifts = [ends[0]! - y.values[y.size - 1]!, ends[1]! - y.values[0]!];
  const reach = Math.max(...ends.flatMap((value) => shifts.map((d) => Math.abs(value - d))));
  for (let g = 0; g + 1 < x.size; g++) {
    if (x.values[g + 1]! - x.values[g]! <= reach * 2 ** -51) fragile[g] = fragile[g + 1] = 1;
  }
  return fragile;
}

/** Rank statistics of c(canary - d, baseline), counted over pairs rather than ranks. */
interface Counts {
  d: number;
  /** Pairs with canary_i - d > baseline_j, and with canary_i - d == baseline_j. */
  greater: number;
  equal: number;
  /** Σ (t³ - t) over the tie groups of the combined sample. */
  ties: number;
  /** The same two counts over pairs of distinct values: how much is left to search. */
  greaterGroups: number;
  equalGroups: number;
}

/** Counts from a full merge, with where each canary group landed among the baseline groups. */
interface Evaluation extends Counts {
  /** below[g]: baseline groups strictly below canary group g minus d. */
  below: Int32Array;
}

/**
 * One merge of the sorted sides at shift d. Canary groups whose values round to the same x - d are
 * merged, as R's ranking of the computed values would see them. `from`, an evaluation at a larger
 * shift, tells where each canary group's scan may start: inside a narrow bracket nearly every group
 * lands where it did there, and the merge costs little more than one pass over the canary.
 */
function evaluate(sample: Sample, d: number, from?: Evaluation): Evaluation {
  const { values: xv, counts: xc, size } = sample.x;
  const { values: yv, counts: yc } = sample.y;
  const yBelow = sample.yBelow;
  const start = from && from.d >= d ? from.below : sample.noStart;
  const below = new Int32Array(size);
  let j = 0;
  let greater = 0;
  let equal = 0;
  let greaterGroups = 0;
  let equalGroups = 0;
  let ties = sample.y.ties;
  let v = xv[0]! - d;
  for (let g = 0; g < size;) {
    const first = g;
    let a = xc[g]!;
    let next = xv[++g]! - d;
    for (; next === v; next = xv[++g]! - d) a += xc[g]!;
    j = Math.max(j, start[first]!);
    while (yv[j]! < v) j++;
    for (let k = first; k < g; k++) below[k] = j;
    greater += a * yBelow[j]!;
    greaterGroups += (g - first) * j;
    if (yv[j] === v) {
      const b = yc[j]!;
      equal += a * b;
      equalGroups += g - first;
      ties += tieTerm(a + b) - tieTerm(b);
    } else if (a > 1) ties += tieTerm(a);
    v = next;
  }
  return { d, greater, equal, ties, greaterGroups, equalGroups, below };
}

/** R's SIGMA: standard deviation of W under the null, with the tie correction. */
function sigma(sample: Sample, ties: number): number {
  const { n, m } = sample;
  return Math.sqrt(((n * m) / 12) * (n + m + 1 - ties / ((n + m) * (n + m - 1))));
}

/** R's z for one evaluation: (W - nm/2 - correction) / SIGMA. */
function zStatistic(sample: Sample, e: Counts, correct: boolean): number {
  const dz = e.greater + e.equal / 2 - (sample.n * sample.m) / 2;
  const correction = correct ? Math.sign(dz) * 0.5 : 0;
  return (dz - correction) / sigma(sample, e.ties);
}

/** A decreasing step function of d whose sign change is wanted, and a guide to where it lies. */
interface RootProblem {
  f: (e: Counts) => number;
  /** Approximate number of pairs still greater where f crosses zero (steers interpolation). */
  target: number;
}

function estimateShift(
  sample: Sample,
  confidence: number,
  atZero: Evaluation,
  guess: number,
): { lower: number; upper: number; estimate: number } {
  const { x, y, n, m } = sample;
  const mumin = x.values[0]! - y.values[y.size - 1]!;
  const mumax = x.values[x.size - 1]! - y.values[0]!;
  if (mumin === mumax) return { lower: mumin, upper: mumin, estimate: mumin };

  const low = evaluate(sample, mumin);
  const high = evaluate(sample, mumax);
  const memo = [atZero, low, high];
  if (guess > mumin && guess < mumax && guess !== 0) memo.push(evaluate(sample, guess));
  const root = (problem: RootProblem): number => {
    if (problem.f(low) <= 0) return mumin;
    if (problem.f(high) >= 0) return mumax;
    return solveRoot(sample, memo, problem);
  };
  const center = (n * m) / 2;
  const spread = sigma(sample, x.ties + y.ties);
  const bound = (zq: number): number =>
    root({
      f: (e) => zStatistic(sample, e, true) - zq,
      target: center + zq * spread + Math.sign(zq) * 0.5,
    });

  // R drops the continuity correction for the estimate; the middle is searched first so that its
  // evaluations bracket the interval bounds.
  const estimate = root({ f: (e) => zStatistic(sample, e, false), target: center });
  const alpha = 1 - confidence;
  const lower = bound(normalQuantile(alpha / 2, false));
  const upper = bound(normalQuantile(alpha / 2, true));
  return { lower, upper, estimate };
}

/** The jump of f; where f is exactly zero on an interval (the estimate), that interval's middle. */
function solveRoot(sample: Sample, memo: Evaluation[], problem: RootProblem): number {
  const positive = locateJump(sample, memo, problem, (v) => v > 0);
  if (problem.f(positive.after) !== 0) return positive.boundary;
  const nonNegative = locateJump(sample, memo, problem, (v) => v >= 0);
  return positive.boundary + (nonNegative.boundary - positive.boundary) / 2;
}

/** Where a predicate of f, true at small d and false at large d, turns false. */
interface Jump {
  /** Predicate holds below this point and fails above it. */
  boundary: number;
  /** The counts just past the boundary (the first place found failing). */
  after: Counts;
}

function locateJump(
  sample: Sample,
  memo: Evaluation[],
  problem: RootProblem,
  test: (v: number) => boolean,
): Jump {
  const holds = (e: Counts): boolean => test(problem.f(e));
  let { lo, hi } = bracket(memo, holds);
  const steer: Steering = {
    loWeight: 1,
    hiWeight: 1,
    last: undefined,
    stalled: 0,
    closest: Infinity,
  };
  for (let step = 0; step < MAX_NARROWING_STEPS && pairsInside(lo, hi) > 0; step++) {
    if (groupPairsInside(lo, hi) <= ENUMERATION_LIMIT) {
      return searchWindow(sample, lo, hi, holds);
    }
    const d = nextPivot(memo, lo, hi, problem.target, steer);
    if (d === undefined) break;
    const e = evaluate(sample, d, hi);
    memo.push(e);
    const before = { pairs: pairsInside(lo, hi), closest: steer.closest };
    const moved = holds(e) ? "lo" : "hi";
    if (moved === "lo") lo = e;
    else hi = e;
    steer.closest = Math.min(steer.closest, Math.abs(e.greater - problem.target));
    updateSteering(
      steer,
      moved,
      pairsInside(lo, hi) <= before.pairs / 2 || steer.closest < before.closest / 2,
    );
  }
  return finishBetween(sample, memo, lo, hi, holds);
}

/** The tightest bracket the evaluations made so far give for this predicate. */
function bracket(
  memo: Evaluation[],
  holds: (e: Counts) => boolean,
): { lo: Evaluation; hi: Evaluation } {
  let lo: Evaluation | undefined;
  let hi: Evaluation | undefined;
  for (const e of memo) {
    if (holds(e)) {
      if (!lo || e.d > lo.d) lo = e;
    } else if (!hi || e.d < hi.d) hi = e;
  }
  if (!lo || !hi) throw new Error("mann-whitney: root is not bracketed (bug)");
  return { lo, hi };
}

/** Pairs whose comparison changes strictly between lo and hi. */
const pairsInside = (lo: Counts, hi: Counts): number => lo.greater - hi.greater - hi.equal;
/** Pairs of distinct values to enumerate for the bracket [lo, hi], ends included. */
const groupPairsInside = (lo: Counts, hi: Counts): number =>
  lo.greaterGroups + lo.equalGroups - hi.greaterGroups;

/**
 * How the next pivot is chosen. Pair counts are smooth near the middle, so first by a secant
 * through evaluations already made near the target (the bracket's ends may be the extreme shifts,
 * far too coarse to interpolate between); failing that, by regula falsi between the ends with
 * Illinois weights (an end left in place twice counts half). Once one end is within 2 AIM_PAST
 * pairs of the target, the aim moves AIM_PAST past the target on the other side, so that the
 * bracket closes to a size the enumeration takes. Two steps in a row that neither halve the bracket
 * nor halve the closest approach to the target force a bisection over the doubles.
 */
interface Steering {
  loWeight: number;
  hiWeight: number;
  last: "lo" | "hi" | undefined;
  stalled: number;
  /** Smallest distance, in pairs, of an evaluation of this search from the target. */
  closest: number;
}

function updateSteering(steer: Steering, moved: "lo" | "hi", progressed: boolean): void {
  if (moved === "lo") {
    steer.loWeight = 1;
    if (steer.last === "lo") steer.hiWeight /= 2;
  } else {
    steer.hiWeight = 1;
    if (steer.last === "hi") steer.loWeight /= 2;
  }
  steer.last = moved;
  steer.stalled = progressed ? 0 : steer.stalled + 1;
}

/** The next shift to evaluate strictly inside (lo, hi); undefined when no double is left there. */
function nextPivot(
  memo: Evaluation[],
  lo: Counts,
  hi: Counts,
  target: number,
  steer: Steering,
): number | undefined {
  const aboveTarget = lo.greater - target;
  const belowTarget = target - hi.greater - hi.equal;
  let aim = target;
  if (aboveTarget <= 2 * AIM_PAST && belowTarget > 2 * AIM_PAST) aim -= AIM_PAST;
  else if (belowTarget <= 2 * AIM_PAST && aboveTarget > 2 * AIM_PAST) aim += AIM_PAST;
  const inside = (d: number | undefined): d is number => d !== undefined && d > lo.d && d < hi.d;
  const candidates =
    steer.stalled >= 2 ? [] : [secantThrough(memo, aim), interpolate(lo, hi, aim, steer)];
  return candidates.find(inside) ?? [orderedMiddle(lo.d, hi.d)].find(inside);
}

/** Regula falsi on the pair counts between the bracket's ends, with the Illinois weights. */
function interpolate(lo: Counts, hi: Counts, aim: number, steer: Steering): number | undefined {
  const above = (lo.greater - aim) * steer.loWeight;
  const below = (aim - hi.greater - hi.equal) * steer.hiWeight;
  return above > 0 && below > 0 ? lo.d + ((hi.d - lo.d) * above) / (above + below) : undefined;
}

const orderBits = new DataView(new ArrayBuffer(8));

/** Rank of a double among all doubles, as a signed integer (-0 and 0 share 0). */
function orderOf(value: number): bigint {
  orderBits.setFloat64(0, value);
  const raw = orderBits.getBigInt64(0);
  return raw < 0n ? -(raw & 0x7fffffffffffffffn) : raw;
}

/**
 * The double halfway between lo and hi counting doubles, not distance: bisection on it ends within
 * 64 steps whatever the range (halving 1e300 by value would take a thousand).
 */
function orderedMiddle(lo: number, hi: number): number {
  const middle = (orderOf(lo) + orderOf(hi)) / 2n;
  orderBits.setBigInt64(0, middle < 0n ? -middle | -0x8000000000000000n : middle);
  return orderBits.getFloat64(0);
}

/**
 * The line through the evaluation whose count is nearest the aim and the evaluation nearest to it
 * in d among those whose counts differ from its own by at least a quarter of its distance to the
 * aim (closer ones give a noisy slope), extended to the aim.
 */
function secantThrough(memo: Evaluation[], aim: number): number | undefined {
  const distance = (e: Counts): number => Math.abs(e.greater - aim);
  const nearest = memo.reduce((best, e) => (distance(e) < distance(best) ? e : best));
  const enough = Math.max(distance(nearest) / 4, 1);
  let partner: Evaluation | undefined;
  for (const e of memo) {
    if (Math.abs(e.greater - nearest.greater) < enough) continue;
    if (!partner || Math.abs(e.d - nearest.d) < Math.abs(partner.d - nearest.d)) partner = e;
  }
  if (!partner) return undefined;
  return (
    nearest.d +
    ((aim - nearest.greater) * (partner.d - nearest.d)) / (partner.greater - nearest.greater)
  );
}

/** No pairwise difference strictly inside: one look at the middle says which end is the jump. */
function finishBetween(
  sample: Sample,
  memo: Evaluation[],
  lo: Evaluation,
  hi: Evaluation,
  holds: (e: Counts) => boolean,
): Jump {
  const middle = lo.d + (hi.d - lo.d) / 2;
  if (!(middle > lo.d && middle < hi.d)) return { boundary: lo.d, after: hi };
  const e = evaluate(sample, middle, hi);
  memo.push(e);
  return holds(e) ? { boundary: hi.d, after: hi } : { boundary: lo.d, after: e };
}

/**
 * The pairs of distinct values whose comparison can change inside a bracket, grouped by canary
 * group; fragile canary groups are listed even without pairs, to find the ones rounding together.
 */
interface Window {
  /** Canary groups, ascending; the pairs of groups[u] are entries offsets[u] to offsets[u + 1]. */
  groups: Int32Array;
  offsets: Int32Array;
  yGroup: Int32Array;
  weight: Float64Array;
}

/** Per canary group, the baseline groups from the first >= x - hi to the last <= x - lo. */
function enumerateWindow(sample: Sample, lo: Evaluation, hi: Evaluation): Window {
  const { values: xv, counts: xc, size } = sample.x;
  const { values: yv, counts: yc } = sample.y;
  const pairs = groupPairsInside(lo, hi);
  const capacity = Math.min(size, pairs + sample.fragileCount);
  const groups = new Int32Array(capacity);
  const offsets = new Int32Array(capacity + 1);
  const yGroup = new Int32Array(pairs);
  const weight = new Float64Array(pairs);
  let used = 0;
  let k = 0;
  for (let g = 0; g < size; g++) {
    let end = lo.below[g]!;
    if (yv[end] === xv[g]! - lo.d) end++;
    const start = hi.below[g]!;
    if (end <= start && sample.fragile[g] === 0) continue;
    groups[used] = g;
    offsets[used++] = k;
    for (let h = start; h < end && k < pairs; h++, k++) {
      yGroup[k] = h;
      weight[k] = xc[g]! * yc[h]!;
    }
  }
  offsets[used] = k;
  return {
    groups: groups.subarray(0, used),
    offsets: offsets.subarray(0, used + 1),
    yGroup,
    weight,
  };
}

/**
 * Counts at d inside the bracket from the listed pairs alone: every other pair compares the same
 * way at d as at both ends. Canary groups that round to one value at d form one tie group with
 * the baseline group they equal, if any; the tie term is corrected run by run.
 */
function countWindow(sample: Sample, window: Window, hi: Counts, d: number): Counts {
  const { values: xv, counts: xc } = sample.x;
  const { values: yv, counts: yc } = sample.y;
  const { groups, offsets, yGroup, weight } = window;
  let greater = hi.greater;
  let greaterGroups = hi.greaterGroups;
  let equal = 0;
  let equalGroups = 0;
  let ties = sample.x.ties + sample.y.ties;
  // The current run of canary groups equal at d: last group, value, size, own tie terms, tied baseline.
  let runLast = -2;
  let runValue = NaN;
  let runSize = 0;
  let runOwn = 0;
  let runMatched = 0;
  for (let u = 0; u < groups.length; u++) {
    const g = groups[u]!;
    const v = xv[g]! - d;
    let matched = 0;
    for (let k = offsets[u]!; k < offsets[u + 1]!; k++) {
      const y = yv[yGroup[k]!]!;
      if (v > y) {
        greater += weight[k]!;
        greaterGroups++;
      } else if (v === y) {
        equal += weight[k]!;
        equalGroups++;
        matched = yc[yGroup[k]!]!;
      }
    }
    const a = xc[g]!;
    if (g === runLast + 1 && v === runValue) {
      runSize += a;
      runOwn += tieTerm(a);
      runMatched = Math.max(runMatched, matched);
    } else {
      ties += tieTerm(runSize + runMatched) - tieTerm(runMatched) - runOwn;
      runValue = v;
      runSize = a;
      runOwn = tieTerm(a);
      runMatched = matched;
    }
    runLast = g;
  }
  ties += tieTerm(runSize + runMatched) - tieTerm(runMatched) - runOwn;
  return { d, greater, equal, ties, greaterGroups, equalGroups };
}

/**
 * Binary search over the alternating slots (lo, c1), c1, (c1, c2), ..., cK, (cK, hi), where the c
 * are the distinct pairwise differences strictly inside the bracket: f is constant on each open
 * slot, so the predicate is evaluated at slot middles and at the differences themselves.
 */
function searchWindow(
  sample: Sample,
  lo: Evaluation,
  hi: Evaluation,
  holds: (e: Counts) => boolean,
): Jump {
  if (sample.searched?.lo !== lo || sample.searched.hi !== hi) {
    const window = enumerateWindow(sample, lo, hi);
    sample.searched = { lo, hi, window, points: differencesInside(sample, window, lo.d, hi.d) };
  }
  const { window, points } = sample.searched;
  const edge = (i: number): number => (i === 0 ? lo.d : i > points.length ? hi.d : points[i - 1]!);
  const slotPoint = (slot: number): number => {
    const i = slot >> 1;
    return slot % 2 === 1 ? edge(i + 1) : edge(i) + (edge(i + 1) - edge(i)) / 2;
  };
  let first = -1;
  let last = 2 * points.length + 1;
  let after: Counts = hi;
  while (last - first > 1) {
    const slot = (first + last) >> 1;
    const e = countWindow(sample, window, hi, slotPoint(slot));
    if (holds(e)) first = slot;
    else [last, after] = [slot, e];
  }
  const boundary = last % 2 === 1 ? edge((last >> 1) + 1) : edge(last >> 1);
  return { boundary, after };
}

function differencesInside(sample: Sample, window: Window, lo: number, hi: number): Float64Array {
  const xv = sample.x.values;
  const yv = sample.y.values;
  const { groups, offsets, yGroup } = window;
  const differences = new Float64Array(yGroup.length);
  let count = 0;
  for (let u = 0; u < groups.length; u++) {
    for (let k = offsets[u]!; k < offsets[u + 1]!; k++) {
      const difference = xv[groups[u]!]! - yv[yGroup[k]!]!;
      if (difference > lo && difference < hi) differences[count++] = difference;
    }
  }
  const sorted = differences.subarray(0, count).sort();
  let distinct = 0;
  for (let k = 0; k < sorted.length; k++) {
    if (k === 0 || sorted[k] !== sorted[distinct - 1]) sorted[distinct++] = sorted[k]!;
  }
  return sorted.subarray(0, distinct);
}
