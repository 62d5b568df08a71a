// Sequential metrics through the gate: definitions checked, queries' shapes checked before the
// first round (annotated), counters read each round with resets, and the metric's phase by its
// test (rejection at once; at count, a pass only with min-events and traffic).
import { describe, expect, it } from "@jest/globals";
import type { Clock } from "../../src/analysis/analysis.js";
import { planGate, runGate } from "../../src/analysis/gate.js";
import type { MetricsProvider, Sample } from "../../src/analysis/provider.js";
import { ConfigurationError } from "../../src/shared/errors.js";

const rate = {
  name: "errors",
  sequential: {
    kind: "rate",
    canary: { events: 'sum(errors{v="{{ canary }}"})', total: 'sum(requests{v="{{ canary }}"})' },
    baseline: {
      events: 'sum(errors{v="{{ baseline }}"})',
      total: 'sum(requests{v="{{ baseline }}"})',
    },
    alpha: 0.01,
    "min-events": 20,
  },
};

function plan(metrics: unknown[], settings: Record<string, unknown> = {}) {
  return planGate(
    undefined,
    {
      settings: { address: "http://127.0.0.1:9", interval: "10s", ...settings },
      settingPath: (key) => `input "${key}"`,
      metrics: { metrics, path: ["metrics"] },
    },
    { canary: "2", baseline: "1" },
  );
}

function clock(): Clock {
  let now = Date.UTC(2026, 10, 23, 12);
  return { now: () => now, sleep: async (ms) => void (now += Math.max(0, ms)) };
}

/** Counters that grow by `perRound` each time a query is asked at a new time. */
function provider(answer: (query: string, step: number) => Sample[]): MetricsProvider {
  const steps = new Map<number, number>();
  return {
    description: "fake",
    validate: () => undefined,
    async instant(query, at) {
      if (!steps.has(at.getTime())) steps.set(at.getTime(), steps.size);
      return answer(query, steps.get(at.getTime()) ?? 0);
    },
    async range() {
      return [];
    },
  };
}

/** One fake provider for the whole run, as the gate keeps one per endpoint. */
const once = (answer: (query: string, step: number) => Sample[]) => {
  const made = provider(answer);
  return () => made;
};

const one = (value: number): Sample[] => [{ labels: {}, value }];
/** 100 canary and 900 baseline requests a step, errors at the given rates. */
const traffic = (canaryRate: number, baselineRate: number) => (query: string, step: number) => {
  const canary = query.includes('"2"');
  const requests = (canary ? 100 : 900) * step;
  if (query.startsWith("sum(requests")) return one(requests);
  return one(Math.round(requests * (canary ? canaryRate : baselineRate)));
};

describe("sequential metrics in the gate", () => {
  it("prepares the issue's shapes with their defaults", () => {
    const histogram = {
      name: "latency",
      sequential: {
        kind: "histogram",
        canary: 'sum by (le) (b{v="{{ canary }}"})',
        baseline: "sum by (le) (b)",
      },
    };
    const { metrics } = plan([rate, histogram]);
    expect(metrics[0]).toMatchObject({
      kind: "comparison",
      method: "sequential",
      judge: { kind: "rate", tolerance: 0, alpha: 0.01, minEvents: 20, direction: "increase" },
      queries: { canary: 'sum(errors{v="2"}) per sum(requests{v="2"})' },
    });
    expect(metrics[1]).toMatchObject({
      judge: { kind: "histogram", direction: "increase", alpha: 0.01, minEvents: 100 },
    });
  });

  it("refuses bad definitions with the key path", () => {
    const bad = {
      name: "x",
      sequential: { kind: "rate", canary: { events: "a" }, baseline: { events: "b", total: "c" } },
    };
    expect(() => plan([bad])).toThrow(/metrics\[0\]\.sequential\.canary\.total/);
    expect(() => plan([{ name: "y", sequential: { kind: "ratio" } }])).toThrow(
      /expected kind "rate"/,
    );
    expect(() => plan([{ ...rate, sequential: { ...rate.sequential, alpha: 0 } }])).toThrow(
      /alpha/,
    );
  });

  it("names a query of the wrong shape before the first round", async () => {
    const twoSeries = provider((query) =>
      query.includes("errors{") && query.includes('"2"')
        ? [
            { labels: { pod: "a" }, value: 1 },
            { labels: { pod: "b" }, value: 2 },
          ]
        : one(1),
    );
    const histogram = {
      name: "latency",
      sequential: {
        kind: "histogram",
        canary: 'c{v="{{ canary }}"}',
        baseline: 'b{v="{{ baseline }}"}',
      },
    };
    const noLe = provider((query) =>
      query.startsWith("c{") ? [{ labels: { pod: "a" }, value: 3 }] : one(1),
    );
    await expect(
      runGate(plan([rate]), { providerFor: () => twoSeries, clock: clock() }),
    ).rejects.toThrow(
      /metrics\[0\]\.sequential \(metric "errors"\): the canary events query returned 2 series/,
    );
    const error = await runGate(plan([histogram]), {
      providerFor: () => noLe,
      clock: clock(),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(String(error.message)).toMatch(
      /the canary query returned a series without a bucket label le/,
    );
    const differ = provider((query) =>
      query.startsWith("c{")
        ? [
            { labels: { le: "0.1" }, value: 1 },
            { labels: { le: "+Inf" }, value: 2 },
          ]
        : [
            { labels: { le: "0.2" }, value: 1 },
            { labels: { le: "+Inf" }, value: 2 },
          ],
    );
    await expect(
      runGate(plan([histogram]), { providerFor: () => differ, clock: clock() }),
    ).rejects.toThrow(
      /buckets \(le 0.1, Infinity\) differ from the baseline's \(le 0.2, Infinity\)/,
    );
  });

  it("rolls back as soon as the test rejects, with the estimate and its interval", async () => {
    const result = await runGate(plan([rate], { count: 60 }), {
      providerFor: once(traffic(0.05, 0.005)),
      clock: clock(),
    });
    expect(result.verdict).toBe("rollback");
    expect(result.rounds).toBeLessThan(10);
    const last = result.metrics[0]?.measurements.at(-1);
    expect(last?.phase).toBe("Failed");
    expect(last?.sequential?.estimate).toBeCloseTo(10, 0);
    expect(last?.sequential?.lower).toBeGreaterThan(1);
    expect(result.decision.reasons[0]).toMatch(
      /^errors detected a regression: regression: the canary's rate/,
    );
  });

  it("passes equal versions at count, and is inconclusive without traffic or events", async () => {
    const equal = await runGate(plan([rate], { count: 5 }), {
      providerFor: once(traffic(0.01, 0.01)),
      clock: clock(),
    });
    expect(equal.verdict).toBe("promote");
    expect(equal.metrics[0]?.measurements.map((m) => m.phase)).toEqual([
      "Running",
      "Running",
      "Running",
      "Running",
      "Successful",
    ]);
    const idle = await runGate(plan([rate], { count: 3 }), {
      providerFor: once((query) => one(query.includes('"2"') ? 0 : 5)),
      clock: clock(),
    });
    expect(idle.verdict).toBe("inconclusive");
    expect(idle.metrics[0]?.message).toMatch(/^too little data: fewer than 20 events/);
  });

  it("passes a clean canary on traffic alone with min-events 0, and never without traffic", async () => {
    const clean = { ...rate, sequential: { ...rate.sequential, "min-events": 0 } };
    const none = await runGate(plan([clean], { count: 3 }), {
      providerFor: once(traffic(0, 0)),
      clock: clock(),
    });
    expect(none.verdict).toBe("promote");
    const idle = await runGate(plan([clean], { count: 3 }), {
      providerFor: once((query) => one(query.includes('"2"') ? 0 : 5)),
      clock: clock(),
    });
    expect(idle.verdict).toBe("inconclusive");
  });

  it("treats a counter that went down as reset, and says so", async () => {
    const answer = traffic(0.01, 0.01);
    const result = await runGate(plan([rate], { count: 4 }), {
      providerFor: once((query, step) =>
        step === 2 && query.includes('"2"')
          ? one(query.startsWith("sum(req") ? 50 : 0)
          : answer(query, step),
      ),
      clock: clock(),
    });
    const detail = result.metrics[0]?.measurements.at(-1)?.sequential;
    expect(detail?.resets).toEqual({ canary: 2, baseline: 0 });
    expect(result.metrics[0]?.measurements[2]?.reason).toMatch(
      /counter reset seen \(canary 2, baseline 0\)/,
    );
  });
});
