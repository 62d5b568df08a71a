// The sequential judge on the lab, with a real Prometheus: 20 A/A canaries (the same version on
// the canary instance and the stable one, 10% of 100 requests/s on the canary), counting the
// rollbacks, then the demo's bad release (1.2.0, 5% errors) on the canary, counting the rounds the
// sequential error metric takes to catch it. Runs only when named: `npm run bench -- gate-lab`
// (about five minutes). BENCH_RUNS sets the number of A/A canaries.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLabCli, startFleetLab, startLoad, type FleetLab } from "../../tools/lab/lab.js";
import { createWorkspace } from "../../tools/runner/workspace.js";
import { runAction } from "../../tools/runner/run-action.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const INTERVAL_S = 2;
const COUNT = 6;

/** Raw counters by instance (the service labels its series with its instance as `slot`). */
const counter = (slot: string, extra = "") =>
  `sum(http_requests_total{slot="${slot}",route="/api/work"${extra}})`;
const METRICS = `
- name: errors
  sequential:
    kind: rate
    canary: { events: '${counter("canary", ',code=~"5.."')}', total: '${counter("canary")}' }
    baseline: { events: '${counter("stable", ',code=~"5.."')}', total: '${counter("stable")}' }
    alpha: 0.01
    min-events: 0
- name: latency
  sequential:
    kind: histogram
    canary: 'sum by (le) (http_request_duration_seconds_bucket{slot="canary",route="/api/work"})'
    baseline: 'sum by (le) (http_request_duration_seconds_bucket{slot="stable",route="/api/work"})'
    direction: increase
    alpha: 0.01
    min-events: 50
`;

interface Verdict {
  verdict: string;
  rounds: number;
}

async function judge(lab: FleetLab, workspace: string, count: number): Promise<Verdict> {
  const result = await runAction({
    action: "canary-gate",
    workspace,
    inputs: {
      provider: "prometheus",
      address: lab.prometheus,
      metrics: METRICS,
      canary: "canary",
      baseline: "stable",
      interval: `${INTERVAL_S}s`,
      count: String(count),
      "fail-on": "none",
    },
    timeoutMs: 120_000,
  });
  const report = JSON.parse(result.outputs.report ?? "{}") as {
    metrics?: { measurements: unknown[] }[];
  };
  if (!result.outputs.verdict) {
    const said = `${result.stdout}\n${result.stderr}`
      .split("\n")
      .filter((line) => line.startsWith("::error"));
    throw new Error(`canary-gate gave no verdict (exit ${result.exitCode}): ${said.join(" | ")}`);
  }
  const rounds = Math.max(0, ...(report.metrics ?? []).map((metric) => metric.measurements.length));
  return { verdict: result.outputs.verdict ?? `none (exit ${result.exitCode})`, rounds };
}

async function setWeights(lab: FleetLab, weights: string): Promise<void> {
  const result = await runLabCli(["traffic", "--weights", weights], { dir: lab.dir });
  if (result.code !== 0) throw new Error(`lab traffic ${weights}: ${result.stderr}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "shipgate-gate-lab-"));
  const workspace = await createWorkspace({ withExamples: false });
  const lab = await startFleetLab(dir, { instances: ["stable", "canary"], version: "1.1.0" });
  const load = startLoad({ url: `${lab.url}/api/work`, rps: 100, durationMs: 3_600_000 });
  try {
    await setWeights(lab, "stable=90,canary=10");
    await new Promise((done) => setTimeout(done, 5_000));
    const aa: Verdict[] = [];
    for (let run = 0; run < RUNS; run++) aa.push(await judge(lab, workspace.dir, COUNT));
    const rollbacks = aa.filter((run) => run.verdict === "rollback").length;
    const other = aa.filter((run) => run.verdict !== "rollback" && run.verdict !== "promote");
    await setWeights(lab, "stable=100,canary=0");
    await runLabCli(["deploy", "--instance", "canary", "--version", "1.2.0"], { dir: lab.dir });
    await setWeights(lab, "stable=90,canary=10");
    const bad = await judge(lab, workspace.dir, 30);
    console.log(
      `canary-gate on the lab (real Prometheus, 100 requests/s, 10% on the canary, ` +
        `sequential errors and latency, interval ${INTERVAL_S}s)`,
    );
    console.log(
      `  A/A, same version on both instances: ${rollbacks} rollback(s) in ${RUNS} analyses of ` +
        `${COUNT} rounds (target 0: ${rollbacks === 0 ? "met" : "over"})` +
        (other.length > 0 ? `; not promoted: ${other.map((run) => run.verdict).join(", ")}` : ""),
    );
    console.log(
      `  1.2.0 (5% errors) on the canary: ${bad.verdict} after ${bad.rounds} round(s), ` +
        `${bad.rounds * INTERVAL_S} s of analysis (of 30 rounds)`,
    );
  } finally {
    await load.stop();
    await lab.stop();
    await workspace.remove();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
