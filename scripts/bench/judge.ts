// Benchmark of the canary judge on 2 x 100,000 samples: the Mann-Whitney test (interval and
// Hodges-Lehmann estimate included) and the whole classification, each against the time to sort the
// same two arrays in the same run. Target: judge under 100 ms. Run: node scripts/bench.mjs judge
import { classifyComparison } from "../../src/analysis/judge.js";
import { mannWhitney } from "../../src/analysis/mann-whitney.js";

const SIZE = 100_000;
const WARMUP = 5;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TARGET_MS = 100;

/** Lehmer 48271 uniforms: the first data set is test/fixtures/mann-whitney's seeded case, checked against R. */
function uniforms(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

function latencies(next: () => number, scale: number): number[] {
  return Array.from(
    { length: SIZE },
    () => (0.08 + 0.04 * next() * next() + (0.02 * next()) / (1.02 - next())) * scale,
  );
}

const next = uniforms(424242);
const datasets: [string, number[], number[]][] = [
  ["latency, canary 2% slower", latencies(next, 1.02), latencies(next, 1)],
  ["latency, no change", latencies(next, 1), latencies(next, 1)],
  [
    "request counts (ties)",
    Array.from({ length: SIZE }, () => Math.floor(40 * next())),
    Array.from({ length: SIZE }, () => Math.floor(39 * next())),
  ],
];

const gc = (globalThis as { gc?: () => void }).gc;

function time(run: () => unknown): number {
  gc?.();
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (samples: number[]): number =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

console.log(
  `judge: 2 x ${SIZE.toLocaleString("en")} samples, median of ${RUNS} runs ` +
    `after ${WARMUP} warm-up runs, node ${process.version}`,
);
console.log(
  "data                          sort both ms   mannWhitney ms  ratio" +
    "   classify ms  ratio   target < 100 ms",
);
for (const [name, canary, baseline] of datasets) {
  const sorting: number[] = [];
  const testing: number[] = [];
  const judging: number[] = [];
  for (let run = 0; run < WARMUP + RUNS; run++) {
    const sort = time(() => [Float64Array.from(canary).sort(), Float64Array.from(baseline).sort()]);
    const test = time(() => mannWhitney(canary, baseline));
    const judge = time(() => classifyComparison(canary, baseline, { direction: "either" }));
    if (run >= WARMUP) {
      sorting.push(sort);
      testing.push(test);
      judging.push(judge);
    }
  }
  const [sort, test, judge] = [median(sorting), median(testing), median(judging)];
  const worst = Math.max(test, judge);
  const columns = [
    name.padEnd(30),
    sort.toFixed(1).padStart(12),
    test.toFixed(1).padStart(17),
    `${(test / sort).toFixed(2).padStart(7)}x`,
    judge.toFixed(1).padStart(13),
    `${(judge / sort).toFixed(2).padStart(7)}x`,
    `   ${worst < TARGET_MS ? "met" : "over"}`,
  ];
  console.log(columns.join(""));
}
const label = classifyComparison(datasets[0]![1], datasets[0]![2], { direction: "either" });
console.log(`(first data set judged ${label.label}: ${label.reason})`);
