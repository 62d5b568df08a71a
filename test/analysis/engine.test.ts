import { describe, expect, it } from "@jest/globals";
import { runAnalysis, type Clock } from "../../src/analysis/analysis.js";
import { prepareMetrics, type PreparedMetric } from "../../src/analysis/definitions.js";
import { resolveSettings, type AnalysisSettings } from "../../src/analysis/settings.js";
import { samplesAt } from "../../src/analysis/http-provider.js";
import type { Measurement, MeasurementPhase } from "../../src/analysis/measure.js";
import { instantSamples, rangeSeries, validatePromql } from "../../src/analysis/prometheus.js";
import { parseSampleValue } from "../../src/analysis/provider.js";
import { decide, scoreMetrics, type ScoredMetric } from "../../src/analysis/score.js";
import { promDuration } from "../../src/shared/duration.js";
import { renderTemplate } from "../../src/shared/template.js";
import { evaluateThreshold, parseThreshold, type Sample } from "../../src/analysis/threshold.js";

const sample = (value: number, labels: Record<string, string> = {}): Sample => ({ labels, value });

describe("threshold conditions", () => {
  it("parses comparisons with result, joined by && or and, plus Flagger's min and max", () => {
    expect(parseThreshold("result <= 0.01").clauses).toEqual([{ operator: "<=", value: 0.01 }]);
    expect(parseThreshold("result > 0 && result < 5e2").clauses).toEqual([
      { operator: ">", value: 0 },
      { operator: "<", value: 500 },
    ]);
    expect(parseThreshold("result >= 0.9 and result != 1").clauses).toHaveLength(2);
    expect(parseThreshold(undefined, 0.99).text).toBe("result >= 0.99");
    expect(parseThreshold(undefined, 1, 2).text).toBe("result >= 1 && result <= 2");
  });

  it("rejects what it cannot read, saying what to write", () => {
    expect(() => parseThreshold("value < 1")).toThrow(/cannot read "value < 1".*result <= 0.01/);
    expect(() => parseThreshold("result <")).toThrow(/cannot read/);
    expect(() => parseThreshold("result < 1 || result > 2")).toThrow(/cannot read/);
    expect(() => parseThreshold(undefined)).toThrow(/needs a condition, or min/);
    expect(() => parseThreshold(undefined, 5, 1)).toThrow(/min \(5\) is greater than max \(1\)/);
  });

  const limit = parseThreshold("result <= 0.01");

  it("judges a single value, and every element of a vector by default", () => {
    expect(evaluateThreshold(limit, [sample(0.005)]).kind).toBe("pass");
    expect(evaluateThreshold(limit, [sample(0.02)])).toMatchObject({
      kind: "fail",
      reason: "0.02 does not satisfy result <= 0.01",
    });
    expect(evaluateThreshold(limit, [sample(0.001), sample(0.05)]).kind).toBe("fail");
    expect(evaluateThreshold(limit, [sample(0.01), sample(0.001)]).kind).toBe("pass");
  });

  it("treats NaN, infinities and empty results as no data, never as a value", () => {
    expect(evaluateThreshold(limit, [])).toMatchObject({
      kind: "no-data",
      reason: "the query returned no data",
    });
    expect(evaluateThreshold(limit, [sample(Number.NaN)]).kind).toBe("no-data");
    expect(
      evaluateThreshold(parseThreshold("result >= 0.99"), [sample(Number.POSITIVE_INFINITY)]).kind,
    ).toBe("no-data");
    expect(evaluateThreshold(limit, [sample(Number.NEGATIVE_INFINITY)]).kind).toBe("no-data");
    // `all` cannot vouch for an element it could not read.
    expect(evaluateThreshold(limit, [sample(0.001), sample(Number.NaN)]).reason).toMatch(
      /1 of 2 value\(s\) not a number \(NaN\)/,
    );
  });

  it("any: one passing element is enough; none passing fails unless some were not data", () => {
    expect(evaluateThreshold(limit, [sample(0.5), sample(0.001)], "any").kind).toBe("pass");
    expect(evaluateThreshold(limit, [sample(0.5), sample(0.2)], "any").kind).toBe("fail");
    expect(evaluateThreshold(limit, [sample(0.5), sample(Number.NaN)], "any").kind).toBe("no-data");
  });

  it("reduces with min, max, avg and sum", () => {
    const values = [sample(0.004), sample(0.008), sample(0.012)];
    expect(evaluateThreshold(limit, values, "avg")).toMatchObject({
      kind: "pass",
      reason: "avg 0.008 satisfies result <= 0.01",
    });
    expect(evaluateThreshold(limit, values, "max").kind).toBe("fail");
    expect(evaluateThreshold(limit, values, "min").kind).toBe("pass");
    expect(evaluateThreshold(limit, values, "sum").kind).toBe("fail");
  });

  it("selects one element by index or by labels", () => {
    const values = [sample(0.5, { instance: "a" }), sample(0.001, { instance: "b" })];
    expect(evaluateThreshold(limit, values, "all", 1).kind).toBe("pass");
    expect(evaluateThreshold(limit, values, "all", { instance: "a" }).kind).toBe("fail");
    expect(evaluateThreshold(limit, values, "all", { instance: "c" })).toMatchObject({
      kind: "no-data",
      reason: 'no {instance="c"} in a result of 2',
    });
    expect(evaluateThreshold(limit, values, "all", 5).kind).toBe("no-data");
  });
});

describe("query templates and PromQL", () => {
  it("renders placeholders and refuses holes", () => {
    expect(
      renderTemplate('up{version="{{ canary }}"}[{{interval}}]', {
        canary: "1.2.0",
        interval: "1m",
      }),
    ).toBe('up{version="1.2.0"}[1m]');
    expect(() =>
      renderTemplate('up{version="{{ baseline }}"}', { canary: "1.2.0", baseline: undefined }),
    ).toThrow(/\{\{ baseline \}\} has no value \(known here: \{\{ canary \}\}\)/);
  });

  it("writes durations the way PromQL reads them", () => {
    expect(promDuration(60_000)).toBe("1m");
    expect(promDuration(90_000)).toBe("1m30s");
    expect(promDuration(3_600_000 + 5_000)).toBe("1h5s");
    expect(promDuration(1_500)).toBe("1500ms");
  });

  it("finds syntax errors with Prometheus's grammar, and their column", () => {
    expect(
      validatePromql(
        'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
      ),
    ).toBeUndefined();
    expect(
      validatePromql("histogram_quantile(0.95, sum by (le) (rate(b_bucket[30s])))"),
    ).toBeUndefined();
    expect(validatePromql("sum(rate(x[1m])")).toMatch(/column 16/);
    expect(validatePromql("rate(x[1mm])")).toMatch(/PromQL syntax error at column/);
    expect(validatePromql("up{a=}")).toMatch(/PromQL syntax error/);
    expect(validatePromql("  ")).toBe("the query is empty");
  });
});

describe("provider answers", () => {
  it("reads Prometheus values including NaN and infinities", () => {
    expect(parseSampleValue("NaN")).toBeNaN();
    expect(parseSampleValue("+Inf")).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue("-Inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parseSampleValue("0.25")).toBe(0.25);
    expect(() => parseSampleValue("")).toThrow(/unexpected sample value ""/);
    expect(instantSamples({ resultType: "scalar", result: [1700000000, "0.5"] })).toEqual([
      { labels: {}, value: 0.5 },
    ]);
    expect(
      instantSamples({
        resultType: "vector",
        result: [{ metric: { version: "1.1.0" }, value: [1700000000, "NaN"] }],
      })[0]?.value,
    ).toBeNaN();
    expect(
      rangeSeries({
        resultType: "matrix",
        result: [
          {
            metric: {},
            values: [
              [1, "1"],
              [2, "+Inf"],
            ],
          },
        ],
      })[0]?.points,
    ).toEqual([
      { time: 1, value: 1 },
      { time: 2, value: Number.POSITIVE_INFINITY },
    ]);
    expect(() => instantSamples({ resultType: "string", result: [1, "x"] })).toThrow(
      /expected a vector or scalar/,
    );
    expect(() => rangeSeries({ resultType: "vector", result: [] })).toThrow(/expected a matrix/);
  });

  it("reads JSON endpoints: a number, a list, pairs over time, or objects with a value", () => {
    expect(samplesAt(0.5)).toEqual([{ labels: {}, value: 0.5 }]);
    expect(samplesAt("0.5")).toEqual([{ labels: {}, value: 0.5 }]);
    expect(samplesAt([1, 2])).toEqual([
      { labels: { index: "0" }, value: 1 },
      { labels: { index: "1" }, value: 2 },
    ]);
    expect(
      samplesAt([
        [10, "1"],
        [20, "2"],
      ]),
    ).toEqual([
      { labels: {}, time: 10, value: 1 },
      { labels: {}, time: 20, value: 2 },
    ]);
    expect(samplesAt([{ host: "a", value: 3, weight: 1 }])).toEqual([
      { labels: { host: "a" }, value: 3 },
    ]);
    expect(samplesAt(null)).toEqual([]);
    expect(() => samplesAt({ nested: true })).toThrow(/expected numbers at the path/);
  });
});

function settings(overrides: Partial<AnalysisSettings> = {}): AnalysisSettings {
  const resolved = resolveSettings([
    { settings: { address: "http://127.0.0.1:9" }, where: (key) => ({ path: key }) },
  ]);
  if ("problems" in resolved) throw new Error("bad settings");
  return { ...resolved, intervalMs: 1_000, ...overrides };
}

describe("settings and metric definitions", () => {
  it("layers inputs over the section over the defaults", () => {
    const resolved = resolveSettings([
      { settings: { interval: "30s" }, where: (key) => ({ path: `input "${key}"` }) },
      {
        settings: { interval: "2m", count: 5, "failure-limit": 1, address: "http://prom:9090" },
        where: (key) => ({ path: `analysis.${key}` }),
      },
    ]);
    expect(resolved).toMatchObject({
      intervalMs: 30_000,
      count: 5,
      failureLimit: 1,
      address: "http://prom:9090",
      consecutiveErrorLimit: 4,
      passScore: 75,
      marginalScore: 50,
      queryTimeoutMs: 30_000,
      lookbackMs: 30_000,
    });
    expect(
      resolveSettings([
        { settings: { interval: "1m", duration: "10m" }, where: (key) => ({ path: key }) },
      ]),
    ).toMatchObject({ count: 10 });
  });

  it("names each bad setting where it was given", () => {
    const resolved = resolveSettings([
      {
        settings: { interval: "5", "pass-score": 40, "marginal-score": 60 },
        where: (key) => ({ path: `input "${key}"` }),
      },
      { settings: { groups: { a: 70, b: 50 } }, where: (key) => ({ path: `analysis.${key}` }) },
    ]);
    expect(
      "problems" in resolved &&
        resolved.problems.map((problem) => `${problem.path}: ${problem.message}`),
    ).toEqual([
      'input "interval": "5" needs a unit, such as 5s',
      'input "marginal-score": marginal-score (60) is above pass-score (40)',
      "analysis.groups: group weights add up to 120, more than 100",
    ]);
  });

  const base = settings();
  const context = { canary: "1.2.0", baseline: "1.1.0", version: "1.2.0" };

  it("renders queries, merges sources by name, and keeps the environment's order", () => {
    const prepared = prepareMetrics(
      [
        {
          metrics: [
            {
              name: "error-rate",
              query:
                'sum(rate(http_requests_total{version="{{ canary }}",code=~"5.."}[{{ interval }}]))',
              condition: "result <= 0.01",
            },
            {
              name: "latency",
              compare: {
                canary: 'q{version="{{ canary }}"}',
                baseline: 'q{version="{{ baseline }}"}',
                direction: "increase",
              },
              critical: true,
              weight: 2,
            },
          ],
          path: ["analysis", "metrics"],
        },
        {
          metrics: [{ name: "error-rate", query: "vector(0)", max: 0.05, "dry-run": true }],
          path: ["metrics"],
        },
      ],
      base,
      context,
    );
    if ("problems" in prepared) throw new Error(JSON.stringify(prepared.problems));
    expect(prepared.metrics.map((metric) => metric.name)).toEqual(["error-rate", "latency"]);
    expect(prepared.metrics[0]).toMatchObject({
      kind: "threshold",
      query: "vector(0)",
      dryRun: true,
      threshold: { text: "result <= 0.05" },
    });
    expect(prepared.metrics[1]).toMatchObject({
      kind: "comparison",
      queries: { canary: 'q{version="1.2.0"}', baseline: 'q{version="1.1.0"}' },
      judge: { direction: "increase", minSamples: 1 },
      critical: true,
      weight: 2,
      group: "default",
      source: { provider: "prometheus", address: "http://127.0.0.1:9" },
    });
  });

  it("reports every problem with the metric's key path, before any query runs", () => {
    const locate = (path: readonly (string | number)[]) => ({
      file: "environments/production.yml",
      line: 10 + path.length,
    });
    const prepared = prepareMetrics(
      [
        {
          metrics: [
            { name: "broken", query: "sum(rate(x[1m])", condition: "result < 1" },
            { name: "typo", query: 'up{version="{{ canery }}"}', condition: "result < 1" },
            {
              name: "both",
              query: "up",
              condition: "result < 1",
              compare: { canary: "a", baseline: "b" },
            },
            { name: "neither" },
            { name: "bad-condition", query: "up", condition: "x > 1" },
            { name: "bad-key", query: "up", max: 1, weigth: 2 },
          ],
          path: ["analysis", "metrics"],
          locate,
        },
      ],
      base,
      context,
    );
    expect(
      "problems" in prepared &&
        prepared.problems.map(
          (problem) => `${problem.at?.line ?? "-"} ${problem.path}: ${problem.message}`,
        ),
    ).toEqual([
      '14 analysis.metrics[0].query (metric "broken"): ' +
        'PromQL syntax error at column 16 (the query ends too early) in "sum(rate(x[1m])"',
      '14 analysis.metrics[1].query (metric "typo"): ' +
        "unknown placeholder {{ canery }}: use {{ canary }}, {{ baseline }}, {{ interval }} or {{ version }}",
      '14 analysis.metrics[2].compare (metric "both"): ' +
        "a metric is one of a threshold check (query with condition, min or max), a comparison (compare) " +
        "or a sequential comparison (sequential), not more",
      '13 analysis.metrics[3] (metric "neither"): ' +
        "a threshold check needs a query (with a condition, min or max); " +
        "a comparison needs compare.canary and compare.baseline, or a sequential section",
      '14 analysis.metrics[4].condition (metric "bad-condition"): ' +
        'cannot read "x > 1" in condition "x > 1": ' +
        'write comparisons of result with a number, such as "result <= 0.01" or "result > 0 && result < 5"',
      "14 analysis.metrics[5].weigth: unknown key (check its spelling and indentation)",
    ]);
  });

  it("needs a value for every placeholder a query uses", () => {
    const prepared = prepareMetrics(
      [{ metrics: [{ name: "m", query: 'up{v="{{ baseline }}"}', max: 1 }], path: ["metrics"] }],
      base,
      { canary: "1.2.0" },
    );
    expect("problems" in prepared && prepared.problems[0]?.message).toMatch(
      /\{\{ baseline \}\} has no value.*give the baseline input/,
    );
  });

  it("needs an address for Prometheus, and leaves the http provider's time placeholders for query time", () => {
    const noAddress = { ...base } as AnalysisSettings;
    delete noAddress.address;
    const missing = prepareMetrics(
      [{ metrics: [{ name: "m", query: "up", max: 1 }], path: ["metrics"] }],
      noAddress,
      context,
    );
    expect("problems" in missing && missing.problems[0]?.message).toMatch(/no Prometheus address/);
    const http = prepareMetrics(
      [
        {
          metrics: [
            {
              name: "m",
              provider: "http",
              query: "https://stats.example.com/err?v={{ canary }}&from={{ start }}",
              path: "data.value",
              max: 1,
            },
          ],
          path: ["metrics"],
        },
      ],
      noAddress,
      context,
    );
    expect("metrics" in http && http.metrics[0]).toMatchObject({
      query: "https://stats.example.com/err?v=1.2.0&from={{ start }}",
      source: { provider: "http", path: "data.value" },
    });
  });
});

const scored = (
  name: string,
  phase: ScoredMetric["phase"],
  extra: Partial<ScoredMetric> = {},
): ScoredMetric => ({
  name,
  kind: "comparison",
  phase,
  weight: 1,
  group: "default",
  critical: false,
  dryRun: false,
  ...extra,
});

describe("scoring and the verdict", () => {
  const bands = { passScore: 75, marginalScore: 50 };

  it("scores the weighted share of judged metrics, per group, groups by weight (Kayenta)", () => {
    expect(
      scoreMetrics([
        scored("a", "Successful"),
        scored("b", "Successful", { weight: 3 }),
        scored("c", "Failed"),
      ]).score,
    ).toBe(80);
    const groups = scoreMetrics(
      [
        scored("lat", "Successful", { group: "latency" }),
        scored("err", "Failed", { group: "errors" }),
        scored("cpu", "Successful", { group: "system" }),
        scored("mem", "Failed", { group: "system" }),
      ],
      { latency: 60, errors: 20 },
    );
    // latency 100 x 60 + errors 0 x 20 + system 50 x (100 - 80) = 7000 over 100.
    expect(groups.score).toBe(70);
    expect(groups.groups.find((group) => group.name === "system")).toMatchObject({
      weight: 20,
      score: 50,
    });
  });

  it("leaves unjudged metrics and groups out rather than counting them for or against", () => {
    const result = scoreMetrics([
      scored("a", "Successful", { group: "x" }),
      scored("b", "Inconclusive", { group: "y" }),
      scored("c", "Error", { group: "x" }),
    ]);
    expect(result.score).toBe(100);
    expect(result.groups.find((group) => group.name === "y")).toMatchObject({
      score: null,
      unjudged: ["b"],
    });
    expect(scoreMetrics([scored("a", "Inconclusive")]).score).toBeNull();
  });

  it("forces 0 on a critical failure and ignores dry-run metrics", () => {
    expect(
      scoreMetrics([scored("a", "Successful"), scored("b", "Failed", { critical: true })]),
    ).toMatchObject({ score: 0, criticalFailures: ["b"] });
    expect(
      scoreMetrics([scored("a", "Successful"), scored("b", "Failed", { dryRun: true })]).score,
    ).toBe(100);
  });

  it("rolls back on a failed threshold whatever the score; comparisons act through the score", () => {
    const metrics = [
      ...Array.from({ length: 9 }, (_, i) => scored(`c${i}`, "Successful")),
      scored("errors", "Failed", { kind: "threshold" }),
    ];
    const threshold = decide(metrics, scoreMetrics(metrics), bands);
    expect(threshold.verdict).toBe("rollback");
    expect(threshold.reasons[0]).toBe("errors broke its threshold");
    const comparisons = [
      ...Array.from({ length: 9 }, (_, i) => scored(`c${i}`, "Successful")),
      scored("latency", "Failed"),
    ];
    expect(decide(comparisons, scoreMetrics(comparisons), bands)).toEqual({
      verdict: "promote",
      reasons: ["score 90 reaches the pass score 75 although latency failed"],
    });
  });

  it("maps the score bands, and never promotes what could not be judged", () => {
    const marginal = [scored("a", "Successful"), scored("b", "Successful"), scored("c", "Failed")];
    expect(decide(marginal, scoreMetrics(marginal), bands).verdict).toBe("inconclusive");
    const failing = [scored("a", "Successful"), scored("c", "Failed"), scored("d", "Failed")];
    expect(decide(failing, scoreMetrics(failing), bands)).toMatchObject({
      verdict: "rollback",
      reasons: ["score 33.33 is below the marginal score 50"],
    });
    const unknown = [scored("a", "Successful"), scored("b", "Error")];
    expect(decide(unknown, scoreMetrics(unknown), bands)).toEqual({
      verdict: "inconclusive",
      reasons: ["b could not be measured"],
    });
    expect(
      decide([scored("a", "Inconclusive")], scoreMetrics([scored("a", "Inconclusive")]), bands)
        .verdict,
    ).toBe("inconclusive");
    const dry = [scored("a", "Successful", { dryRun: true })];
    expect(decide(dry, scoreMetrics(dry), bands)).toEqual({
      verdict: "inconclusive",
      reasons: ["no deciding metrics (all are dry-run)"],
    });
  });
});

/** A clock that only moves when the analysis sleeps: the loop's timing without waiting. */
function fakeClock(start = Date.UTC(2026, 10, 23, 12)): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += Math.max(0, ms);
    },
  };
}

function threshold(name: string, extra: Partial<PreparedMetric> = {}): PreparedMetric {
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

/** Measurements scripted per metric, one phase per round. */
function scripted(script: Record<string, MeasurementPhase[]>) {
  const calls: string[] = [];
  return {
    calls,
    measure: async (metric: PreparedMetric, round: number, at: Date): Promise<Measurement> => {
      calls.push(`${metric.name}@${round}`);
      const phase = script[metric.name]?.[round - 1] ?? "Successful";
      return {
        metric: metric.name,
        round,
        at: at.toISOString(),
        phase,
        reason: phase,
        queryMs: 1,
        ...(phase === "Error" ? { error: "connect ECONNREFUSED" } : {}),
      };
    },
  };
}

describe("analysis over time", () => {
  it("measures each metric count times, interval apart, after the initial delay", async () => {
    const clock = fakeClock();
    const script = scripted({});
    const result = await runAnalysis(
      [threshold("a"), threshold("b")],
      settings({ count: 3, initialDelayMs: 5_000 }),
      { measure: script.measure, clock },
    );
    expect(result).toMatchObject({ verdict: "promote", rounds: 3 });
    expect(clock.sleeps).toEqual([5_000, 1_000, 1_000]);
    expect(script.calls).toEqual(["a@1", "b@1", "a@2", "b@2", "a@3", "b@3"]);
    expect(result.metrics[0]).toMatchObject({
      phase: "Successful",
      counts: { successful: 3, failed: 0 },
    });
  });

  it("allows failure-limit failures, and stops at once when a threshold fails beyond it", async () => {
    const within = await runAnalysis([threshold("a")], settings({ count: 3, failureLimit: 1 }), {
      measure: scripted({ a: ["Failed", "Successful", "Successful"] }).measure,
      clock: fakeClock(),
    });
    expect(within.verdict).toBe("promote");
    const script = scripted({ a: ["Successful", "Failed"] });
    const beyond = await runAnalysis([threshold("a"), threshold("b")], settings({ count: 5 }), {
      measure: script.measure,
      clock: fakeClock(),
    });
    expect(beyond).toMatchObject({
      verdict: "rollback",
      rounds: 2,
      stoppedEarly: "stopped after round 2: a failed",
    });
    expect(beyond.metrics[1]).toMatchObject({
      name: "b",
      phase: "Inconclusive",
      message: "not finished: the analysis stopped after round 2: a failed",
    });
  });

  it("retries query errors each interval without counting them, and gives up after the limit", async () => {
    const recovered = await runAnalysis(
      [threshold("a")],
      settings({ count: 2, consecutiveErrorLimit: 2 }),
      {
        measure: scripted({ a: ["Error", "Error", "Successful", "Successful"] }).measure,
        clock: fakeClock(),
      },
    );
    expect(recovered).toMatchObject({ verdict: "promote", rounds: 4 });
    expect(recovered.metrics[0]?.counts).toEqual({
      successful: 2,
      failed: 0,
      inconclusive: 0,
      error: 2,
    });
    const down = await runAnalysis(
      [threshold("a")],
      settings({ count: 2, consecutiveErrorLimit: 2 }),
      {
        measure: scripted({ a: ["Successful", "Error", "Error", "Error"] }).measure,
        clock: fakeClock(),
      },
    );
    expect(down).toMatchObject({ verdict: "inconclusive", rounds: 4 });
    expect(down.metrics[0]?.message).toMatch(
      /^3 consecutive query errors \(limit 2\); last: connect ECONNREFUSED/,
    );
  });

  it("is inconclusive beyond the inconclusive limit, and when nothing succeeded", async () => {
    const result = await runAnalysis([threshold("a")], settings({ count: 3 }), {
      measure: scripted({ a: ["Successful", "Inconclusive"] }).measure,
      clock: fakeClock(),
    });
    expect(result).toMatchObject({ verdict: "inconclusive", rounds: 2 });
    const allUnknown = await runAnalysis(
      [threshold("a")],
      settings({ count: 2, inconclusiveLimit: 5 }),
      { measure: scripted({ a: ["Inconclusive", "Inconclusive"] }).measure, clock: fakeClock() },
    );
    expect(allUnknown.metrics[0]).toMatchObject({
      phase: "Inconclusive",
      message: "no successful measurement in 2; last: Inconclusive",
    });
  });

  it("ends each metric once it passed consecutive-success-limit times in a row (Argo)", async () => {
    const result = await runAnalysis(
      [threshold("a"), threshold("dry", { dryRun: true })],
      settings({ count: 10, failureLimit: 1, consecutiveSuccessLimit: 2 }),
      {
        measure: scripted({
          a: ["Failed", "Successful", "Successful"],
          dry: ["Failed", "Failed", "Failed"],
        }).measure,
        clock: fakeClock(),
      },
    );
    expect(result).toMatchObject({ verdict: "promote", rounds: 3 });
    expect(result.stoppedEarly).toBeUndefined();
    expect(result.metrics[0]).toMatchObject({
      phase: "Successful",
      counts: { successful: 2, failed: 1 },
    });
    const proven = await runAnalysis(
      [threshold("a")],
      settings({ count: 10, consecutiveSuccessLimit: 2 }),
      { measure: scripted({}).measure, clock: fakeClock() },
    );
    expect(proven).toMatchObject({ verdict: "promote", rounds: 2 });
  });

  it("keeps dry-run metrics out of the verdict but in the report", async () => {
    const result = await runAnalysis(
      [threshold("a"), threshold("dry", { dryRun: true })],
      settings({ count: 1 }),
      { measure: scripted({ dry: ["Failed"] }).measure, clock: fakeClock() },
    );
    expect(result.verdict).toBe("promote");
    expect(result.metrics[1]).toMatchObject({ name: "dry", phase: "Failed", dryRun: true });
  });
});
