// The decision's reasons against what was measured: for each state a metric can end in, the reason
// names what its measurements showed and the rule that decided, and a metric whose measurements
// all passed is never called inconclusive.
import { describe, expect, it } from "@jest/globals";
import { runAnalysis, type Clock } from "../../src/analysis/analysis.js";
import type { PreparedMetric } from "../../src/analysis/definitions.js";
import type { Measurement, MeasurementPhase } from "../../src/analysis/measure.js";
import { resolveSettings, type AnalysisSettings } from "../../src/analysis/settings.js";
import { parseThreshold } from "../../src/analysis/threshold.js";

function settings(overrides: Partial<AnalysisSettings> = {}): AnalysisSettings {
  const resolved = resolveSettings([
    { settings: { address: "http://127.0.0.1:9" }, where: (key) => ({ path: key }) },
  ]);
  if ("problems" in resolved) throw new Error("bad settings");
  return { ...resolved, intervalMs: 1_000, ...overrides };
}

function metric(name: string, extra: Partial<PreparedMetric> = {}): PreparedMetric {
  return {
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
    ...extra,
  } as PreparedMetric;
}

/** One scripted measurement: its phase, and whether the on-no-data policy gave it. */
type Step = MeasurementPhase | "NoData:Failed" | "NoData:Inconclusive";

const clock = (): Clock => {
  let now = Date.UTC(2026, 0, 5, 9);
  return { now: () => now, sleep: async (ms) => void (now += Math.max(0, ms)) };
};

async function analyse(
  metrics: PreparedMetric[],
  script: Record<string, Step[]>,
  overrides: Partial<AnalysisSettings>,
) {
  const measure = async (prepared: PreparedMetric, round: number, at: Date) => {
    const step = script[prepared.name]?.[round - 1] ?? "Successful";
    const noData = step.startsWith("NoData:");
    const phase = (noData ? step.slice("NoData:".length) : step) as MeasurementPhase;
    const measurement: Measurement = {
      metric: prepared.name,
      round,
      at: at.toISOString(),
      phase,
      reason: noData ? "no data: the query returned no data" : phase,
      ...(noData ? { noData: true } : {}),
      ...(phase === "Error" ? { error: "connect ECONNREFUSED" } : {}),
      queryMs: 1,
    };
    return measurement;
  };
  return runAnalysis(metrics, settings(overrides), { measure, clock: clock() });
}

interface Case {
  state: string;
  metrics: PreparedMetric[];
  script: Record<string, Step[]>;
  settings: Partial<AnalysisSettings>;
  verdict: "promote" | "inconclusive" | "rollback";
  reasons: string[];
}

const m = metric("m");
const other = metric("other");

const CASES: Case[] = [
  {
    state: "passed its only measurement, cut short by another metric's failure",
    metrics: [m, other],
    script: { m: ["Successful"], other: ["Failed"] },
    settings: { count: 5 },
    verdict: "rollback",
    reasons: [
      "other broke its threshold",
      "score 0 is below the marginal score 50",
      "m has too few measurements to judge: 1 of 5 taken (1 passed) before the analysis stopped",
    ],
  },
  {
    state: "passed every measurement, cut short by another metric that was inconclusive",
    metrics: [m, other],
    script: { m: ["Successful", "Successful"], other: ["Successful", "Inconclusive"] },
    settings: { count: 5 },
    verdict: "inconclusive",
    reasons: [
      "other was inconclusive in 1 of 2 measurement(s) (inconclusive limit 0)",
      "no metric could be judged",
      "m has too few measurements to judge: 2 of 5 taken (2 passed) before the analysis stopped",
    ],
  },
  {
    state: "failed within the failure limit and errored, cut short",
    metrics: [other, m],
    script: { m: ["Failed", "Error"], other: ["Failed", "Failed"] },
    settings: { count: 5, failureLimit: 1, consecutiveErrorLimit: 3 },
    verdict: "rollback",
    reasons: [
      "other broke its threshold",
      "score 0 is below the marginal score 50",
      "m has too few measurements to judge: 1 of 5 taken (1 failed, 1 query error) " +
        "before the analysis stopped",
    ],
  },
  {
    state: "only query errors, cut short",
    metrics: [m, other],
    script: { m: ["Error"], other: ["Failed"] },
    settings: { count: 5 },
    verdict: "rollback",
    reasons: [
      "other broke its threshold",
      "score 0 is below the marginal score 50",
      "m has too few measurements to judge: 0 of 5 taken (1 query error) before the analysis stopped",
    ],
  },
  {
    state: "passed, then inconclusive beyond the inconclusive limit",
    metrics: [m],
    script: { m: ["Successful", "Inconclusive"] },
    settings: { count: 3 },
    verdict: "inconclusive",
    reasons: [
      "m was inconclusive in 1 of 2 measurement(s) (inconclusive limit 0)",
      "no metric could be judged",
    ],
  },
  {
    state: "no data in every measurement, within the inconclusive limit",
    metrics: [m],
    script: { m: ["NoData:Inconclusive", "NoData:Inconclusive"] },
    settings: { count: 2, inconclusiveLimit: 5 },
    verdict: "inconclusive",
    reasons: [
      "m passed none of its 2 measurement(s) (2 inconclusive)",
      "no metric could be judged",
    ],
  },
  {
    state: "failed every measurement, within the failure limit",
    metrics: [m],
    script: { m: ["Failed", "Failed"] },
    settings: { count: 2, failureLimit: 3 },
    verdict: "inconclusive",
    reasons: [
      "m passed none of its 2 measurement(s) (2 failed, within the failure limit 3)",
      "no metric could be judged",
    ],
  },
  {
    state: "failed beyond the failure limit",
    metrics: [m],
    script: { m: ["Successful", "Failed"] },
    settings: { count: 3 },
    verdict: "rollback",
    reasons: ["m broke its threshold", "score 0 is below the marginal score 50"],
  },
  {
    state: "failed beyond the failure limit by its on-no-data policy alone",
    metrics: [metric("m", { onNoData: "fail" })],
    script: { m: ["NoData:Failed"] },
    settings: { count: 3 },
    verdict: "rollback",
    reasons: ["m had no data (on-no-data: fail)", "score 0 is below the marginal score 50"],
  },
  {
    state: "a critical comparison that failed",
    metrics: [metric("m", { kind: "comparison", critical: true } as Partial<PreparedMetric>)],
    script: { m: ["Failed"] },
    settings: { count: 1 },
    verdict: "rollback",
    reasons: ["critical metric m failed"],
  },
  {
    state: "a critical comparison with no data and on-no-data: fail",
    metrics: [metric("m", { kind: "comparison", critical: true } as Partial<PreparedMetric>)],
    script: { m: ["NoData:Failed"] },
    settings: { count: 1 },
    verdict: "rollback",
    reasons: ["critical metric m had no data (on-no-data: fail)"],
  },
  {
    state: "query errors beyond the consecutive error limit",
    metrics: [m],
    script: { m: ["Error", "Error"] },
    settings: { count: 2, consecutiveErrorLimit: 1 },
    verdict: "inconclusive",
    reasons: ["m could not be measured", "no metric could be judged"],
  },
  {
    state: "passed its only measurement (count 1)",
    metrics: [m],
    script: {},
    settings: { count: 1 },
    verdict: "promote",
    reasons: ["every deciding metric passed; score 100 (pass 75)"],
  },
  {
    state: "passed consecutive-success-limit times: finished early",
    metrics: [m, other],
    script: {},
    settings: { count: 5, consecutiveSuccessLimit: 1 },
    verdict: "promote",
    reasons: ["every deciding metric passed; score 100 (pass 75)"],
  },
];

describe("the decision's reasons match the measurements", () => {
  it.each(CASES.map((one) => [one.state, one] as const))("%s", async (_state, one) => {
    const result = await analyse(one.metrics, one.script, one.settings);
    expect(result.decision).toEqual({ verdict: one.verdict, reasons: one.reasons });
    // Whatever the wording, a metric none of whose measurements was inconclusive is never called so.
    for (const measured of result.metrics) {
      if (measured.counts.inconclusive > 0) continue;
      for (const reason of result.decision.reasons) {
        if (new RegExp(`\\b${measured.name}\\b`).test(reason))
          expect(reason).not.toMatch(/inconclusive/);
      }
    }
  });

  it("keeps the metric's own message and phase: only the wording of the reason changes", async () => {
    const result = await analyse(
      [m, other],
      { m: ["Successful"], other: ["Failed"] },
      {
        count: 5,
      },
    );
    expect(result.metrics[0]).toMatchObject({
      phase: "Inconclusive",
      message: "not finished: the analysis stopped after round 1: other failed",
    });
    expect(result.metrics[0]).not.toHaveProperty("tally");
  });
});
