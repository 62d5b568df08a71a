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
  try {
    const prometheus = await startGateLab(cleanup);
    const plan = planGate(
      undefined,
      {
        settings: { address: prometheus.url, interval: "1s", count: 10 },
        settingPath: (key) => key,
        metrics: { metrics: benchMetrics(), path: ["metrics"] },
      },
      { canary: "1.1.1", baseline: "1.1.0" },
    );
    const waits = countingClock();
    const queries = queryTimer();
    const providers = providerFactory(plan.settings, {});
    const started = performance.now();
    const result = await runGate(plan, {
      clock: waits.clock,
      providerFor: (metric) => queries.timed(providers(metric)),
      log: (line) => {
        if (/^error-rate (\d+)/.test(line)) queries.nextRound();
      },
    });
    printOverhead(result, performance.now() - started, waits.sleptMs(), queries.totalMs());
  } finally {
    await cleanup.run();
  }
}

/** A baseline and a canary of the demo service under load, and a Prometheus that has both. */
async function startGateLab(cleanup: Cleanup) {
  const dir = await mkdtemp(join(tmpdir(), "bench-gate-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
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
  for (const version of ["1.1.0", "1.1.1"]) {
    await prometheus.waitFor(
      `sum(rate(http_request_duration_seconds_bucket{version="${version}"}[5s]))`,
      { timeoutMs: 60_000, until: (result) => Number(result[0]?.value[1]) > 0 },
    );
  }
  return prometheus;
}

const ERROR_RATE =
  '(sum(rate(http_requests_total{version="{{ canary }}",code=~"5.."}[5s])) or vector(0))' +
  ' / sum(rate(http_requests_total{version="{{ canary }}"}[5s]))';

/** A latency quantile of the canary's or the baseline's version (the gate fills the version in). */
const latency = (quantile: string, who: string): string =>
  `histogram_quantile(${quantile}, sum by (le) ` +
  `(rate(http_request_duration_seconds_bucket{version="{{ ${who} }}"}[5s])))`;

/** Three metrics: a threshold on the error rate and two comparisons with the baseline. */
function benchMetrics(): unknown[] {
  const comparison = (quantile: string, direction: string): string =>
    `{ canary: '${latency(quantile, "canary")}', baseline: '${latency(quantile, "baseline")}', ` +
    `direction: ${direction}, lookback: 30s, step: 1s }`;
  const yaml = `
- name: error-rate
  query: ${ERROR_RATE}
  condition: result <= 0.01
- name: p95-vs-baseline
  compare: ${comparison("0.95", "increase")}
- name: p50-vs-baseline
  compare: ${comparison("0.5", "either")}
`;
  return parseYamlSource("bench", yaml).data as unknown[];
}

/** The real clock, counting the time spent in its sleeps (the gate's interval waits). */
function countingClock(): { clock: Clock; sleptMs: () => number } {
  let sleptMs = 0;
  const clock: Clock = {
    now: realClock.now,
    sleep: async (ms) => {
      const start = performance.now();
      await realClock.sleep(ms);
      sleptMs += performance.now() - start;
    },
  };
  return { clock, sleptMs: () => sleptMs };
}

/** Time inside Prometheus, per round: the slowest query of the round (queries run concurrently). */
function queryTimer() {
  const perRound = new Map<number, number>();
  let round = 0;
  const timedQuery = async <T>(query: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await query();
    } finally {
      perRound.set(round, Math.max(perRound.get(round) ?? 0, performance.now() - start));
    }
  };
  return {
    timed: (provider: MetricsProvider): MetricsProvider => ({
      ...provider,
      instant: (query, at) => timedQuery(() => provider.instant(query, at)),
      range: (query, range) => timedQuery(() => provider.range(query, range)),
    }),
    nextRound: () => {
      round += 1;
    },
    totalMs: () => [...perRound.values()].reduce((total, ms) => total + ms, 0),
  };
}

function printOverhead(
  result: { rounds: number; verdict: string },
  wallMs: number,
  sleptMs: number,
  queryMs: number,
): void {
  const gateMs = wallMs - sleptMs - queryMs;
  console.log(
    "canary-gate: 3 metrics (1 threshold, 2 comparisons over 30 s+ of 1 s points), " +
      `${result.rounds} rounds every 1 s, verdict ${result.verdict}`,
  );
  console.log(
    `  wall ${wallMs.toFixed(0)} ms = waits ${sleptMs.toFixed(0)} ms + ` +
      `Prometheus ${queryMs.toFixed(0)} ms + gate ${gateMs.toFixed(0)} ms`,
  );
  console.log(
    `  gate overhead per interval beyond waiting for Prometheus: ${(gateMs / result.rounds).toFixed(2)} ms ` +
      `(baseline: Prometheus itself took ${(queryMs / result.rounds).toFixed(2)} ms per round)`,
  );
}

console.log("deploy on the lab (nginx, Prometheus, demo service; 100 req/s through nginx):");
const figures = await runDeployDemo(() => undefined);
for (const run of figures.runs) {
  console.log(
    `  ${run.title}: ${run.report.result}; ` +
      `${run.load.sent} requests during the deploy, ${run.load.failed} failed`,
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
