// The canary judge's rules (Kayenta's MannWhitneyClassifier): cleaning, NoData, identical data,
// the tolerance band, the direction filter and the effect-size limits.
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { classifyComparison, type ComparisonOptions } from "../../src/analysis/judge.js";
import { mannWhitney } from "../../src/analysis/mann-whitney.js";

/** Deterministic uniforms (Lehmer 48271), so every expectation below is reproducible. */
function uniforms(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

/** Latency-like values around `center` seconds: skewed, no ties. */
function latencies(seed: number, count: number, center: number): number[] {
  const next = uniforms(seed);
  return Array.from(
    { length: count },
    () => center * (0.7 + 0.6 * next() * next() + 0.1 / (1.05 - next())),
  );
}

const either: ComparisonOptions = { direction: "either" };
const baseline = latencies(1, 400, 0.1);
const slower = latencies(2, 400, 0.13);
const faster = latencies(3, 400, 0.07);
const same = latencies(4, 400, 0.1);

describe("classifyComparison: verdicts", () => {
  it("calls a clearly slower canary High, with the interval, band and reason", () => {
    const result = classifyComparison(slower, baseline, { ...either, label: "p50 latency" });
    expect(result.label).toBe("High");
    expect(result.test).toBeDefined();
    const test = result.test!;
    const expected = mannWhitney(slower, baseline);
    expect(test).toMatchObject({ confidence: 0.98 });
    expect(expected).toMatchObject({
      kind: "test",
      lower: test.lower,
      upper: test.upper,
      estimate: test.estimate,
      u: test.u,
    });
    expect(result.bounds).toEqual({
      lower: -0.25 * Math.abs(test.estimate),
      upper: 0.25 * Math.abs(test.estimate),
    });
    expect(test.lower).toBeGreaterThan(result.bounds!.upper);
    expect(result.reason).toMatch(
      new RegExp(
        String.raw`^canary p50 latency [\d.]+ vs baseline [\d.]+: 98% interval of the shift ` +
          String.raw`\[[\d.]+, [\d.]+\] lies above \+25% of the estimate \([\d.]+\)$`,
      ),
    );
  });

  it("calls a clearly faster canary Low", () => {
    const result = classifyComparison(faster, baseline, either);
    expect(result.label).toBe("Low");
    expect(result.test!.upper).toBeLessThan(result.bounds!.lower);
    expect(result.reason).toContain("lies below -25% of the estimate");
  });

  it("passes a canary from the same distribution", () => {
    const result = classifyComparison(same, baseline, either);
    expect(result.label).toBe("Pass");
    expect(result.reason).toContain("reaches within ±25% of the estimate");
  });

  it("reports only the failing direction: increase ignores a drop, decrease ignores a rise", () => {
    expect(classifyComparison(slower, baseline, { direction: "increase" }).label).toBe("High");
    expect(classifyComparison(faster, baseline, { direction: "decrease" }).label).toBe("Low");
    const drop = classifyComparison(faster, baseline, { direction: "increase" });
    expect(drop.label).toBe("Pass");
    expect(drop.reason).toMatch(
      /lies below -25% of the estimate .*, but only an increase fails this metric$/,
    );
    const rise = classifyComparison(slower, baseline, { direction: "decrease" });
    expect(rise.label).toBe("Pass");
    expect(rise.reason).toMatch(/but only a decrease fails this metric$/);
  });

  it("compares the interval with ±tolerance·|estimate|: a wide band passes what a narrow one fails", () => {
    const test = classifyComparison(slower, baseline, either).test!;
    // The band that the interval's lower end just clears, and one just beyond it.
    const edge = test.lower / Math.abs(test.estimate);
    expect(classifyComparison(slower, baseline, { ...either, tolerance: edge * 0.99 }).label).toBe(
      "High",
    );
    const wide = classifyComparison(slower, baseline, { ...either, tolerance: edge * 1.01 });
    expect(wide.label).toBe("Pass");
    expect(wide.bounds!.upper).toBeCloseTo(edge * 1.01 * Math.abs(test.estimate), 15);
    expect(classifyComparison(same, baseline, { ...either, tolerance: 0 }).bounds).toEqual({
      lower: -0,
      upper: 0,
    });
  });

  it("uses the confidence asked for", () => {
    const loose = classifyComparison(slower, baseline, { ...either, confidence: 0.8 }).test!;
    const strict = classifyComparison(slower, baseline, { ...either, confidence: 0.999 }).test!;
    expect(loose.confidence).toBe(0.8);
    expect(strict.lower).toBeLessThan(loose.lower);
    expect(strict.upper).toBeGreaterThan(loose.upper);
  });
});

describe("classifyComparison: effect size", () => {
  const ratio = classifyComparison(slower, baseline, either).effectSize;

  it("is the ratio of means", () => {
    const mean = (values: number[]) =>
      values.reduce((total, value) => total + value, 0) / values.length;
    expect(ratio).toBeCloseTo(mean(slower) / mean(baseline), 12);
    expect(ratio).toBeGreaterThan(1.2);
  });

  it("holds back a High below the increase limit, and lets it through at or above it", () => {
    const held = classifyComparison(slower, baseline, {
      ...either,
      effectSize: { increase: ratio + 0.1 },
    });
    expect(held.label).toBe("Pass");
    expect(held.reason).toContain("significant but below the effect size limit");
    expect(
      classifyComparison(slower, baseline, { ...either, effectSize: { increase: ratio } }).label,
    ).toBe("High");
  });

  it("holds back a Low above the decrease limit", () => {
    const dropRatio = classifyComparison(faster, baseline, either).effectSize;
    const held = classifyComparison(faster, baseline, {
      ...either,
      effectSize: { decrease: dropRatio - 0.1 },
    });
    expect(held.label).toBe("Pass");
    expect(held.reason).toContain("significant but below the effect size limit");
    expect(
      classifyComparison(faster, baseline, { ...either, effectSize: { decrease: dropRatio } })
        .label,
    ).toBe("Low");
  });

  it("is NaN over a zero baseline mean, and then does not hold a verdict back", () => {
    const next = uniforms(9);
    const errors = Array.from({ length: 60 }, () => (next() < 0.1 ? 0 : 0.01 + 0.01 * next()));
    const clean = Array.from({ length: 60 }, () => 0);
    const result = classifyComparison(errors, clean, { ...either, effectSize: { increase: 5 } });
    expect(result.effectSize).toBeNaN();
    expect(result.label).toBe("High");
  });

  it("is 1 when both means are zero", () => {
    expect(classifyComparison([0, 0, 0], [0, 0], either).effectSize).toBe(1);
  });
});

describe("classifyComparison: data that cannot be judged or need no test", () => {
  it("is NoData when a side is empty after cleaning", () => {
    const result = classifyComparison([NaN, Infinity], baseline, either);
    expect(result.label).toBe("NoData");
    expect(result.reason).toBe("no data after cleaning (canary n=0, baseline n=400)");
    expect(result.canary).toMatchObject({ n: 0, removedNaN: 2 });
    expect(result.test).toBeUndefined();
  });

  it("is NoData below minSamples on either side", () => {
    const result = classifyComparison(slower.slice(0, 9), baseline, { ...either, minSamples: 10 });
    expect(result.label).toBe("NoData");
    expect(result.reason).toBe("too few samples (canary n=9, baseline n=400)");
    expect(
      classifyComparison(slower.slice(0, 10), baseline, { ...either, minSamples: 10 }).label,
    ).toBe("High");
  });

  it("passes identical data without a test", () => {
    const result = classifyComparison([...baseline].reverse(), baseline, either);
    expect(result).toMatchObject({ label: "Pass", effectSize: 1 });
    expect(result.reason).toMatch(/canary and baseline data are identical$/);
    expect(result.test).toBeUndefined();
  });

  it("passes when every value on both sides is the same", () => {
    const result = classifyComparison([0.5, 0.5, 0.5], [0.5, 0.5], either);
    expect(result).toMatchObject({
      label: "Pass",
      reason: "every canary and baseline value is 0.5",
    });
  });

  it("judges two constant sides by their difference (R stops there; Kayenta adds noise)", () => {
    const result = classifyComparison([1, 1, 1, 1], [0, 0, 0, 0, 0], either);
    expect(result.label).toBe("High");
    expect(result.test).toMatchObject({ lower: 1, upper: 1, estimate: 1 });
  });
});

describe("classifyComparison: cleaning", () => {
  it("drops NaN and infinities by default and counts them", () => {
    const result = classifyComparison(
      [...slower, NaN, Infinity, -Infinity],
      [NaN, ...baseline],
      either,
    );
    expect(result.canary).toMatchObject({ n: 400, removedNaN: 3, replacedNaN: 0 });
    expect(result.baseline).toMatchObject({ n: 400, removedNaN: 1 });
    expect(result.test).toEqual(classifyComparison(slower, baseline, either).test);
  });

  it("replaces them with 0 under nanStrategy replace", () => {
    const result = classifyComparison([1, 2, NaN, Infinity], [1, 2, 3], {
      ...either,
      nanStrategy: "replace",
    });
    expect(result.canary).toMatchObject({
      n: 4,
      removedNaN: 0,
      replacedNaN: 2,
      mean: 0.75,
      median: 0.5,
    });
  });

  /** 1000 values spread evenly over [10, 11): quartiles near 10.25 and 10.75, IQR near 0.5. */
  const next = uniforms(17);
  const even = Array.from({ length: 1000 }, () => 10 + next());

  it("keeps outliers by default and removes them with Kayenta's IQR fences on request", () => {
    const values = [...even, 1e6, 2e6];
    expect(classifyComparison(values, even, either).canary.removedOutliers).toBe(0);
    const removed = classifyComparison(values, even, { ...either, outliers: "remove" });
    expect(removed.canary).toMatchObject({ n: 1000, removedOutliers: 2 });
    expect(removed.baseline.removedOutliers).toBe(0);
  });

  it("removes nothing from fewer than 100 values, where the 1st and 99th percentiles are the extremes", () => {
    const result = classifyComparison([...baseline.slice(0, 97), 1e9], baseline, {
      ...either,
      outliers: "remove",
    });
    expect(result.canary.removedOutliers).toBe(0);
  });

  it("narrows the fences with a smaller factor", () => {
    // Upper fence about 10.75 + 3 * 0.5 = 12.25 by default, 10.75 + 1 * 0.5 = 11.25 with factor 1.
    const values = [...even, 11.8, 13, 14];
    const wide = classifyComparison(values, even, { ...either, outliers: "remove" });
    const narrow = classifyComparison(values, even, {
      ...either,
      outliers: "remove",
      outlierFactor: 1,
    });
    expect(wide.canary.removedOutliers).toBe(2);
    expect(narrow.canary.removedOutliers).toBe(3);
  });

  it("summarises each side after cleaning", () => {
    const result = classifyComparison([3, 1, 2, 10], [4, 5], either);
    expect(result.canary).toEqual({
      n: 4,
      mean: 4,
      median: 2.5,
      removedNaN: 0,
      replacedNaN: 0,
      removedOutliers: 0,
    });
    expect(result.baseline).toMatchObject({ n: 2, mean: 4.5, median: 4.5 });
  });

  it("rejects options no configuration can hold", () => {
    expect(() => classifyComparison([1], [2], { ...either, tolerance: -1 })).toThrow(RangeError);
    expect(() => classifyComparison([1], [2], { ...either, minSamples: 0 })).toThrow(RangeError);
    expect(() => classifyComparison([1], [2], { ...either, outlierFactor: 0 })).toThrow(RangeError);
    expect(() => classifyComparison([1, 3], [2, 4], { ...either, confidence: 1 })).toThrow(
      RangeError,
    );
  });
});

describe("classifyComparison on 2 x 100,000 samples", () => {
  it("judges the seeded reference case as R's interval implies", () => {
    const reference = JSON.parse(
      readFileSync(new URL("../fixtures/mann-whitney/reference.json", import.meta.url), "utf8"),
    ) as {
      cases: {
        generator?: { seed: number; n: number; m: number; canaryScale: number };
        r: { confInt: [number, number]; estimate: number };
      }[];
    };
    const seeded = reference.cases.find((c) => c.generator)!;
    const next = uniforms(seeded.generator!.seed);
    const draw = (count: number, scale: number) =>
      Array.from({ length: count }, () => {
        const [u1, u2, u3, u4] = [next(), next(), next(), next()];
        return (0.08 + 0.04 * u1 * u2 + (0.02 * u3) / (1.02 - u4)) * scale;
      });
    const canary = draw(seeded.generator!.n, seeded.generator!.canaryScale);
    const base = draw(seeded.generator!.m, 1);
    const result = classifyComparison(canary, base, { direction: "increase", label: "latency" });
    const [lower, upper] = seeded.r.confInt;
    expect(lower).toBeGreaterThan(0.25 * Math.abs(seeded.r.estimate));
    expect(result.label).toBe("High");
    expect(Math.abs(result.test!.lower - lower)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(result.test!.upper - upper)).toBeLessThanOrEqual(1e-4);
    expect(result.canary.n).toBe(100_000);
  });
});
