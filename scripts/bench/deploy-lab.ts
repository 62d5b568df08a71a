// Deploy and gate figures, measured on the lab (real nginx, Prometheus and demo service):
// 1. the lab demo's figures: requests failed by a blue-green switch under 100 req/s (target 0),
//    and seconds from a bad canary taking traffic to 100% stable restored (target: at most
//    (failure-limit + 1) analysis intervals + 2 s), with the gate's share of that time;
// 2. the gate's own overhead per interval beyond waiting for Prometheus: one analysis of three
//    metrics (a threshold and two comparisons) against the lab's Prometheus, its wall time minus
//    the interval waits and the time spent inside Prometheus queries, per round.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { realClock, type Clock } from "../../src/analysis/analysis.js";
import { planGate, providerFactory, runGate } from "../../src/analysis/gate.js";
import type { MetricsProvider } from "../../src/analysis/provider.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import { Cleanup, startLoad, startPrometheus, startService } from "../../tools/lab/lab.js";
import { figuresText, runDeployDemo } from "../lab/deploy-demo.js";

async function gateOverhead(): Promise<void> {
  const cleanup = new Cleanup();
  const dir = await mkdtemp(join(tmpdir(), "bench-gate-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  try {
    const baseline = cleanup.track(await startService({ version: "1.1.0", slot: "blue" }));
    const canary = cleanup.track(await startService({ version: "1.1.1", slot: "green" }));
    const prometheus = cleanup.track(
      await startPrometheus({
        dir,
        targets: [baseline, canary].map((instance) => ({
          target: `127.0.0.1:${instance.port}`,
          labels: { slot: instance.slot },
        })),
      }),
    );
    const loads = [baseline, canary].map((instance) =>
      startLoad({ url: `${instance.url}/api/work`, rps: 50, durationMs: 120_000 }),
    );
    cleanup.add(() => Promise.all(loads.map((load) => load.stop())));
    await prometheus.waitFor(
      'sum(rate(http_request_duration_seconds_bucket{version="1.1.0"}[5s]))',
      { timeoutMs: 60_000, until: (result) => Number(result[0]?.value[1]) > 0 },
    );
    await prometheus.waitFor(
      'sum(rate(http_request_duration_seconds_bucket{version="1.1.1"}[5s]))',
      { timeoutMs: 60_000, until: (result) => Number(result[0]?.value[1]) > 0 },
    );
    const p95 = (who: string) =>
      `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{version="{{ ${who} }}"}[5s])))`;
    const metrics = parseYamlSource(
      "bench",
      `
- name: error-rate
  query: (sum(rate(http_requests_total{version="{{ canary }}",code=~"5.."}[5s])) or vector(0)) / sum(rate(http_requests_total{version="{{ canary }}"}[5s]))
  condition: result <= 0.01
- name: p95-vs-baseline
  compare: { canary: '${p95("canary")}', baseline: '${p95("baseline")}', direction: increase, lookback: 30s, step: 1s }
- name: p50-vs-baseline
  compare: { canary: '${p95("canary").replace("0.95", "0.5")}', baseline: '${p95("baseline").replace("0.95", "0.5")}', direction: either, lookback: 30s, step: 1s }
`,
    ).data as unknown[];
    const rounds = 10;
    const plan = planGate(
      undefined,
      {
        settings: { address: prometheus.url, interval: "1s", count: rounds },
        settingPath: (key) => key,
        metrics: { metrics, path: ["metrics"] },
      },
      { canary: "1.1.1", baseline: "1.1.0" },
    );
    let sleptMs = 0;
    let queryMs = 0;
    const clock: Clock = {
      now: realClock.now,
      sleep: async (ms) => {
        const start = performance.now();
        await realClock.sleep(ms);
        sleptMs += performance.now() - start;
      },
    };
    // Time inside Prometheus, per round: the slowest query of the round (queries run concurrently).
    const perRound = new Map<number, number>();
    let round = 0;
    const providers = providerFactory(plan.settings, {});
    const timed = (provider: MetricsProvider): MetricsProvider => ({
      ...provider,
      instant: async (query, at) => {
        const start = performance.now();
        try {
          return await provider.instant(query, at);
        } finally {
          perRound.set(round, Math.max(perRound.get(round) ?? 0, performance.now() - start));
        }
      },
      range: async (query, range) => {
        const start = performance.now();
        try {
          return await provider.range(query, range);
        } finally {
          perRound.set(round, Math.max(perRound.get(round) ?? 0, performance.now() - start));
        }
      },
    });
    const started = performance.now();
    const result = await runGate(plan, {
      clock,
      providerFor: (metric) => timed(providers(metric)),
      log: (line) => {
        if (/^error-rate (\d+)/.test(line)) round += 1;
      },
    });
    const wallMs = performance.now() - started;
    queryMs = [...perRound.values()].reduce((total, ms) => total + ms, 0);
    const overhead = (wallMs - sleptMs - queryMs) / result.rounds;
    console.log(
      `canary-gate: 3 metrics (1 threshold, 2 comparisons over 30 s+ of 1 s points), ${result.rounds} rounds every 1 s, verdict ${result.verdict}`,
    );
    console.log(
      `  wall ${wallMs.toFixed(0)} ms = waits ${sleptMs.toFixed(0)} ms + Prometheus ${queryMs.toFixed(0)} ms + gate ${(wallMs - sleptMs - queryMs).toFixed(0)} ms`,
    );
    console.log(
      `  gate overhead per interval beyond waiting for Prometheus: ${overhead.toFixed(2)} ms (baseline: Prometheus itself took ${(queryMs / result.rounds).toFixed(2)} ms per round)`,
    );
  } finally {
    await cleanup.run();
  }
}

console.log("deploy on the lab (nginx, Prometheus, demo service; 100 req/s through nginx):");
const figures = await runDeployDemo(() => undefined);
for (const run of figures.runs) {
  console.log(
    `  ${run.title}: ${run.report.result}; ${run.load.sent} requests during the deploy, ${run.load.failed} failed`,
  );
}
console.log(
  figuresText(figures)
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n"),
);
console.log("");
await gateOverhead();
