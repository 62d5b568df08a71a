// Prometheus scraping the demo service's slots: series labelled by version and slot, idle slots
// as up == 0, and a kill that takes its port down (what "Prometheus goes down mid-analysis" means).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Cleanup,
  freePort,
  httpGet,
  renderTargets,
  startLoad,
  startPrometheus,
  startService,
  type PrometheusServer,
  type Sample,
} from "../../tools/lab/lab.js";

const cleanup = new Cleanup();
let prometheus: PrometheusServer;

const byLabel = (result: Sample[], label: string) =>
  Object.fromEntries(result.map((sample) => [sample.metric[label], Number(sample.value[1])]));

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "shipgate-lab-prometheus-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  const [blue, green] = await Promise.all([
    startService({ version: "1.0.0", slot: "blue", latencyMs: 5, latencyJitterMs: 2 }),
    startService({ version: "1.2.0", slot: "green", latencyMs: 5, latencyJitterMs: 2 }),
  ]);
  cleanup.track(blue);
  cleanup.track(green);
  const idlePort = await freePort();
  prometheus = cleanup.track(
    await startPrometheus({
      dir,
      scrapeInterval: "1s",
      targets: [
        { target: `127.0.0.1:${blue.port}`, labels: { slot: "blue" } },
        { target: `http://127.0.0.1:${green.port}/metrics`, labels: { slot: "green" } },
        { target: `127.0.0.1:${idlePort}`, labels: { slot: "idle" } },
      ],
    }),
  );
  for (const service of [blue, green]) {
    const load = startLoad({ url: `${service.url}/api/work`, rps: 40, durationMs: 50_000 });
    cleanup.add(() => load.stop());
  }
});
afterAll(() => cleanup.run());

describe("renderTargets", () => {
  it("writes file_sd groups with the job, the labels, and a URL's scheme and path", () => {
    expect(
      renderTargets([
        { target: "127.0.0.1:9100", labels: { slot: "blue" } },
        { target: "http://127.0.0.1:9200/custom/metrics", job: "other" },
      ]),
    ).toEqual([
      { targets: ["127.0.0.1:9100"], labels: { job: "demo", slot: "blue" } },
      {
        targets: ["127.0.0.1:9200"],
        labels: { job: "other", __scheme__: "http", __metrics_path__: "/custom/metrics" },
      },
    ]);
  });
});

describe("startPrometheus", () => {
  it("shows request rates by version and slot once the first scrapes land", async () => {
    const result = await prometheus.waitFor(
      'sum by (version, slot) (rate(http_requests_total{route="/api/work"}[10s]))',
      {
        timeoutMs: 40_000,
        // The first windows hold two or three samples; wait for the rates to settle near 40/s.
        until: (samples) =>
          samples.length === 2 && samples.every((sample) => Number(sample.value[1]) > 30),
      },
    );
    expect(
      result
        .map((sample) => sample.metric)
        .sort((a, b) => String(a.slot).localeCompare(String(b.slot))),
    ).toEqual([
      { version: "1.0.0", slot: "blue" },
      { version: "1.2.0", slot: "green" },
    ]);
    for (const rate of Object.values(byLabel(result, "version"))) expect(rate).toBeLessThan(50);
  }, 50_000);

  it("sees 1.2.0's injected 5% error ratio and the good version's 0%", async () => {
    // A version without a single 5xx has no such series; `or ... * 0` gives it an explicit 0.
    const all = 'sum by (version) (rate(http_requests_total{route="/api/work"}[10s]))';
    const ratio =
      `(sum by (version) (rate(http_requests_total{route="/api/work",code=~"5.."}[10s])) ` +
      `or ${all} * 0) / ${all}`;
    const result = await prometheus.waitFor(ratio, {
      timeoutMs: 30_000,
      until: (samples) => samples.length === 2,
    });
    const ratios = byLabel(result, "version");
    expect(ratios["1.0.0"]).toBe(0);
    expect(ratios["1.2.0"]).toBeGreaterThan(0.03);
    expect(ratios["1.2.0"]).toBeLessThan(0.07);
  }, 40_000);

  it("has latency histograms to take quantiles from, with the job and slot of each target", async () => {
    const p95 = await prometheus.waitFor(
      "histogram_quantile(0.95, " +
        'sum by (le, version) (rate(http_request_duration_seconds_bucket{route="/api/work"}[10s])))',
      {
        until: (samples) => samples.length === 2,
      },
    );
    for (const seconds of Object.values(byLabel(p95, "version"))) {
      expect(seconds).toBeGreaterThan(0.001);
      expect(seconds).toBeLessThan(0.1);
    }
    const up = byLabel(await prometheus.query('up{job="demo"}'), "slot");
    expect(up).toEqual({ blue: 1, green: 1, idle: 0 });
  });

  it("fails at once on a malformed query instead of polling until the timeout", async () => {
    const started = Date.now();
    await expect(prometheus.waitFor("sum(rate(", { timeoutMs: 20_000 })).rejects.toThrow(
      "bad_data",
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("kill() takes Prometheus down abruptly: its port refuses connections", async () => {
    await prometheus.kill();
    await expect(httpGet(`${prometheus.url}/-/ready`)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    await expect(prometheus.query("up")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
