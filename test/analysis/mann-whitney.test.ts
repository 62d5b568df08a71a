// The Mann-Whitney test against R and scipy (test/fixtures/mann-whitney, see its README for how the
// values were produced and why the tolerances are what they are), and against an independent,
// rank-based brute force of R's algorithm where every pairwise difference can be listed.
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import {
  mannWhitney,
  type MannWhitneyResult,
  type MannWhitneyTest,
} from "../../src/analysis/mann-whitney.js";
import { normalQuantile } from "../../src/analysis/normal.js";

interface ReferenceCase {
  name: string;
  description: string;
  confidence: number;
  x?: (number | null)[];
  y?: (number | null)[];
  generator?: {
    seed: number;
    n: number;
    m: number;
    canaryScale: number;
    check: {
      canarySum: number;
      baselineSum: number;
      canaryFirst: number[];
      baselineLast: number[];
    };
  };
  r: {
    status: "ok" | "error";
    message?: string;
    W?: number;
    pValue?: number | null;
    confInt?: [number, number];
    estimate?: number;
  };
  scipy: { statistic?: number | null; pValue?: number | null };
  middleDifferences?: [number, number];
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/mann-whitney/reference.json", import.meta.url), "utf8"),
) as { cases: ReferenceCase[] };

const EPSILON = 2 ** -52;
/** R's uniroot (tol.root = 1e-4) stops with the sign change within 4·eps·|root| + tol of its answer. */
const rootTolerance = (r: number): number => 1e-4 + 4 * EPSILON * Math.abs(r);

/** The generator of reference.json's seeded case, replayed: Lehmer 48271, + * / only. */
function parkMiller(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

function latencyLike(next: () => number, count: number, scale: number): number[] {
  return Array.from({ length: count }, () => {
    const [u1, u2, u3, u4] = [next(), next(), next(), next()];
    return (0.08 + 0.04 * u1 * u2 + (0.02 * u3) / (1.02 - u4)) * scale;
  });
}

function inputs(c: ReferenceCase): { x: number[]; y: number[] } {
  if (c.generator) {
    const next = parkMiller(c.generator.seed);
    const x = latencyLike(next, c.generator.n, c.generator.canaryScale);
    return { x, y: latencyLike(next, c.generator.m, 1) };
  }
  return { x: (c.x ?? []).map((v) => v ?? NaN), y: (c.y ?? []).map((v) => v ?? NaN) };
}

function asTest(result: MannWhitneyResult): MannWhitneyTest {
  if (result.kind !== "test")
    throw new Error(`expected a test, got ${result.reason}: ${result.message}`);
  return result;
}

/** Largest |value|, to scale tolerances for rounding of x - d. */
const magnitude = (...sides: number[][]): number =>
  Math.max(...sides.flat().filter(Number.isFinite).map(Math.abs));

describe("mannWhitney against R and scipy", () => {
  it("replays the seeded 2 x 100,000 case exactly as the generator drew it", () => {
    const seeded = reference.cases.find((c) => c.generator)!;
    const { x, y } = inputs(seeded);
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    expect(sum(x)).toBe(seeded.generator!.check.canarySum);
    expect(sum(y)).toBe(seeded.generator!.check.baselineSum);
    expect(x.slice(0, 3)).toEqual(seeded.generator!.check.canaryFirst);
    expect(y.slice(-3)).toEqual(seeded.generator!.check.baselineLast);
  });

  const ok = reference.cases.filter((c) => c.r.status === "ok");
  it.each(ok.map((c) => [c.name, c] as const))(
    "%s: W, p, interval and estimate match R",
    (_name, c) => {
      const { x, y } = inputs(c);
      const ours = asTest(mannWhitney(x, y, { confidence: c.confidence }));
      const r = c.r;
      expect(ours.u).toBe(r.W);
      expect(Math.abs(ours.pValue - r.pValue!)).toBeLessThanOrEqual(1e-12 * r.pValue!);
      expect(Math.abs(ours.lower - r.confInt![0])).toBeLessThanOrEqual(
        rootTolerance(r.confInt![0]),
      );
      expect(Math.abs(ours.upper - r.confInt![1])).toBeLessThanOrEqual(
        rootTolerance(r.confInt![1]),
      );
      // R may stop anywhere on the plateau between the two middle differences where W is exactly 0.
      const [low, high] = c.middleDifferences ?? [ours.estimate, ours.estimate];
      expect(Math.abs(ours.estimate - r.estimate!)).toBeLessThanOrEqual(
        rootTolerance(r.estimate!) + (high - low) / 2,
      );
      expect(ours.confidence).toBe(c.confidence);
      expect([ours.nCanary, ours.nBaseline]).toEqual([
        x.filter((v) => !Number.isNaN(v)).length,
        y.filter((v) => !Number.isNaN(v)).length,
      ]);
    },
  );

  it.each(ok.filter((c) => c.middleDifferences).map((c) => [c.name, c] as const))(
    "%s: the estimate is the median of the pairwise differences R lists",
    (_name, c) => {
      const { x, y } = inputs(c);
      const [low, high] = c.middleDifferences!;
      const ours = asTest(mannWhitney(x, y, { confidence: c.confidence }));
      expect(Math.abs(ours.estimate - (low + high) / 2)).toBeLessThanOrEqual(
        1e-12 * magnitude(x, y),
      );
    },
  );

  it.each(
    reference.cases.filter((c) => c.scipy.statistic != null).map((c) => [c.name, c] as const),
  )("%s: U and p match scipy", (_name, c) => {
    const { x, y } = inputs(c);
    const result = mannWhitney(x, y, { confidence: c.confidence });
    if (result.kind === "degenerate") {
      // scipy reports p = 1 where every observation is tied; R reports NaN and we run no test.
      expect(c.r.pValue).toBeNull();
      return;
    }
    expect(result.u).toBe(c.scipy.statistic);
    expect(Math.abs(result.pValue - c.scipy.pValue!)).toBeLessThanOrEqual(1e-9 * c.scipy.pValue!);
  });

  const failing = reference.cases.filter((c) => c.r.status === "error");
  it.each(failing.map((c) => [c.name, c] as const))(
    "%s: where R stops, a typed answer instead",
    (_name, c) => {
      const { x, y } = inputs(c);
      const result = mannWhitney(x, y);
      if (c.r.W === undefined) {
        expect(result).toMatchObject({ kind: "degenerate", reason: "empty" });
      } else if (c.r.pValue === null) {
        expect(result).toMatchObject({ kind: "degenerate", reason: "all-tied" });
      } else {
        // Each side constant: R computes W and p but not the interval; the shift is the one difference.
        const ours = asTest(result);
        const [only, same] = c.middleDifferences!;
        expect(only).toBe(same);
        expect(ours.u).toBe(c.r.W);
        expect(Math.abs(ours.pValue - c.r.pValue!)).toBeLessThanOrEqual(1e-12 * c.r.pValue!);
        expect([ours.lower, ours.estimate, ours.upper]).toEqual([only, only, only]);
      }
    },
  );
});

/** R's W(d) done the way R does it: average ranks of c(x - d, y), tie table, SIGMA, correction. */
function rankZ(x: number[], y: number[], d: number, correct: boolean): number {
  const values = [
    ...x.map((v) => ({ v: v - d, canary: true })),
    ...y.map((v) => ({ v, canary: false })),
  ];
  values.sort((a, b) => a.v - b.v);
  let rankSum = 0;
  let ties = 0;
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j < values.length && values[j]!.v === values[i]!.v) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (values[k]!.canary) rankSum += averageRank;
    ties += (j - i) ** 3 - (j - i);
    i = j;
  }
  const [n, m] = [x.length, y.length];
  const dz = rankSum - (n * (n + 1)) / 2 - (n * m) / 2;
  const sigma = Math.sqrt(((n * m) / 12) * (n + m + 1 - ties / ((n + m) * (n + m - 1))));
  return (dz - (correct ? Math.sign(dz) * 0.5 : 0)) / sigma;
}

/**
 * Brute force of where a predicate of R's z turns false, over every pairwise difference: z is
 * constant between consecutive differences, so bisect over the points and the gaps between them.
 */
function bruteBoundary(x: number[], y: number[], holds: (d: number) => boolean): number {
  const lo = Math.min(...x) - Math.max(...y);
  const hi = Math.max(...x) - Math.min(...y);
  const points = [...new Set(x.flatMap((a) => y.map((b) => a - b)))]
    .filter((d) => d > lo && d < hi)
    .sort((a, b) => a - b);
  const edge = (i: number): number => (i === 0 ? lo : i > points.length ? hi : points[i - 1]!);
  const at = (slot: number): number =>
    slot % 2 === 1
      ? edge((slot >> 1) + 1)
      : edge(slot >> 1) + (edge((slot >> 1) + 1) - edge(slot >> 1)) / 2;
  let [first, last] = [-1, 2 * points.length + 1];
  while (last - first > 1) {
    const slot = (first + last) >> 1;
    if (holds(at(slot))) first = slot;
    else last = slot;
  }
  return last % 2 === 1 ? edge((last >> 1) + 1) : edge(last >> 1);
}

function bruteForce(
  x: number[],
  y: number[],
  confidence = 0.98,
): { lower: number; upper: number; estimate: number } {
  const zq = normalQuantile((1 - confidence) / 2, false);
  const root = (f: (d: number) => number) => {
    const [positive, nonNegative] = [
      bruteBoundary(x, y, (d) => f(d) > 0),
      bruteBoundary(x, y, (d) => f(d) >= 0),
    ];
    return positive + (nonNegative - positive) / 2;
  };
  return {
    lower: root((d) => rankZ(x, y, d, true) - zq),
    upper: root((d) => rankZ(x, y, d, true) + zq),
    estimate: root((d) => rankZ(x, y, d, false)),
  };
}

/** mannWhitney's interval and estimate are the brute force's, to the last bit. */
function expectBruteForce(x: number[], y: number[]): void {
  const ours = asTest(mannWhitney(x, y));
  const brute = bruteForce(x, y);
  expect([ours.lower, ours.upper, ours.estimate]).toEqual([
    brute.lower,
    brute.upper,
    brute.estimate,
  ]);
}

function lognormalSample(seed: number, count: number, scale: number): number[] {
  const next = parkMiller(seed);
  return Array.from(
    { length: count },
    () => scale * Math.exp(0.5 * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next())),
  );
}

describe("mannWhitney against a rank-based brute force", () => {
  it("300 x 300: the estimate is the median of all 90,000 differences, the bounds are R's jumps", () => {
    const x = lognormalSample(11, 300, 0.105);
    const y = lognormalSample(12, 300, 0.1);
    const ours = asTest(mannWhitney(x, y));
    const differences = x.flatMap((a) => y.map((b) => a - b)).sort((a, b) => a - b);
    expect(ours.estimate).toBeCloseTo((differences[44999]! + differences[45000]!) / 2, 15);
    const brute = bruteForce(x, y);
    expect(ours.lower).toBe(brute.lower);
    expect(ours.upper).toBe(brute.upper);
    expect(ours.estimate).toBe(brute.estimate);
  });

  it.each(
    reference.cases
      .filter(
        (c) =>
          c.r.status === "ok" && !c.generator && (c.x?.length ?? 0) * (c.y?.length ?? 0) <= 40_000,
      )
      .map((c) => [c.name, c] as const),
  )(
    "%s: interval and estimate equal the brute force (R without its root tolerance)",
    (_name, c) => {
      const { x, y } = inputs(c);
      const [cx, cy] = [x.filter((v) => !Number.isNaN(v)), y.filter((v) => !Number.isNaN(v))];
      const ours = asTest(mannWhitney(x, y, { confidence: c.confidence }));
      const brute = bruteForce(cx, cy, c.confidence);
      const slack = 1e-12 * magnitude(cx, cy);
      expect(Math.abs(ours.lower - brute.lower)).toBeLessThanOrEqual(slack);
      expect(Math.abs(ours.upper - brute.upper)).toBeLessThanOrEqual(slack);
      expect(Math.abs(ours.estimate - brute.estimate)).toBeLessThanOrEqual(slack);
    },
  );

  it("canary values that round together after subtracting d are ranked as R ranks them", () => {
    // 1e-20 and 2e-20 minus any d near 1 are the same double: R's ranks see one tie group.
    const x = [1e-20, 2e-20, 3e-20, 0.7, 1.9, 2.4];
    const y = [0.5, 1, 1, 2, 2.5];
    expectBruteForce(x, y);
  });

  it("values spanning 1e-100 to 1e100 of both signs (R's uniroot stops unconverged after 1000 steps)", () => {
    const next = parkMiller(77);
    const draw = () => (next() < 0.5 ? -1 : 1) * 10 ** (200 * next() - 100);
    const x = Array.from({ length: 100 }, draw);
    const y = Array.from({ length: 90 }, draw);
    expectBruteForce(x, y);
  });

  it("canary values one unit in the last place apart, which some shifts round together", () => {
    const next = parkMiller(78);
    const x = Array.from({ length: 300 }, () => {
      const value = Math.round(next() * 200) / 200;
      return next() < 0.5 ? value : value + value * 2 ** -52;
    });
    const y = Array.from({ length: 200 }, () => Math.round(next() * 200) / 200 + 0.004);
    expectBruteForce(x, y);
  });

  it("heavily tied integers with one tie group spanning both sides", () => {
    const next = parkMiller(5);
    const x = Array.from({ length: 150 }, () => Math.floor(next() * 5) + 1);
    const y = Array.from({ length: 120 }, () => Math.floor(next() * 5));
    expectBruteForce(x, y);
  });
});

describe("mannWhitney on degenerate and unusual input", () => {
  it("names an empty side, an all-tied sample and an infinity instead of throwing", () => {
    expect(mannWhitney([], [1, 2])).toMatchObject({
      kind: "degenerate",
      reason: "empty",
      nCanary: 0,
      nBaseline: 2,
    });
    expect(mannWhitney([1], [])).toMatchObject({ kind: "degenerate", reason: "empty" });
    expect(mannWhitney([NaN, NaN], [1])).toMatchObject({
      kind: "degenerate",
      reason: "empty",
      nCanary: 0,
    });
    expect(mannWhitney([4, 4], [4, 4, 4])).toMatchObject({
      kind: "degenerate",
      reason: "all-tied",
    });
    expect(mannWhitney([1, Infinity], [1, 2])).toMatchObject({
      kind: "degenerate",
      reason: "non-finite",
    });
    expect(mannWhitney([1, 2], [-Infinity, 2])).toMatchObject({
      kind: "degenerate",
      reason: "non-finite",
    });
  });

  it("drops NaN as R drops NA", () => {
    const withNaN = asTest(mannWhitney([1.5, NaN, 2.5, 3.1], [NaN, 1, 2, 0.4]));
    const without = asTest(mannWhitney([1.5, 2.5, 3.1], [1, 2, 0.4]));
    expect(withNaN).toEqual(without);
  });

  it("accepts typed arrays and leaves the input alone", () => {
    const x = new Float64Array([3, 1, 2]);
    const y = [0.5, 2.5, 1.5, 0];
    const result = asTest(mannWhitney(x, y));
    expect(Array.from(x)).toEqual([3, 1, 2]);
    expect(y).toEqual([0.5, 2.5, 1.5, 0]);
    expect(result).toEqual(asTest(mannWhitney([1, 2, 3], [0, 0.5, 1.5, 2.5])));
  });

  it("treats -0 and 0 as a tie, as R's ranks do", () => {
    expect(asTest(mannWhitney([-0, 1, 2], [0, 3])).u).toBe(
      asTest(mannWhitney([0, 1, 2], [0, 3])).u,
    );
  });

  it("rejects a confidence outside (0, 1)", () => {
    for (const confidence of [0, 1, -0.5, 1.5, NaN]) {
      expect(() => mannWhitney([1, 2], [3, 4], { confidence })).toThrow(RangeError);
    }
  });

  it("is symmetric: swapping the sides mirrors the interval and the estimate", () => {
    const x = lognormalSample(21, 80, 1.2);
    const y = lognormalSample(22, 90, 1);
    const forward = asTest(mannWhitney(x, y));
    const backward = asTest(mannWhitney(y, x));
    expect(backward.u).toBe(80 * 90 - forward.u);
    expect(backward.pValue).toBe(forward.pValue);
    expect(backward.estimate).toBeCloseTo(-forward.estimate, 12);
    expect(backward.lower).toBeCloseTo(-forward.upper, 12);
    expect(backward.upper).toBeCloseTo(-forward.lower, 12);
  });
});
