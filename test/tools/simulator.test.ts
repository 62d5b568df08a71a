// The traffic simulator (tools/simulator): its processes are what they claim, its PromQL answers
// are Prometheus's (checked against a real Prometheus loaded with the same samples through
// promtool's OpenMetrics backfill), and the real canary-gate bundle promotes and rolls back
// against it end to end.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startPrometheus } from "../../tools/lab/lab.js";
import { runGateTrial } from "../../tools/simulator/gate-trial.js";
import type { Method } from "../../tools/simulator/methods.js";
import { toOpenMetrics } from "../../tools/simulator/openmetrics.js";
import { parsePromql } from "../../tools/simulator/promql.js";
import { startSimulator, type Simulator } from "../../tools/simulator/server.js";
import type { StoredSeries } from "../../tools/simulator/store.js";
import {
  TrafficModel,
  type TrafficScenario,
  type VersionProfile,
} from "../../tools/simulator/traffic.js";

const MINUTE = 60_000;
const canary: VersionProfile = {
  version: "1.1.0",
  share: 0.1,
  errorRate: 0.02,
  latencyMedian: 0.05,
  latencySigma: 0.5,
};
const baseline: VersionProfile = {
  ...canary,
  version: "1.0.0",
  share: 0.9,
  errorRate: 0.005,
  priorRequests: 1_000_000,
};

function scenario(overrides: Partial<TrafficScenario> = {}): TrafficScenario {
  return {
    seed: 42,
    requestsPerSecond: 100,
    versions: [canary, baseline],
    startMs: Date.UTC(2025, 0, 1),
    ...overrides,
  };
}

const last = (series: StoredSeries) => series.values.at(-1)!;
function one(model: TrafficModel, labels: Record<string, string>): StoredSeries {
  const matchers = Object.entries(labels).map(([name, value]) => ({
    name,
    op: "=" as const,
    value,
  }));
  const found = model.store.select(matchers);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** Standard normal CDF for the latency check (erf by Abramowitz and Stegun 7.1.26). */
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    t *
      (0.254829592 +
        t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

describe("traffic model", () => {
  const hour = 60 * MINUTE;
  const model = new TrafficModel(scenario());
  model.advanceTo(scenario().startMs + hour);

  it("draws Poisson arrivals and binomial errors at the configured rates", () => {
    const ok = last(one(model, { __name__: "http_requests_total", version: "1.1.0", code: "200" }));
    const failed = last(
      one(model, { __name__: "http_requests_total", version: "1.1.0", code: "500" }),
    );
    // One hour at 10 requests/s (scrapes lag the hour by up to one interval): Poisson, within 4 sigma.
    const requests = ok + failed;
    expect(Math.abs(requests - 35_990)).toBeLessThan(4 * Math.sqrt(36_000) + 50);
    // Errors given the requests: binomial(requests, 2%), within 4 sigma.
    const sd = Math.sqrt(requests * 0.02 * 0.98);
    expect(Math.abs(failed - requests * 0.02)).toBeLessThan(4 * sd);
  });

  it("puts log-normal latencies into cumulative buckets ending in +Inf = count", () => {
    const buckets = model.store
      .select([{ name: "__name__", op: "=", value: "http_request_duration_seconds_bucket" }])
      .filter((series) => series.labels.version === "1.1.0" && series.labels.code === "200")
      .map((series) => ({ le: series.labels.le!, value: last(series) }))
      .sort(
        (a, b) =>
          Number(a.le === "+Inf" ? Infinity : a.le) - Number(b.le === "+Inf" ? Infinity : b.le),
      );
    const values = buckets.map((bucket) => bucket.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const count = last(
      one(model, {
        __name__: "http_request_duration_seconds_count",
        version: "1.1.0",
        code: "200",
      }),
    );
    expect(buckets.at(-1)).toEqual({ le: "+Inf", value: count });
    const under100ms = buckets.find((bucket) => bucket.le === "0.1")!.value / count;
    const expected = phi(Math.log(0.1 / 0.05) / 0.5);
    expect(Math.abs(under100ms - expected)).toBeLessThan(
      4 * Math.sqrt((expected * (1 - expected)) / count),
    );
  });

  it("keeps every counter monotonic, and the same seed gives the same samples", () => {
    for (const series of model.store.all())
      for (let index = 1; index < series.values.length; index++)
        expect(series.values[index]!).toBeGreaterThanOrEqual(series.values[index - 1]!);
    const again = new TrafficModel(scenario());
    again.advanceTo(scenario().startMs + hour);
    expect(again.store.all()).toEqual(model.store.all());
    const other = new TrafficModel(scenario({ seed: 43 }));
    other.advanceTo(scenario().startMs + hour);
    expect(other.store.all()).not.toEqual(model.store.all());
  });

  it("resets a version's counters when asked", () => {
    const reset = new TrafficModel(scenario());
    reset.reset("1.1.0", scenario().startMs + 10 * MINUTE);
    reset.advanceTo(scenario().startMs + 20 * MINUTE);
    const series = one(reset, { __name__: "http_requests_total", version: "1.1.0", code: "200" });
    const drops = series.values.filter(
      (value, index) => index > 0 && value < series.values[index - 1]!,
    );
    expect(drops).toHaveLength(1);
    expect(last(series)).toBeLessThan(10 * 60 * 10);
  });
});

describe("PromQL subset", () => {
  it.each([
    ["x offset 5m", /offset/],
    ["label_replace(x, 'a', 'b', 'c', 'd')", /label_replace/],
    ["a + on(b) c", /on, ignoring/],
    ["x > 1", /operator >/],
    ["rate(x[5m:1m])", /subqueries/],
  ])("refuses %s as unsupported", (query, message) => {
    expect(() => parsePromql(query)).toThrow(message);
  });

  it("reads the README's error-rate query", () => {
    const query =
      '(sum(rate(http_requests_total{version="1\\"2",code=~"5.."}[1m])) or vector(0)) / sum(rate(x[1m]))';
    expect(parsePromql(query)).toMatchObject({
      kind: "binary",
      op: "/",
      left: { kind: "binary", op: "or" },
    });
    expect(JSON.stringify(parsePromql(query))).toContain('"value":"1\\"2"');
  });
});

const QUERIES = [
  'http_requests_total{version="1.1.0"}',
  "rate(http_requests_total[1m])",
  'increase(http_requests_total{code="200"}[90s])',
  'sum by (code) (rate(http_requests_total{version=~"1\\\\..*"}[2m]))',
  '(sum(rate(http_requests_total{version="1.1.0",code=~"5.."}[1m])) or vector(0)) / ' +
    'sum(rate(http_requests_total{version="1.1.0"}[1m]))',
  'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{version="1.1.0"}[30s])))',
  'sum by (le) (http_request_duration_seconds_bucket{version="1.0.0"})',
  "sum without (code, route) (http_request_duration_seconds_count) - 2 * scalar(avg(http_requests_total))",
  "scalar(sum(http_requests_total)) / 7",
  'max(rate(http_requests_total[45s])) unless count(http_requests_total{version="none"})',
];

type Answer = Record<string, string>;
async function query(
  base: string,
  endpoint: string,
  params: Record<string, string>,
): Promise<Answer> {
  const response = await fetch(`${base}/api/v1/${endpoint}`, {
    method: "POST",
    body: new URLSearchParams(params),
  });
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: unknown };
  };
  if (body.status !== "success") throw new Error(`${base}: ${body.error}`);
  const { resultType, result } = body.data;
  if (resultType === "scalar") return { scalar: (result as [number, string])[1] };
  const answer: Answer = {};
  for (const entry of result as {
    metric: Record<string, string>;
    value?: [number, string];
    values?: [number, string][];
  }[]) {
    const key = JSON.stringify(Object.entries(entry.metric).sort());
    answer[key] = entry.value ? entry.value[1] : JSON.stringify(entry.values);
  }
  return answer;
}

function expectSameNumbers(actual: Answer, expected: Answer, what: string): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) {
    const [a, e] = [
      JSON.parse(`[${actual[key]}]`.replace(/"/g, "")),
      JSON.parse(`[${value}]`.replace(/"/g, "")),
    ];
    const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [Number(x)]);
    flat(a).forEach((number, index) => {
      const reference = flat(e)[index]!;
      if (Math.abs(number - reference) > 1e-9 * Math.max(1, Math.abs(reference)))
        throw new Error(`${what} ${key}: simulator ${number}, Prometheus ${reference}`);
    });
  }
}

describe("answers as Prometheus gives them", () => {
  let simulator: Simulator;
  let prometheus: { url: string; stop(): Promise<void> };
  let address: string;
  let dir: string;
  // Three hours ago, so that the backfilled block is inside Prometheus's retention and not in its head.
  const startMs = Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000;
  const times = [12, 17.5, 29].map((minutes) => startMs + minutes * MINUTE + 1234);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "simulator-prometheus-"));
    simulator = await startSimulator();
    const run = simulator.addRun({
      scenario: scenario({
        startMs,
        drift: { tauSeconds: 300, traffic: 0.2, errors: 0.3, latency: 0.1 },
      }),
    });
    run.model.reset("1.1.0", startMs + 15 * MINUTE);
    run.model.advanceTo(startMs + 30 * MINUTE);
    address = run.address.replace(/\/$/, "");
    await writeFile(join(dir, "samples.om"), toOpenMetrics(run.model.store));
    await mkdir(join(dir, "prometheus", "data"), { recursive: true });
    await promisify(execFile)("promtool", [
      "tsdb",
      "create-blocks-from",
      "openmetrics",
      join(dir, "samples.om"),
      join(dir, "prometheus", "data"),
    ]);
    prometheus = await startPrometheus({ dir: join(dir, "prometheus"), targets: [] });
  }, 30_000);

  afterAll(async () => {
    await prometheus?.stop();
    await simulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(QUERIES)("instant %s", async (promql) => {
    for (const time of times) {
      const params = { query: promql, time: String(time / 1000) };
      const expected = await query(prometheus.url, "query", params);
      expect(Object.keys(expected).length).toBeGreaterThan(0);
      expectSameNumbers(await query(address, "query", params), expected, `${promql} at ${time}`);
    }
  });

  it("range queries: the README's p95 comparison across the reset", async () => {
    const params = {
      query: QUERIES[5]!,
      start: String((startMs + 5 * MINUTE) / 1000),
      end: String((startMs + 25 * MINUTE) / 1000),
      step: "5",
    };
    expectSameNumbers(
      await query(address, "query_range", params),
      await query(prometheus.url, "query_range", params),
      "range",
    );
  });

  it("answers unsupported PromQL with Prometheus's error shape", async () => {
    const response = await fetch(`${address}/api/v1/query`, {
      method: "POST",
      body: new URLSearchParams({ query: "label_join(x, 'a', ',', 'b')" }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      status: "error",
      errorType: "bad_data",
      error: "the simulator does not support the function label_join()",
    });
  });
});

describe("the canary-gate bundle against the simulator", () => {
  let simulator: Simulator;
  let workspace: string;
  beforeAll(async () => {
    simulator = await startSimulator();
    workspace = await mkdtemp(join(tmpdir(), "simulator-gate-"));
  });
  afterAll(async () => {
    await simulator.close();
    await rm(workspace, { recursive: true, force: true });
  });

  const threshold: Method = {
    name: "error-rate",
    watches: "errors",
    family: "threshold",
    definition: () => ({
      query:
        '(sum(rate(http_requests_total{version="{{ canary }}",code=~"5.."}[{{ interval }}])) or vector(0)) / ' +
        'sum(rate(http_requests_total{version="{{ canary }}"}[{{ interval }}]))',
      condition: "result <= 0.05",
    }),
  };
  const settings = {
    virtualIntervalMs: MINUTE,
    wallIntervalMs: 200,
    count: 3,
    alpha: 0.01,
    inputs: { "fail-on": "rollback" },
  };

  it.each([
    [0.005, "promote", "Successful"],
    [0.2, "rollback", "Failed"],
  ])("canary error rate %s: %s", async (errorRate, verdict, phase) => {
    const trial = await runGateTrial({
      simulator,
      workspace,
      scenario: { seed: 7, requestsPerSecond: 100, versions: [{ ...canary, errorRate }, baseline] },
      methods: [threshold],
      settings,
      dryRun: false,
    });
    expect(trial.verdict).toBe(verdict);
    expect(trial.metrics.get("error-rate")?.phase).toBe(phase);
    expect(trial.exitCode).toBe(verdict === "rollback" ? 1 : 0);
  });
});
