// What a query, a setting or an answer can no longer slip past the gate: values escaped for the
// language they are substituted into, addresses and durations checked at start, ranges named in
// messages, and sample values read strictly as Prometheus writes them.
import { describe, expect, it } from "@jest/globals";
import { prepareMetrics, type PreparedMetric } from "../../src/analysis/definitions.js";
import { resolveSettings, type AnalysisSettings } from "../../src/analysis/settings.js";
import { samplesAt } from "../../src/analysis/http-provider.js";
import { measureMetric } from "../../src/analysis/measure.js";
import { instantSamples, rangeSeries, validatePromql } from "../../src/analysis/prometheus.js";
import { parseSampleValue, QueryError, type MetricsProvider } from "../../src/analysis/provider.js";
import { MAX_TIMER_MS } from "../../src/shared/duration.js";
import { AnalysisSectionSchema, SettingsSchema } from "../../src/schema/analysis.js";
import { issuesToProblems } from "../../src/shared/validation.js";

function settings(overrides: Partial<AnalysisSettings> = {}): AnalysisSettings {
  const resolved = resolveSettings([
    { settings: { address: "http://127.0.0.1:9" }, where: (key) => ({ path: key }) },
  ]);
  if ("problems" in resolved) throw new Error("bad settings");
  return { ...resolved, ...overrides };
}

const byInput = (raw: Parameters<typeof resolveSettings>[0][number]["settings"]) =>
  resolveSettings([{ settings: raw, where: (key) => ({ path: `input "${key}"` }) }]);

const problemLines = (resolved: ReturnType<typeof resolveSettings>) =>
  "problems" in resolved
    ? resolved.problems.map((problem) => `${problem.path}: ${problem.message}`)
    : [];

/** One metric rendered with `context`, or its problems as lines. */
function render(metric: Record<string, unknown>, context: Record<string, string>) {
  const prepared = prepareMetrics([{ metrics: [metric], path: ["metrics"] }], settings(), context);
  if ("problems" in prepared)
    return prepared.problems.map((problem) => `${problem.path}: ${problem.message}`);
  return prepared.metrics[0] as PreparedMetric & { query: string };
}

describe("values substituted into queries", () => {
  it("are escaped as PromQL string literals, so a version cannot rewrite the query", () => {
    const metric = render(
      { name: "lat", query: 'lat{version="{{ baseline }}"}', max: 1 },
      { baseline: '1.0.0"} or lat{version="1.1.0' },
    );
    expect(metric).toMatchObject({ query: 'lat{version="1.0.0\\"} or lat{version=\\"1.1.0"}' });
    const query = (metric as { query: string }).query;
    expect(validatePromql(query)).toBeUndefined();
    expect(
      render({ name: "m", query: 'up{version="{{ canary }}"}', max: 1 }, { canary: "a\\b\nc\rd" }),
    ).toMatchObject({ query: 'up{version="a\\\\b\\nc\\rd"}' });
  });

  it("escape both queries of a comparison", () => {
    const metric = render(
      {
        name: "cmp",
        compare: { canary: 'q{v="{{ canary }}"}', baseline: 'q{v="{{ baseline }}"}' },
      },
      { canary: 'x"', baseline: "y\\" },
    );
    expect(metric).toMatchObject({ queries: { canary: 'q{v="x\\""}', baseline: 'q{v="y\\\\"}' } });
  });

  it("are URL-encoded in the http provider's URLs, whose time placeholders stay for query time", () => {
    const metric = render(
      {
        name: "m",
        provider: "http",
        query: "https://stats.example.com/err?v={{ canary }}&from={{ start }}",
        max: 1,
      },
      { canary: "1.2.0&admin=true #x/y" },
    );
    expect(metric).toMatchObject({
      query: "https://stats.example.com/err?v=1.2.0%26admin%3Dtrue%20%23x%2Fy&from={{ start }}",
    });
  });

  it("never take a placeholder named after an object property for a value", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(
        render({ name: "m", query: `up{v="{{ ${name} }}"}`, max: 1 }, { canary: "1.2.0" }),
      ).toEqual([
        `metrics[0].query (metric "m"): unknown placeholder {{ ${name} }}: ` +
          "use {{ canary }}, {{ baseline }}, {{ interval }} or {{ version }}",
      ]);
    }
    expect(
      render(
        { name: "m", provider: "http", query: "https://x.example/{{ toString }}", max: 1 },
        { canary: "1.2.0" },
      ),
    ).toEqual([
      'metrics[0].query (metric "m"): unknown placeholder {{ toString }}: ' +
        "use {{ canary }}, {{ baseline }}, {{ interval }} or {{ version }}",
    ]);
  });
});

describe("addresses at start", () => {
  it("refuses an address that is not an http(s) URL, naming where it was given", () => {
    expect(problemLines(byInput({ address: "prometheus:9090" }))).toEqual([
      'input "address": expected an http(s) URL such as http://prometheus:9090, ' +
        'got "prometheus:9090"',
    ]);
    expect(problemLines(byInput({ address: "not a url" }))).toEqual([
      'input "address": expected an http(s) URL such as http://prometheus:9090, got "not a url"',
    ]);
    expect(problemLines(byInput({ address: "ftp://user:secret@files.example" }))).toEqual([
      'input "address": expected an http(s) URL such as http://prometheus:9090, ' +
        'got "ftp://***@files.example"',
    ]);
    expect(byInput({ address: "https://user:pass@prom.example:9090/prefix" })).toMatchObject({
      address: "https://user:pass@prom.example:9090/prefix",
    });
  });

  it("refuses a metric's own address the same way, with the metric's key path", () => {
    expect(render({ name: "m", query: "up", max: 1, address: "file:///etc/passwd" }, {})).toEqual([
      'metrics[0].address (metric "m"): expected an http(s) URL such as ' +
        'http://prometheus:9090, got "file:///etc/passwd"',
    ]);
  });
});

describe("durations that timers cannot hold", () => {
  it("are refused for the interval, the initial delay and the query timeout, naming the key", () => {
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
    expect(
      problemLines(byInput({ interval: "30d", "initial-delay": "25d", "query-timeout": "900h" })),
    ).toEqual([
      'input "interval": "30d" is longer than a timer can wait (at most 24d20h31m23s)',
      'input "initial-delay": "25d" is longer than a timer can wait (at most 24d20h31m23s)',
      'input "query-timeout": "900h" is longer than a timer can wait (at most 24d20h31m23s)',
    ]);
    expect(byInput({ interval: "24d", "initial-delay": "20d" })).toMatchObject({
      intervalMs: 24 * 86_400_000,
      initialDelayMs: 20 * 86_400_000,
    });
  });

  it("leave lookback, step and duration alone (they never wait)", () => {
    expect(byInput({ interval: "1d", duration: "60d", lookback: "30d", step: "1h" })).toMatchObject(
      { count: 60, lookbackMs: 30 * 86_400_000, stepMs: 3_600_000 },
    );
  });
});

describe("range messages", () => {
  const messages = (schema: typeof SettingsSchema | typeof AnalysisSectionSchema, raw: unknown) => {
    const parsed = schema.safeParse(raw);
    return parsed.success
      ? []
      : issuesToProblems(parsed.error.issues, (path) => path.join(".")).map(
          (problem) => `${problem.path}: ${problem.message}`,
        );
  };

  it("say the range a setting must be in", () => {
    expect(
      messages(SettingsSchema, {
        "pass-score": 101,
        "marginal-score": -1,
        count: 0,
        "failure-limit": -2,
        "inconclusive-limit": 1.5,
        "consecutive-error-limit": "2",
        "consecutive-success-limit": -3,
        "min-samples": 0,
        groups: { latency: 120 },
      }),
    ).toEqual([
      "count: expected a whole number, 1 or more",
      "failure-limit: expected a whole number, 0 or more (or -1: no limit)",
      "inconclusive-limit: expected a whole number, 0 or more",
      "consecutive-error-limit: expected a whole number, 0 or more",
      "consecutive-success-limit: expected a whole number, 0 or more",
      "min-samples: expected a whole number, 1 or more",
      "pass-score: expected a number from 0 to 100",
      "marginal-score: expected a number from 0 to 100",
      "groups.latency: expected a number from 0 to 100",
    ]);
  });

  it("say the range a metric's number must be in", () => {
    expect(
      messages(AnalysisSectionSchema, {
        metrics: [
          {
            name: "m",
            weight: 0,
            element: -1,
            compare: {
              canary: "a",
              baseline: "b",
              tolerance: -0.1,
              confidence: 1,
              "effect-size": { increase: 0 },
              "outlier-factor": -2,
              "min-samples": 0,
            },
          },
        ],
      }),
    ).toEqual([
      "metrics.0.element: expected an index (a whole number, 0 or more) or labels",
      "metrics.0.compare.tolerance: expected a number, 0 or more",
      "metrics.0.compare.confidence: expected a number between 0 and 1 (both excluded)",
      "metrics.0.compare.effect-size.increase: expected a number above 0",
      "metrics.0.compare.outlier-factor: expected a number above 0",
      "metrics.0.compare.min-samples: expected a whole number, 1 or more",
      "metrics.0.weight: expected a number above 0",
    ]);
  });
});

describe("sample values", () => {
  it("are read only as Prometheus writes them", () => {
    expect(parseSampleValue("0.25")).toBe(0.25);
    expect(parseSampleValue("-3")).toBe(-3);
    expect(parseSampleValue("1e-07")).toBe(1e-7);
    expect(parseSampleValue("1.5e+21")).toBe(1.5e21);
    expect(parseSampleValue("NaN")).toBeNaN();
    expect(parseSampleValue("+Inf")).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue("-Inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parseSampleValue(0.5)).toBe(0.5);
    for (const written of ["0x0", "0b1", "0o7", "", " 1", "1 ", "Infinity", "inf", "1_000", "1e"])
      expect(() => parseSampleValue(written)).toThrow(
        new QueryError(
          `unexpected sample value ${JSON.stringify(written)}: ` +
            "expected a decimal number, NaN, +Inf or -Inf",
        ),
      );
    expect(() => parseSampleValue(true)).toThrow(/unexpected sample value true/);
  });

  it("make a Prometheus answer with an unreadable value an error, never a pass", async () => {
    expect(() =>
      instantSamples({ resultType: "vector", result: [{ metric: {}, value: [1, "0x0"] }] }),
    ).toThrow(/unexpected sample value "0x0"/);
    expect(() => instantSamples({ resultType: "scalar", result: [1, "0x10"] })).toThrow(QueryError);
    expect(() =>
      rangeSeries({
        resultType: "matrix",
        result: [
          {
            metric: {},
            values: [
              [1, "1"],
              [2, "0x0"],
            ],
          },
        ],
      }),
    ).toThrow(QueryError);
    const provider: MetricsProvider = {
      description: "stub",
      validate: () => undefined,
      instant: async () =>
        instantSamples({ resultType: "vector", result: [{ metric: {}, value: [1, "0x0"] }] }),
      range: async () => [],
    };
    const metric = render({ name: "m", query: "up", max: 0, "on-no-data": "pass" }, {});
    const measurement = await measureMetric(
      metric as PreparedMetric,
      () => provider,
      1,
      new Date(0),
      new Date(0),
    );
    expect(measurement).toMatchObject({
      phase: "Error",
      error: 'unexpected sample value "0x0": expected a decimal number, NaN, +Inf or -Inf',
    });
  });

  it("read JSON endpoints' strings the same way", () => {
    expect(samplesAt("0.5")).toEqual([{ labels: {}, value: 0.5 }]);
    expect(() => samplesAt("0x0")).toThrow(/unexpected sample value "0x0"/);
    expect(() => samplesAt([[10, "0x1"]])).toThrow(QueryError);
    expect(() => samplesAt([{ value: "1e" }])).toThrow(QueryError);
    expect(() => samplesAt(["12abc"])).toThrow(QueryError);
    // JSON has no NaN: null is its "no value", as before.
    expect(samplesAt([{ value: null }])[0]?.value).toBeNaN();
  });
});
