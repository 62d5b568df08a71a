// Argo Rollouts' AnalysisRun rules, each case cited from analysis/analysis_test.go
// (TestAssessMetricStatus*) or utils/analysis/factory.go (ValidateMetric) at argoproj/argo-rollouts,
// through assessMetric and through the whole analysis.
import { describe, expect, it } from "@jest/globals";
import { runAnalysis } from "../../src/analysis/analysis.js";
import type { PreparedMetric } from "../../src/analysis/definitions.js";
import { assessMetric, limitsProblem, type Limits, type Tally } from "../../src/analysis/limits.js";
import type { Measurement, MeasurementPhase } from "../../src/analysis/measure.js";
import { resolveSettings, type AnalysisSettings } from "../../src/analysis/settings.js";
import { parseThreshold } from "../../src/analysis/threshold.js";

const limits = (overrides: Partial<Limits>): Limits => ({
  count: 100,
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  consecutiveSuccessLimit: 0,
  ...overrides,
});
const tally = (overrides: Partial<Tally>): Tally => ({
  taken: 0,
  successful: 0,
  failed: 0,
  inconclusive: 0,
  consecutiveErrors: 0,
  consecutiveSuccesses: 0,
  ...overrides,
});

type Case = [
  rule: string,
  limits: Partial<Limits>,
  tally: Partial<Tally>,
  phase: string | undefined,
];

describe("assessMetric: Argo's rules, one case per rule", () => {
  const cases: Case[] = [
    // TestAssessMetricStatusFailureLimit: failed 3 > failureLimit 2 is Failed; with limit 3 it runs on.
    ["failed > failureLimit: Failed", { failureLimit: 2 }, { taken: 3, failed: 3 }, "Failed"],
    [
      "failed = failureLimit: still running",
      { failureLimit: 3 },
      { taken: 3, failed: 3 },
      undefined,
    ],
    // The default failureLimit 0: no failure tolerated (docs, "Failure Conditions and Failure Limit").
    ["default failureLimit 0: one failure fails", {}, { taken: 1, failed: 1 }, "Failed"],
    // failureLimit -1 turns the limit off (docs, "ConsecutiveSuccessLimit and FailureLimit").
    [
      "failureLimit -1: failures never fail",
      { failureLimit: -1, consecutiveSuccessLimit: 3 },
      { taken: 5, failed: 5 },
      undefined,
    ],
    // TestAssessMetricStatusInconclusiveLimit: inconclusive 3 > 2 is Inconclusive; with limit 3 it runs on.
    [
      "inconclusive > inconclusiveLimit",
      { inconclusiveLimit: 2 },
      { taken: 3, inconclusive: 3 },
      "Inconclusive",
    ],
    [
      "inconclusive = inconclusiveLimit: running",
      { inconclusiveLimit: 3 },
      { taken: 3, inconclusive: 3 },
      undefined,
    ],
    // TestAssessMetricStatusConsecutiveErrors: 5 consecutive errors > the default limit 4 is Error; 4 runs on.
    ["consecutive errors > limit: Error", {}, { consecutiveErrors: 5 }, "Error"],
    ["consecutive errors = limit: running", {}, { consecutiveErrors: 4 }, undefined],
    // TestAssessMetricFailureInconclusiveOrError: the later check wins (Error over Inconclusive over Failed).
    ["error wins over failed", {}, { taken: 1, failed: 1, consecutiveErrors: 5 }, "Error"],
    ["inconclusive wins over failed", {}, { taken: 2, failed: 1, inconclusive: 1 }, "Inconclusive"],
    // TestAssessMetricStatusConsecutiveSuccessLimit: reached before count is Successful at once.
    [
      "consecutive successes reach the limit: Successful",
      { failureLimit: -1, consecutiveSuccessLimit: 3, count: 9 },
      { taken: 7, successful: 4, failed: 3, consecutiveSuccesses: 3 },
      "Successful",
    ],
    [
      "below the success limit before count: running",
      { failureLimit: -1, consecutiveSuccessLimit: 5, count: 9 },
      { taken: 7, successful: 4, failed: 3, consecutiveSuccesses: 3 },
      undefined,
    ],
    // ... at count with only the success limit on (failureLimit -1): not reached is Failed.
    [
      "count, only success limit on, not reached: Failed",
      { failureLimit: -1, consecutiveSuccessLimit: 5, count: 7 },
      { taken: 7, successful: 4, failed: 3, consecutiveSuccesses: 3 },
      "Failed",
    ],
    [
      "count, only success limit on, reached: Successful",
      { failureLimit: -1, consecutiveSuccessLimit: 3, count: 7 },
      { taken: 7, successful: 4, failed: 3, consecutiveSuccesses: 3 },
      "Successful",
    ],
    // TestAssessMetricStatusFailureLimitAndConsecutiveSuccessLimit, count 10, both limits 4.
    [
      "count, both on, neither reached: Inconclusive",
      { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10 },
      { taken: 10, failed: 4, successful: 6, consecutiveSuccesses: 3 },
      "Inconclusive",
    ],
    [
      "count, both on, failure limit passed: Failed",
      { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10 },
      { taken: 10, failed: 5, successful: 5, consecutiveSuccesses: 3 },
      "Failed",
    ],
    [
      "count, both on, success limit reached: Successful",
      { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10 },
      { taken: 10, failed: 4, successful: 6, consecutiveSuccesses: 4 },
      "Successful",
    ],
    [
      "count, both on, both reached: Failed (failure first)",
      { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10 },
      { taken: 10, failed: 5, successful: 5, consecutiveSuccesses: 4 },
      "Failed",
    ],
    [
      "before count, both on, neither: running",
      { failureLimit: 4, consecutiveSuccessLimit: 4, count: 10 },
      { taken: 8, failed: 3, successful: 5, consecutiveSuccesses: 3 },
      undefined,
    ],
    // TestAssessMetricStatusCountReached: count reached with successes is Successful; with
    // inconclusives above the limit, Inconclusive.
    ["count reached, all successful", { count: 10 }, { taken: 10, successful: 10 }, "Successful"],
    [
      "count reached, 5 inconclusive",
      { count: 10 },
      { taken: 10, successful: 5, inconclusive: 5 },
      "Inconclusive",
    ],
    // shipgate's deviation: at count with only the failure limit on, no success at all is Inconclusive
    // (Argo: Successful).
    [
      "count, no success at all: Inconclusive (deviation)",
      { count: 2, failureLimit: 3 },
      { taken: 2, failed: 2 },
      "Inconclusive",
    ],
  ];
  it.each(cases)("%s", (_rule, given, counts, phase) => {
    expect(assessMetric(limits(given), tally(counts))?.phase).toBe(phase);
  });
});

describe("limitsProblem: Argo's ValidateMetric", () => {
  it.each([
    [{ failureLimit: -1, consecutiveSuccessLimit: 0 }, /turn both limits off/],
    [
      { count: 3, failureLimit: 1, consecutiveSuccessLimit: 3 },
      /count \(3\) must be at least failure-limit \+ consecutive-success-limit \(1 \+ 3\)/,
    ],
    [
      { count: 2, failureLimit: -1, consecutiveSuccessLimit: 3 },
      /count \(2\) must be at least consecutive-success-limit \(3\)/,
    ],
    [{ count: 2, inconclusiveLimit: 3 }, /count \(2\) must be at least inconclusive-limit \(3\)/],
  ] as const)("refuses %j", (given, message) => {
    expect(limitsProblem(limits(given))).toMatch(message);
  });
  it("accepts the issue's example and the defaults", () => {
    expect(
      limitsProblem(limits({ count: 4, failureLimit: 1, consecutiveSuccessLimit: 3 })),
    ).toBeUndefined();
    expect(limitsProblem(limits({ count: 1 }))).toBeUndefined();
  });
  it("is a settings problem, named where the limit was given", () => {
    const resolved = resolveSettings([
      {
        settings: { count: 2, "consecutive-success-limit": 3 },
        where: (key) => ({ path: `input "${key}"` }),
      },
    ]);
    expect(resolved).toEqual({
      problems: [
        {
          path: 'input "consecutive-success-limit"',
          message: "count (2) must be at least failure-limit + consecutive-success-limit (0 + 3)",
        },
      ],
    });
  });
});

function settings(overrides: Partial<AnalysisSettings>): AnalysisSettings {
  const resolved = resolveSettings([
    { settings: { address: "http://127.0.0.1:9" }, where: (key) => ({ path: key }) },
  ]);
  if ("problems" in resolved) throw new Error("bad settings");
  return { ...resolved, intervalMs: 1_000, ...overrides };
}

const metric = (name: string): PreparedMetric => ({
  name,
  kind: "threshold",
  query: "up",
  threshold: parseThreshold("result <= 1"),
  aggregate: "all",
  source: { provider: "prometheus", address: "http://127.0.0.1:9" },
  onNoData: "inconclusive",
  weight: 1,
  group: "default",
  critical: false,
  dryRun: false,
});

async function analyse(phases: MeasurementPhase[], overrides: Partial<AnalysisSettings>) {
  let now = Date.UTC(2026, 10, 23, 12);
  return runAnalysis([metric("m")], settings(overrides), {
    measure: async (prepared, round, at): Promise<Measurement> => ({
      metric: prepared.name,
      round,
      at: at.toISOString(),
      phase: phases[round - 1] ?? "Successful",
      reason: phases[round - 1] ?? "Successful",
      queryMs: 1,
    }),
    clock: { now: () => now, sleep: async (ms) => void (now += Math.max(0, ms)) },
  });
}

describe("the whole analysis under Argo's rules", () => {
  it("the issue's example: count 4, failure-limit 1, consecutive-success-limit 3, SSFS: inconclusive", async () => {
    const result = await analyse(["Successful", "Successful", "Failed", "Successful"], {
      count: 4,
      failureLimit: 1,
      consecutiveSuccessLimit: 3,
    });
    expect(result.metrics[0]).toMatchObject({ phase: "Inconclusive" });
    expect(result.verdict).toBe("inconclusive");
    expect(result.rounds).toBe(4);
    expect(result.decision.reasons[0]).toMatch(
      /^m is inconclusive: the consecutive success limit 3 was not reached/,
    );
  });

  it("ends a metric as soon as it passed consecutive-success-limit times in a row", async () => {
    const result = await analyse(["Failed", "Successful", "Successful", "Successful"], {
      count: 10,
      failureLimit: 1,
      consecutiveSuccessLimit: 3,
    });
    expect(result).toMatchObject({ verdict: "promote", rounds: 4 });
  });

  it("with failure-limit -1, failures count for nothing, but the success limit must be met by count", async () => {
    const failed = await analyse(["Failed", "Successful", "Failed", "Successful"], {
      count: 4,
      failureLimit: -1,
      consecutiveSuccessLimit: 2,
    });
    expect(failed.metrics[0]?.phase).toBe("Failed");
    expect(failed.verdict).toBe("rollback");
  });

  it("errors do not count towards count (Argo's Count), and are retried", async () => {
    const result = await analyse(["Error", "Successful", "Error", "Successful"], { count: 2 });
    expect(result).toMatchObject({ verdict: "promote", rounds: 4 });
  });
});
