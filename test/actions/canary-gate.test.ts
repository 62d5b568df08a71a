// canary-gate against a real Prometheus (Debian) scraping real instances of the demo service
// (prom-client) that take steady traffic: a good canary, a canary with 5x the baseline's error
// rate, a canary with no traffic, and a Prometheus that goes down mid-analysis.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Cleanup,
  startLoad,
  startPrometheus,
  startService,
  type LoadRun,
  type PrometheusServer,
  type ServiceInstance,
} from "../../tools/lab/lab.js";
import { runAction } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";
import { json, startHttpServer } from "../support/http-fixtures.js";

const BASELINE = "1.1.0";
const GOOD = "1.1.1";
const BAD = "1.2.0";
const IDLE = "1.4.0";
/** Three times the baseline's latency, the same error rate. */
const SLOW = "1.3.0";

/** The error rate of a version over a short window: 5xx answers over all answers. */
const errorRate = (placeholder: string, window = "5s") => {
  const requests = `http_requests_total{version="{{ ${placeholder} }}",route="/api/work"`;
  return `sum(rate(${requests},code=~"5.."}[${window}])) / sum(rate(${requests}}[${window}]))`;
};
const p95 = (placeholder: string) =>
  "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket" +
  `{version="{{ ${placeholder} }}",route="/api/work"}[5s])))`;

const METRICS = `
- name: error-rate
  query: ${JSON.stringify(errorRate("canary", "10s"))}
  condition: result <= 0.03
- name: errors-vs-baseline
  compare:
    canary: ${JSON.stringify(errorRate("canary"))}
    baseline: ${JSON.stringify(errorRate("baseline"))}
    direction: increase
    lookback: 20s
    step: 1s
  critical: true
  weight: 2
- name: latency-vs-baseline
  compare:
    canary: ${JSON.stringify(p95("canary"))}
    baseline: ${JSON.stringify(p95("baseline"))}
    direction: increase
    # Only a canary at least twice as slow counts: two identical instances on a busy machine
    # differ by a statistically significant but meaningless margin (Kayenta's effect size limit).
    effect-size: { increase: 2 }
    lookback: 20s
    step: 1s
`;

const cleanup = new Cleanup();
let dir: string;
let prometheus: PrometheusServer;
let workspace: Workspace;
const loads: LoadRun[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shipgate-gate-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  workspace = await createWorkspace();
  cleanup.add(() => workspace.remove());
  const instances: ServiceInstance[] = [];
  // The baseline fails 1% of requests; the bad canary 5%, five times as many.
  for (const [version, errorRate] of [
    [BASELINE, 0.01],
    [GOOD, 0.01],
    [BAD, 0.05],
    [IDLE, 0],
    [SLOW, 0.01],
  ] as const) {
    instances.push(
      cleanup.track(
        await startService({
          version,
          slot: version === BASELINE ? "blue" : "green",
          errorRate,
          latencyMs: version === SLOW ? 30 : 10,
          latencyJitterMs: 2,
        }),
      ),
    );
  }
  prometheus = cleanup.track(
    await startPrometheus({
      dir: join(dir, "prometheus"),
      targets: instances.map((instance) => ({
        job: "demo",
        target: `127.0.0.1:${instance.port}`,
        labels: { slot: instance.slot },
      })),
      scrapeInterval: "1s",
    }),
  );
  // Steady traffic to every instance but the idle one, for the whole file.
  for (const instance of instances.filter((one) => one.version !== IDLE))
    loads.push(startLoad({ url: `${instance.url}/api/work`, rps: 40, durationMs: 240_000 }));
  cleanup.add(() => Promise.all(loads.map((load) => load.stop())));
  // Ready once Prometheus has a few seconds of error rates for the canaries and the baseline.
  for (const version of [BASELINE, GOOD, BAD]) {
    await prometheus.waitFor(
      `sum(rate(http_requests_total{version="${version}",code=~"5.."}[5s]))`,
      { timeoutMs: 60_000, until: (result) => Number(result[0]?.value[1]) > 0 },
    );
  }
}, 120_000);

afterAll(() => cleanup.run(), 60_000);

const gate = (
  inputs: Record<string, string>,
  extra: Partial<Parameters<typeof runAction>[0]> = {},
) =>
  runAction({
    action: "canary-gate",
    workspace: workspace.dir,
    inputs: {
      address: prometheus.url,
      metrics: METRICS,
      baseline: BASELINE,
      interval: "2s",
      count: "3",
      ...inputs,
    },
    timeoutMs: 90_000,
    ...extra,
  });

interface Report {
  verdict: string;
  score: number | null;
  metrics: {
    name: string;
    phase: string;
    measurements: {
      phase: string;
      query?: string;
      queries?: { canary: string };
      values?: unknown[];
      comparison?: {
        label: string;
        u?: number;
        lower?: number;
        upper?: number;
        estimate?: number;
        effectSize: number | null;
        canary: { n: number };
      };
    }[];
  }[];
}

describe("canary-gate against Prometheus", () => {
  it("promotes a good canary, explaining the verdict", async () => {
    const result = await gate({ canary: GOOD });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.verdict).toBe("promote");
    expect(Number(result.outputs.score)).toBeGreaterThanOrEqual(75);
    const report = JSON.parse(result.outputs.report ?? "{}") as Report;
    expect(report.metrics.map((metric) => [metric.name, metric.phase])).toEqual([
      ["error-rate", "Successful"],
      ["errors-vs-baseline", "Successful"],
      ["latency-vs-baseline", "Successful"],
    ]);
    const first = report.metrics[0]?.measurements[0];
    // The resolved query is reported, with the canary's version in it.
    expect(first?.query).toContain(`version="${GOOD}"`);
    // Each round judges everything since the start of the analysis (and its lookback): more samples each time.
    const sizes =
      report.metrics[1]?.measurements.map((measurement) => measurement.comparison?.canary.n ?? 0) ??
      [];
    expect(sizes).toHaveLength(3);
    expect(sizes[0]).toBeGreaterThanOrEqual(2);
    expect(sizes[2]).toBeGreaterThan(sizes[0] ?? 0);
    expect(result.summary).toMatch(
      /canary-gate: canary `1\.1\.1`, baseline `1\.1\.0` — ✅ promote/,
    );
    expect(result.summary).toMatch(/\*\*Promote: every deciding metric passed; score 100/);
    expect(result.summary).toContain("```mermaid\nxychart-beta");
    // Progress at every interval.
    expect(result.lines.filter((line) => /^error-rate \d\/3: Successful/.test(line))).toHaveLength(
      3,
    );
  });

  it("rolls back a canary with five times the baseline's error rate", async () => {
    const result = await gate({ canary: BAD });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.verdict).toBe("rollback");
    const report = JSON.parse(result.outputs.report ?? "{}") as Report;
    const threshold = report.metrics.find((metric) => metric.name === "error-rate");
    expect(threshold?.phase).toBe("Failed");
    const values = threshold?.measurements[0]?.values as number[];
    expect(values[0]).toBeGreaterThan(0.03);
    const comparison = report.metrics.find((metric) => metric.name === "errors-vs-baseline")
      ?.measurements[0]?.comparison;
    expect(comparison).toMatchObject({ label: "High" });
    expect(comparison?.estimate).toBeGreaterThan(0.02);
    expect(comparison?.effectSize).toBeGreaterThan(2);
    expect(result.annotations.find((annotation) => annotation.level === "error")?.message).toMatch(
      /^canary-gate: rollback, score 0: .*error-rate broke its threshold/,
    );
    expect(result.summary).toMatch(/❌ roll back/);
    // It stopped at the first failure rather than waiting out all three rounds.
    expect(result.lines.filter((line) => /^error-rate \d\/3/.test(line))).toHaveLength(1);
  });

  it("is inconclusive, never a pass, for a canary without traffic", async () => {
    const result = await gate({ canary: IDLE });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.verdict).toBe("inconclusive");
    const report = JSON.parse(result.outputs.report ?? "{}") as Report;
    expect(
      report.metrics.find((metric) => metric.name === "error-rate")?.measurements[0],
    ).toMatchObject({ phase: "Inconclusive" });
    expect(result.summary).toMatch(/no data/);
    expect(
      result.annotations.find((annotation) => annotation.level === "warning")?.message,
    ).toMatch(/canary-gate: inconclusive/);
  });

  it("never promotes when Prometheus goes down mid-analysis", async () => {
    const doomed = await startPrometheus({
      dir: join(dir, "doomed"),
      targets: [],
      scrapeInterval: "1s",
    });
    cleanup.track(doomed);
    let killed = false;
    const result = await gate(
      {
        address: doomed.url,
        canary: GOOD,
        metrics: "- name: up\n  query: vector(1)\n  condition: result == 1\n",
        count: "5",
        interval: "1s",
        "consecutive-error-limit": "2",
        "fail-on": "rollback,inconclusive",
      },
      {
        onLine: (line) => {
          if (!killed && /^up 1\/5: Successful/.test(line)) {
            killed = true;
            void doomed.kill();
          }
        },
      },
    );
    expect(killed).toBe(true);
    expect(result.outputs.verdict).toBe("inconclusive");
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.outputs.report ?? "{}") as Report;
    const phases = report.metrics[0]?.measurements.map((measurement) => measurement.phase);
    expect(phases?.[0]).toBe("Successful");
    expect(phases?.slice(-3)).toEqual(["Error", "Error", "Error"]);
    expect(result.summary).toMatch(/could not be measured/);
  });

  it("judges a generic JSON endpoint with the http provider (Prometheus's own API as the endpoint)", async () => {
    const query = encodeURIComponent(
      `sum(rate(http_requests_total{version="${GOOD}",route="/api/work"}[10s]))`,
    );
    const metrics =
      `- name: traffic\n  provider: http\n  query: ${prometheus.url}/api/v1/query?query=${query}\n` +
      "  path: data.result[0].value[1]\n  condition: result > 10\n";
    const result = await gate({ metrics, canary: GOOD, count: "1" });
    expect(result.outputs.verdict).toBe("promote");
  });
});

/** Raw counters of a version, as sequential metrics read them (instant queries each round). */
const counter = (placeholder: string, extra = "") =>
  `sum(http_requests_total{version="{{ ${placeholder} }}",route="/api/work"${extra}})`;
const SEQUENTIAL = `
- name: errors
  sequential:
    kind: rate
    canary:
      events: ${JSON.stringify(counter("canary", ',code=~"5.."'))}
      total: ${JSON.stringify(counter("canary"))}
    baseline:
      events: ${JSON.stringify(counter("baseline", ',code=~"5.."'))}
      total: ${JSON.stringify(counter("baseline"))}
    alpha: 0.01
    min-events: 4
- name: latency
  sequential:
    kind: histogram
    canary: 'sum by (le) (http_request_duration_seconds_bucket{version="{{ canary }}",route="/api/work"})'
    baseline: 'sum by (le) (http_request_duration_seconds_bucket{version="{{ baseline }}",route="/api/work"})'
    direction: increase
    alpha: 0.01
    min-events: 50
`;

interface SequentialReport {
  verdict: string;
  metrics: {
    name: string;
    phase: string;
    measurements: {
      phase: string;
      sequential?: {
        estimate: number | null;
        lower: number | null;
        upper: number | string | null;
        eValue: number;
        enough: boolean;
        quantiles?: { q: number; canary: number | null; baseline: number | null }[];
      };
    }[];
  }[];
}

describe("canary-gate's sequential metrics against Prometheus (raw counters)", () => {
  const sequential = (canary: string, count = "6") =>
    gate({ canary, metrics: SEQUENTIAL, interval: "2s", count });

  it("promotes equal versions at count, with each round's estimate and interval", async () => {
    const result = await sequential(GOOD);
    const report = JSON.parse(result.outputs.report ?? "{}") as SequentialReport;
    expect(report.metrics.map((metric) => [metric.name, metric.phase])).toEqual([
      ["errors", "Successful"],
      ["latency", "Successful"],
    ]);
    expect(result.outputs.verdict).toBe("promote");
    const errors = report.metrics[0]?.measurements ?? [];
    expect(errors.map((measurement) => measurement.phase)).toEqual([
      "Running",
      "Running",
      "Running",
      "Running",
      "Running",
      "Successful",
    ]);
    const last = errors.at(-1)?.sequential;
    expect(last?.enough).toBe(true);
    expect(last?.lower).toBeLessThan(1);
    expect(last?.eValue).toBeLessThan(100);
    // A handful of events: the anytime-valid bounds are wide, and may be open at the top.
    expect(result.summary).toMatch(
      /ratio [\d.]+ \[[\d.]+, ([\d.]+|Infinity)\]; e-value [\d.]+ \(rejects at 100\)/,
    );
  });

  it("rolls back a 5% error canary as soon as the test rejects", async () => {
    const result = await sequential(BAD, "30");
    expect(result.exitCode).toBe(1);
    expect(result.outputs.verdict).toBe("rollback");
    const report = JSON.parse(result.outputs.report ?? "{}") as SequentialReport;
    const errors = report.metrics.find((metric) => metric.name === "errors");
    expect(errors?.phase).toBe("Failed");
    // Far fewer rounds than the count: the analysis stops in the round the test rejects.
    expect(errors?.measurements.length).toBeLessThan(15);
    const last = errors?.measurements.at(-1)?.sequential;
    expect(last?.lower).toBeGreaterThan(1);
    expect(last?.eValue).toBeGreaterThanOrEqual(100);
    expect(result.outputs.verdict).toBe("rollback");
  });

  it("catches a slower version with the histogram test, naming the quantiles that moved", async () => {
    const result = await sequential(SLOW, "30");
    expect(result.outputs.verdict).toBe("rollback");
    const report = JSON.parse(result.outputs.report ?? "{}") as SequentialReport;
    const latency = report.metrics.find((metric) => metric.name === "latency");
    expect(latency?.phase).toBe("Failed");
    const p50 = latency?.measurements.at(-1)?.sequential?.quantiles?.find((one) => one.q === 0.5);
    expect(p50?.canary).toBeGreaterThan(2 * (p50?.baseline ?? Infinity));
    expect(result.summary).toMatch(
      /latency detected a regression: regression: the canary is slower/,
    );
  });

  it("names a counter query that returns more than one series, before the first round", async () => {
    const metrics =
      "- name: errors\n  sequential:\n    kind: rate\n" +
      '    canary: { events: "http_requests_total", total: "sum(http_requests_total)" }\n' +
      '    baseline: { events: "sum(http_requests_total)", total: "sum(http_requests_total)" }\n';
    const result = await gate({ canary: GOOD, metrics });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.verdict).toBeUndefined();
    expect(result.annotations.find((annotation) => annotation.level === "error")?.message).toMatch(
      /metrics\[0\]\.sequential \(metric "errors"\): the canary events query returned \d+ series/,
    );
  });
});

describe("canary-gate refuses bad definitions before the first query", () => {
  it("names the metric with a PromQL syntax error, and the file and line from the environment", async () => {
    await workspace.write(
      "custom/base.yml",
      "service: demo\nanalysis:\n  address: http://127.0.0.1:9\n  metrics:\n" +
        "    - name: broken\n      query: sum(rate(x[1m])\n      condition: result < 1\n",
    );
    await workspace.write("custom/staging.yml", "description: staging\n");
    const result = await runAction({
      action: "canary-gate",
      workspace: workspace.dir,
      inputs: { environment: "staging", "config-dir": "custom", canary: GOOD },
    });
    expect(result.exitCode).toBe(1);
    expect(result.annotations).toEqual([
      expect.objectContaining({
        level: "error",
        file: "custom/base.yml",
        line: 6,
        message: expect.stringMatching(
          /^custom\/base\.yml:6 analysis\.metrics\[0\]\.query \(metric "broken"\): PromQL syntax error at column 16/,
        ),
      }),
    ]);
    expect(result.outputs).toEqual({});
  });

  it("rejects bad inputs by name", async () => {
    const result = await runAction({
      action: "canary-gate",
      workspace: workspace.dir,
      inputs: {
        metrics: "- name: m\n  query: up\n  max: 1\n",
        address: "http://127.0.0.1:9",
        count: "many",
        "fail-on": "sometimes",
      },
    });
    expect(result.exitCode).toBe(1);
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      'input "fail-on": unknown verdict sometimes: use rollback, inconclusive, promote, or none',
      'input "count": expected a number, got "many"',
    ]);
  });
});

describe("canary-gate keeps values, credentials and settings in their place", () => {
  it("escapes a version so it cannot rewrite the query", async () => {
    // Unescaped, this canary would turn the query into `... or vector(1) ...`, which passes.
    const canary = '1.1.1"}[10s])) or vector(1) or sum(rate(x{a="';
    const metrics =
      "- name: traffic\n" +
      `  query: 'sum(rate(http_requests_total{version="{{ canary }}"}[10s]))'\n` +
      "  condition: result > 0\n";
    const result = await gate({ metrics, canary, count: "1" });
    expect(result.outputs.verdict).toBe("inconclusive");
    const report = JSON.parse(result.outputs.report ?? "{}") as Report;
    expect(report.metrics[0]?.measurements[0]?.query).toBe(
      'sum(rate(http_requests_total{version="1.1.1\\"}[10s])) or vector(1) ' +
        'or sum(rate(x{a=\\""}[10s]))',
    );
  });

  it("never reports an address's userinfo, and masks its password and Basic credentials", async () => {
    const address = prometheus.url.replace("http://", "http://gate-reader:hunter2%3Ax@");
    const result = await gate({ address, canary: GOOD, count: "1" });
    expect(result.outputs.verdict).toBe("promote");
    expect(result.masked).toEqual(
      expect.arrayContaining([
        "hunter2:x",
        Buffer.from("gate-reader:hunter2:x").toString("base64"),
      ]),
    );
    for (const text of [result.outputs.report ?? "", result.summary, ...result.lines]) {
      expect(text).not.toContain("gate-reader");
      expect(text).not.toContain("hunter2");
    }
    expect(JSON.parse(result.outputs.report ?? "{}")).toMatchObject({
      settings: { address: prometheus.url.replace("http://", "http://***@") },
    });
  });

  it("queries with the environment's bearer-token when the inputs give none", async () => {
    const endpoint = await startHttpServer({
      "/value": (request, response, hits) =>
        request.headers.authorization === "Bearer env-token-81f2"
          ? json(200, { value: "0.001" })(request, response, hits)
          : json(401, { error: "unauthorized" })(request, response, hits),
    });
    cleanup.add(() => endpoint.close());
    await workspace.write(
      "auth/base.yml",
      "service: demo\nanalysis:\n  provider: http\n  address: " +
        `${endpoint.url}\n  bearer-token: \${secret:METRICS_TOKEN}\n  metrics:\n` +
        "    - name: errors\n      query: /value\n      path: value\n      max: 0.01\n",
    );
    await workspace.write("auth/staging.yml", "description: staging\n");
    const inputs = { environment: "staging", "config-dir": "auth", canary: GOOD };
    const env = { METRICS_TOKEN: "env-token-81f2" };
    const result = await runAction({
      action: "canary-gate",
      workspace: workspace.dir,
      inputs,
      env,
    });
    expect(result.outputs.verdict).toBe("promote");
    expect(result.masked).toContain("env-token-81f2");
    // The bearer-token input wins over the section's.
    const overridden = await runAction({
      action: "canary-gate",
      workspace: workspace.dir,
      inputs: { ...inputs, "bearer-token": "wrong-token", "consecutive-error-limit": "0" },
      env,
    });
    expect(overridden.outputs.verdict).toBe("inconclusive");
  });

  it("refuses a non-http address, a score out of range and an interval no timer holds", async () => {
    const result = await runAction({
      action: "canary-gate",
      workspace: workspace.dir,
      inputs: {
        metrics: "- name: m\n  query: up\n  max: 1\n",
        address: "tcp://reader:s3cret-pw@prom:9090",
        "pass-score": "101",
        interval: "30d",
        count: "3",
      },
    });
    expect(result.exitCode).toBe(1);
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      'input "pass-score": expected a number from 0 to 100',
    ]);
    const settings = await runAction({
      action: "canary-gate",
      workspace: workspace.dir,
      inputs: {
        metrics: "- name: m\n  query: up\n  max: 1\n",
        address: "tcp://reader:s3cret-pw@prom:9090",
        interval: "30d",
        count: "3",
      },
    });
    expect(settings.exitCode).toBe(1);
    expect(settings.annotations.map((annotation) => annotation.message)).toEqual([
      'input "interval": "30d" is longer than a timer can wait (at most 24d20h31m23s)',
      'input "address": expected an http(s) URL such as http://prometheus:9090, ' +
        'got "tcp://***@prom:9090"',
    ]);
    expect(settings.lines.join("\n")).not.toContain("s3cret-pw");
  });

  it("names the file and line of a bad address in the environment", async () => {
    await workspace.write(
      "bad-address/base.yml",
      "service: demo\nanalysis:\n  address: prometheus:9090\n  metrics:\n" +
        "    - name: m\n      query: up\n      max: 1\n",
    );
    await workspace.write("bad-address/staging.yml", "description: staging\n");
    const result = await runAction({
      action: "canary-gate",
      workspace: workspace.dir,
      inputs: { environment: "staging", "config-dir": "bad-address", canary: GOOD },
    });
    expect(result.exitCode).toBe(1);
    expect(result.annotations).toEqual([
      expect.objectContaining({
        level: "error",
        file: "bad-address/base.yml",
        line: 3,
        message:
          "bad-address/base.yml:3 analysis.address: expected an http(s) URL such as " +
          'http://prometheus:9090, got "prometheus:9090"',
      }),
    ]);
  });
});
