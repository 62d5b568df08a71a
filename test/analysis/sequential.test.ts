// The anytime-valid rate-ratio test and the histogram test: e-values against closed forms and
// numerical integrals computed with SciPy (reference code in the comments), the confidence
// sequence, and seeded A/A and A/B simulations for the error rates over many looks.
import { describe, expect, it } from "@jest/globals";
import {
  bucketIncrease,
  bucketMismatch,
  bucketQuantile,
  counterIncrease,
  counterValue,
  histogramBuckets,
} from "../../src/analysis/counters.js";
import {
  HistogramSequence,
  histogramTest,
  type HistogramInterval,
} from "../../src/analysis/histogram-test.js";
import {
  RatioSequence,
  ratioTest,
  type Direction,
  type RateInterval,
} from "../../src/analysis/sequential.js";

const interval = (x: number, a: number, y: number, b: number): RateInterval => ({
  canaryEvents: x,
  canaryTotal: a,
  baselineEvents: y,
  baselineTotal: b,
});

/** Relative closeness: the grid's sum follows the integral to about 1e-3 (worse for e-values below 1). */
const near = (actual: number, expected: number, relative = 2e-3) =>
  expect(Math.abs(actual / expected - 1)).toBeLessThan(relative);

describe("the rate-ratio e-value", () => {
  // Equal exposure, theta0 = 1: with Beta(5, 5) on the share s, the two-sided e-value is the
  // beta-binomial Bayes factor 2^n B(5 + X, 5 + n - X) / B(5, 5), the one-sided ones twice that
  // times P(S > 1/2) or P(S < 1/2) for S ~ Beta(5 + X, 5 + n - X). SciPy:
  //   lb = betaln(5+X, 5+n-X) - betaln(5, 5) + n*log(2)
  //   [2*exp(lb)*beta.sf(0.5, 5+X, 5+n-X), 2*exp(lb)*beta.cdf(0.5, 5+X, 5+n-X), exp(lb)]
  const closedForms: [number, number, number, number, number][] = [
    // X (canary events), n (all events), increase, decrease, either
    [0, 0, 1, 1, 1],
    [10, 20, 0.5678300168801058, 0.5678300168801058, 0.5678300168801058],
    [15, 20, 6.393536587803125, 0.20259471717375574, 3.2980656524884404],
    [30, 45, 6.758309698633556, 0.13871138480969447, 3.448510541721625],
    [40, 50, 2370.501570602209, 0.07740687621196086, 1185.2894887392106],
    [5, 30, 0.11332215117606602, 212.69430598931922, 106.40381407024765],
  ];
  it.each(closedForms)(
    "matches the beta-binomial closed form: %d of %d events on the canary",
    (x, n, increase, decrease, either) => {
      const data = [interval(x, 1000, n - x, 1000)];
      const e = (direction: Direction) =>
        ratioTest(data, { nullRatio: 1, alpha: 0.01, direction }).eValue;
      near(e("increase"), increase, 5e-3);
      near(e("decrease"), decrease, 1e-2);
      near(e("either"), either, 1e-6);
    },
  );

  // Unequal, drifting exposure (10% canary), by quadrature over log theta (SciPy's quad of the
  // prior times exp(ll(phi) - ll(log theta0)), ll the sum of x log expit(z) + y log expit(-z),
  // z = phi + log(a/b), over the prior's support, divided by the prior's mass).
  const drifting = [
    interval(3, 1000, 20, 9000),
    interval(6, 1100, 25, 8900),
    interval(9, 950, 31, 9050),
  ];
  it.each([
    [1, "increase", 13.407858988858177],
    [1.2, "increase", 4.084792514277412],
    [1, "either", 6.768685452274428],
  ] as const)(
    "matches quadrature with drifting exposure: theta0 %d, %s",
    (theta0, direction, expected) => {
      near(ratioTest(drifting, { nullRatio: theta0, alpha: 0.01, direction }).eValue, expected);
    },
  );

  it("rejects at 1/alpha, and reports the pooled ratio with events and exposure", () => {
    const result = ratioTest(drifting, { nullRatio: 1, alpha: 0.1, direction: "increase" });
    expect(result).toMatchObject({
      rejected: true,
      events: { canary: 18, baseline: 76 },
      exposure: { canary: 3050, baseline: 26950 },
    });
    expect(result.estimate).toBeCloseTo(18 / 3050 / (76 / 26950), 10);
    expect(ratioTest(drifting, { nullRatio: 1, alpha: 0.05, direction: "increase" }).rejected).toBe(
      false,
    );
  });

  it("ignores intervals without exposure on a side, and has no estimate without baseline events", () => {
    const result = ratioTest([interval(4, 0, 0, 100), interval(0, 0, 0, 0)], {
      nullRatio: 1,
      alpha: 0.01,
      direction: "increase",
    });
    expect(result.eValue).toBeCloseTo(1, 12);
    expect(result.estimate).toBeNull();
    expect(result.interval).toEqual({ lower: 0, upper: Number.POSITIVE_INFINITY });
  });
});

describe("the confidence sequence", () => {
  it("has its lower bound past 1 exactly when the one-sided test rejects (to the grid's 2%)", () => {
    for (const canary of [6, 8, 10, 12, 14, 16, 20]) {
      const data = Array.from({ length: 3 }, () => interval(canary, 1000, 30, 9000));
      for (const alpha of [0.01, 0.05, 0.1]) {
        const result = ratioTest(data, { nullRatio: 1, alpha, direction: "increase" });
        if (Math.abs(Math.log(result.interval.lower)) > 0.02)
          expect(result.interval.lower > 1).toBe(result.rejected);
      }
    }
  });

  it("holds the estimate, narrows with data, and excludes 1 when the canary is clearly worse", () => {
    const few = ratioTest([interval(6, 1000, 30, 9000)], {
      nullRatio: 1,
      alpha: 0.01,
      direction: "increase",
    });
    const many = ratioTest(
      Array.from({ length: 20 }, () => interval(6, 1000, 30, 9000)),
      { nullRatio: 1, alpha: 0.01, direction: "increase" },
    );
    for (const result of [few, many]) {
      expect(result.interval.lower).toBeLessThan(result.estimate ?? 0);
      expect(result.interval.upper).toBeGreaterThan(result.estimate ?? 0);
    }
    expect(many.interval.upper - many.interval.lower).toBeLessThan(
      few.interval.upper - few.interval.lower,
    );
    expect(many.estimate).toBeCloseTo(1.8, 10);
    expect(many.interval.lower).toBeGreaterThan(1);
    expect(few.interval.lower).toBeLessThan(1);
  });
});

/** Lehmer 48271 uniforms, seeded: every run of the suite sees the same traffic. */
function uniforms(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

function poisson(mean: number, next: () => number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(next)));
  const limit = Math.exp(-mean);
  let k = 0;
  let product = next();
  while (product > limit) {
    k += 1;
    product *= next();
  }
  return k;
}

const normal = (next: () => number) =>
  Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());

/**
 * One analysis of 10 s intervals at 100 requests/s, 10% to the canary; the baseline error rate
 * drifts (shared by both sides) around 0.5%; errors are binomial among the requests. Returns the
 * look at which the test rejected, or undefined.
 */
function simulateRate(
  seed: number,
  ratio: number,
  looks: number,
  alpha: number,
): number | undefined {
  const next = uniforms(seed);
  const test = new RatioSequence({ nullRatio: 1, alpha, direction: "increase" });
  for (let look = 1; look <= looks; look++) {
    const base = 0.005 * (1 + 0.5 * Math.sin(look / 7 + seed));
    const a = poisson(100, next);
    const b = poisson(900, next);
    let x = 0;
    for (let request = 0; request < a; request++) if (next() < base * ratio) x += 1;
    const y = poisson(b * base, next);
    test.add(interval(x, a, y, b));
    if (test.result().rejected) return look;
  }
  return undefined;
}

describe("error rates over many looks (seeded simulation)", () => {
  it("A/A: false rejections stay below alpha however often the test looks", () => {
    const runs = 200;
    const alpha = 0.05;
    let rejected = 0;
    for (let seed = 1; seed <= runs; seed++)
      if (simulateRate(seed, 1, 45, alpha) !== undefined) rejected += 1;
    expect(rejected / runs).toBeLessThanOrEqual(alpha);
  });

  it("A/B: doubled errors are detected in at least 95% of 15-minute analyses at alpha 0.01", () => {
    const runs = 100;
    const times: number[] = [];
    for (let seed = 1001; seed <= 1000 + runs; seed++) {
      const look = simulateRate(seed, 2, 90, 0.01);
      if (look !== undefined) times.push(look * 10);
    }
    expect(times.length / runs).toBeGreaterThanOrEqual(0.95);
    times.sort((p, q) => p - q);
    // Median time to detect, seconds: about five minutes at these rates.
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(420);
  });
});

describe("counters", () => {
  it("takes increases, a drop being a reset counted from zero as increase() does", () => {
    expect(counterIncrease(10, 25)).toEqual({ increase: 15, reset: false });
    expect(counterIncrease(100, 7)).toEqual({ increase: 7, reset: true });
    expect(counterIncrease(5, 5)).toEqual({ increase: 0, reset: false });
  });

  it("reads a scalar or one element; no element is 0; more than one is a mistake to name", () => {
    expect(counterValue([])).toEqual({ value: 0 });
    expect(counterValue([{ labels: {}, value: 42 }])).toEqual({ value: 42 });
    expect(
      counterValue([
        { labels: { pod: "a" }, value: 1 },
        { labels: { pod: "b" }, value: 2 },
      ]),
    ).toEqual({
      problem:
        'returned 2 series ({"pod":"a"}, {"pod":"b"}); a counter query must return a scalar or one element: ' +
        "wrap it in sum(...)",
    });
    expect(counterValue([{ labels: {}, value: Number.NaN }])).toMatchObject({
      problem: /not a counter/,
    });
  });

  const bucket = (le: string, value: number, extra: Record<string, string> = {}) => ({
    labels: { le, ...extra },
    value,
  });

  it("reads histogram buckets by le, and names what is wrong with them", () => {
    expect(histogramBuckets([bucket("+Inf", 10), bucket("0.1", 4), bucket("0.5", 9)])).toEqual({
      le: [0.1, 0.5, Number.POSITIVE_INFINITY],
      counts: [4, 9, 10],
    });
    expect(histogramBuckets([])).toEqual({ le: [], counts: [] });
    expect(histogramBuckets([{ labels: { pod: "a" }, value: 3 }])).toMatchObject({
      problem: /without a bucket label le/,
    });
    expect(histogramBuckets([bucket("0.1", 1), bucket("0.1", 2, { pod: "b" })])).toMatchObject({
      problem: /more than one series for le="0.1": aggregate with sum by \(le\)/,
    });
    expect(histogramBuckets([bucket("0.1", 1)])).toMatchObject({ problem: /no le="\+Inf" bucket/ });
    const a = { le: [0.1, Number.POSITIVE_INFINITY], counts: [1, 2] };
    const b = { le: [0.25, Number.POSITIVE_INFINITY], counts: [1, 2] };
    expect(bucketMismatch(a, b)).toBe(
      "the canary's buckets (le 0.1, Infinity) differ from the baseline's (le 0.25, Infinity)",
    );
    expect(bucketMismatch(a, a)).toBeUndefined();
    expect(bucketMismatch(a, { le: [], counts: [] })).toBeUndefined();
  });

  it("takes each bucket's increase on its own, resets included", () => {
    const before = { le: [0.1, Number.POSITIVE_INFINITY], counts: [10, 20] };
    expect(bucketIncrease(before, { le: before.le, counts: [15, 28] })).toEqual({
      counts: [5, 8],
      resets: 0,
    });
    expect(bucketIncrease(before, { le: before.le, counts: [2, 3] })).toEqual({
      counts: [2, 3],
      resets: 2,
    });
    expect(bucketIncrease({ le: [], counts: [] }, before)).toEqual({ counts: [10, 20], resets: 0 });
  });

  it("computes quantiles as histogram_quantile does", () => {
    // 100 observations: 50 up to 0.1, 40 in (0.1, 0.5], 10 above 0.5.
    const buckets = { le: [0.1, 0.5, Number.POSITIVE_INFINITY], counts: [50, 90, 100] };
    expect(bucketQuantile(0.25, buckets)).toBeCloseTo(0.05, 12); // 0 + 0.1 * 25/50
    expect(bucketQuantile(0.7, buckets)).toBeCloseTo(0.3, 12); // 0.1 + 0.4 * 20/40
    expect(bucketQuantile(0.95, buckets)).toBe(0.5); // in +Inf: the highest finite bound
    expect(bucketQuantile(0.5, { le: [0.1, Number.POSITIVE_INFINITY], counts: [0, 0] })).toBeNull();
  });
});

/** One interval of log-normal latencies (median 100 ms) into buckets, the canary's scaled. */
function latencyInterval(next: () => number, canaryScale: number): HistogramInterval {
  const le = [0.025, 0.05, 0.1, 0.25, 0.5, 1, Number.POSITIVE_INFINITY];
  const side = (count: number, scale: number) => {
    const counts = le.map(() => 0);
    for (let index = 0; index < count; index++) {
      const value = 0.1 * scale * Math.exp(0.6 * normal(next));
      for (let slot = 0; slot < le.length; slot++)
        if (value <= (le[slot] ?? 0)) counts[slot] = (counts[slot] ?? 0) + 1;
    }
    return { le, counts };
  };
  return { canary: side(100, canaryScale), baseline: side(900, 1) };
}

describe("the histogram test", () => {
  it("A/A: false rejections stay below alpha", () => {
    const runs = 40;
    let rejected = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const next = uniforms(seed * 7919);
      const test = new HistogramSequence({ alpha: 0.05, direction: "increase" });
      for (let look = 0; look < 15; look++) {
        test.add(latencyInterval(next, 1));
        if (test.result().rejected) {
          rejected += 1;
          break;
        }
      }
    }
    expect(rejected / runs).toBeLessThanOrEqual(0.05);
  });

  it("catches a canary 20% slower, says where, and which quantiles moved", () => {
    const next = uniforms(4242);
    const data: HistogramInterval[] = [];
    let result = histogramTest(data, { alpha: 0.01, direction: "increase" });
    while (!result.rejected && data.length < 30) {
      data.push(latencyInterval(next, 1.2));
      result = histogramTest(data, { alpha: 0.01, direction: "increase" });
    }
    expect(result.rejected).toBe(true);
    expect(data.length).toBeLessThan(30);
    expect(result.strongest?.test.estimate).toBeGreaterThan(1);
    const p50 = result.quantiles.find((one) => one.q === 0.5);
    expect(p50?.change).toBeGreaterThan(0.05);
    // Faster is no regression when the direction is increase.
    const faster = [
      latencyInterval(next, 0.8),
      latencyInterval(next, 0.8),
      latencyInterval(next, 0.8),
    ];
    expect(histogramTest(faster, { alpha: 0.01, direction: "increase" }).rejected).toBe(false);
    expect(histogramTest(faster, { alpha: 0.01, direction: "decrease" }).rejected).toBe(true);
  });
});
