// The lab demo, and the figures `npm run bench` prints: the real deploy bundle, run as the runner
// runs it, against the lab (the demo service in two slots behind nginx, watched by Prometheus)
// and the GitHub API stand-in, with steady traffic through nginx the whole time.
//   1. 1.1.0 (good) goes through every canary step and is promoted;
//   2. 1.2.0 (5% errors) is caught by the gate at the first step and rolled back;
//   3. 1.2.1 (good) is switched blue-green under load, counting the requests the switch failed;
//   4. a recovery drill on the lab's drill environment: a faulty build (its hooks given
//      SHIPGATE_DRILL=1, so the demo service fails a quarter of its requests) must be rolled back
//      by the gate within the environment's recovery.rto;
//   5. a fleet of three instances (scripts/lab/fleet-demo.ts): a first canary promoted without
//      analysis, then a rolling deploy in batches of one, never fewer than two instances serving.
// Run through scripts/typescript/register.mjs (see scripts/demo.sh): it imports tools/ directly.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createGitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn } from "../../tools/github-standin/index.js";
import {
  labDown,
  labLive,
  labUp,
  labVariables,
  seedDeployment,
  startLoad,
} from "../../tools/lab/lab.js";
import { ROOT, runAction, type ActionResult } from "../../tools/runner/run-action.js";
import { runFleetDemo, type FleetDemo } from "./fleet-demo.js";

const REPOSITORY = "octo-org/demo-api";

interface TimelineEvent {
  elapsedMs: number;
  step: string;
  ok: boolean;
  slot?: string;
  weight?: number;
  verdict?: string;
  score?: number | null;
  detail: string;
}

interface DeployReport {
  result: string;
  reason: string;
  timeline: TimelineEvent[];
  figures: {
    badTrafficAtMs?: number;
    restoredAtMs?: number;
    secondsToRestore?: number;
    gateMs: number;
  };
}

export interface DemoRun {
  title: string;
  version: string;
  strategy: string;
  exitCode: number | null;
  report: DeployReport;
  summary: string;
  load: {
    sent: number;
    ok: number;
    failed: number;
    retried: number;
    byVersion: Record<string, number>;
  };
  /** A drill's verdict. */
  drill?: DrillVerdict;
}

export interface DemoFigures {
  runs: DemoRun[];
  /** The fleet's deploys, and the fewest instances serving meanwhile. */
  fleet?: FleetDemo;
  /** Requests failed while the blue-green switch happened, under steady load. */
  blueGreenFailed: number;
  /** Seconds from the bad canary taking traffic to stable holding it all again. */
  secondsToRestore?: number;
  /** The bound: the initial delay and every round of the analysis, + 2 s. */
  restoreTargetSeconds: number;
  /** How much of that time the gate spent (queries and waits). */
  gateSeconds: number;
  /** The recovery drill's verdict, as deploy's `drill` output gives it. */
  drill?: DrillVerdict;
}

/** deploy's `drill` output (payload.drill of the drill's records). */
interface DrillVerdict {
  kind: string;
  rto_seconds: number;
  recovery_seconds: number | null;
  passed: boolean;
}

function timelineText(report: DeployReport): string {
  return report.timeline.map(timelineLine).join("\n");
}

function timelineLine(event: TimelineEvent): string {
  const gate = event.verdict
    ? `gate ${event.verdict}${event.score != null ? ` (score ${event.score})` : ""}`
    : undefined;
  const where = [event.slot, event.weight !== undefined ? `${event.weight}%` : undefined, gate]
    .filter(Boolean)
    .join(", ");
  const at = `+${(event.elapsedMs / 1000).toFixed(1).padStart(5)}s`;
  const step = `${event.ok ? "✓" : "✗"} ${event.step.padEnd(8)}`;
  return `  ${at}  ${step} ${where ? `[${where}] ` : ""}${event.detail}`;
}

/** Where the deploys run: the lab's traffic address, the API stand-in, the lab's variables. */
export interface DemoStage {
  /** The environment deployed to (a file in lab/environments). */
  environment: string;
  labUrl: string;
  apiUrl: string;
  env: Record<string, string>;
  log: (line: string) => void;
}

/** Runs the three deploys and returns their reports and the figures. `log` narrates. */
export async function runDeployDemo(
  log: (line: string) => void = console.log,
): Promise<DemoFigures> {
  const labDir = join(ROOT, ".lab", "demo");
  await labDown(labDir).catch(() => undefined);
  log(
    "Starting the lab: nginx, Prometheus, and version 1.0.0 of the demo service in the blue slot…",
  );
  const lab = await labUp(labDir, { version: "1.0.0" });
  const github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  try {
    log(
      `  traffic: ${lab.url}   prometheus: ${lab.prometheus}   GitHub API stand-in: ${github.url}`,
    );
    await seedStable(github.url);
    const stage: DemoStage = {
      environment: "production",
      labUrl: lab.url,
      apiUrl: github.url,
      env: labVariables(labDir, lab),
      log,
    };
    await warmUp(stage);
    const good = await deployUnderLoad(stage, "1. A good release", "1.1.0", "canary");
    const bad = await deployUnderLoad(stage, "2. A bad release (5% errors)", "1.2.0", "canary");
    const blueGreen = await deployUnderLoad(stage, "3. A blue-green switch", "1.2.1", "blue-green");
    // The drill environment's record of what runs now: the version a drill must return to.
    const live = await labLive(labDir);
    await seedStable(github.url, { ...live, environment: "drill" });
    const drill = await deployUnderLoad(
      { ...stage, environment: "drill" },
      "4. A recovery drill (a faulty build, SHIPGATE_DRILL=1)",
      "1.3.0",
      "canary",
      { drill: "rollback" },
    );
    const fleet = await runFleetDemo({ apiUrl: github.url, log });
    return {
      ...demoFigures(good, bad, blueGreen),
      fleet,
      ...(drill.drill ? { drill: drill.drill } : {}),
    };
  } finally {
    await github.stop();
    await labDown(labDir);
  }
}

/** The deployment record of the stable version: by default 1.0.0 in production's blue slot. */
async function seedStable(
  apiUrl: string,
  stable: { version: string; slot: string; environment: string } = {
    version: "1.0.0",
    slot: "blue",
    environment: "production",
  },
): Promise<void> {
  const client = createGitHubClient({
    token: "demo-token",
    baseUrl: apiUrl,
    secondMs: 1,
    getCache: false,
  });
  await seedDeployment(client, REPOSITORY, { ...stable, state: "success" });
}

/** Prometheus needs a few scrapes of the stable version before the first gate can compare. */
async function warmUp(stage: DemoStage): Promise<void> {
  const load = startLoad({ url: `${stage.labUrl}/api/work`, rps: 100, durationMs: 15_000 });
  stage.log("Warming up: 15 s of traffic to the stable version so Prometheus has a baseline…");
  await load.done;
}

/** One deploy of `version` with steady traffic through nginx the whole time; narrated as it goes. */
export async function deployUnderLoad(
  stage: DemoStage,
  title: string,
  version: string,
  strategy: string,
  extraInputs: Record<string, string> = {},
): Promise<DemoRun> {
  stage.log(
    `\n=== ${title}: deploy ${version} (${strategy}) under 100 requests/s through nginx ===`,
  );
  const traffic = startLoad({ url: `${stage.labUrl}/api/work`, rps: 100, durationMs: 600_000 });
  let result: ActionResult;
  let counted: Awaited<ReturnType<typeof traffic.stop>>;
  try {
    result = await runDeploy(stage, version, strategy, extraInputs);
  } finally {
    counted = await traffic.stop();
  }
  const report = JSON.parse(result.outputs.report ?? "{}") as DeployReport;
  const { sent, ok, failed, retried, byVersion } = counted;
  const run: DemoRun = {
    title,
    version,
    strategy,
    exitCode: result.exitCode,
    report,
    summary: result.summary,
    load: { sent, ok, failed, retried, byVersion },
    ...(result.outputs.drill ? { drill: JSON.parse(result.outputs.drill) as DrillVerdict } : {}),
  };
  stage.log(
    `--- result: ${report.result ?? "none"} (exit ${result.exitCode}): ` +
      `${report.reason ?? result.stderr.slice(-500)}`,
  );
  stage.log(timelineText(report));
  stage.log(
    `--- traffic: ${sent} requests, ${failed} failed; ` +
      `answered by version: ${JSON.stringify(byVersion)}`,
  );
  return run;
}

/** The real deploy bundle against the lab, printing the lines that tell the story. */
function runDeploy(
  stage: DemoStage,
  version: string,
  strategy: string,
  extraInputs: Record<string, string>,
): Promise<ActionResult> {
  return runAction({
    action: "deploy",
    workspace: ROOT,
    repository: REPOSITORY,
    apiUrl: stage.apiUrl,
    inputs: {
      environment: stage.environment,
      version,
      strategy,
      "config-dir": "lab/environments",
      token: "demo-token",
      // The lab's addresses, as a workflow passes its configuration variables.
      vars: JSON.stringify(stage.env),
      ...extraInputs,
    },
    timeoutMs: 600_000,
    onLine: (line) => {
      if (/^(✓|✗|canary gate|rolling back|rollback drill)/.test(line)) stage.log(`  ${line}`);
    },
  });
}

function demoFigures(good: DemoRun, bad: DemoRun, blueGreen: DemoRun): DemoFigures {
  // The analysis section of lab/environments/base.yml: the sequential error test looks every 2 s
  // after a 5 s delay, for at most 10 rounds; the bound is the whole analysis plus 2 s of switching.
  const restoreTargetSeconds = 5 + 10 * 2 + 2;
  return {
    runs: [good, bad, blueGreen],
    blueGreenFailed: blueGreen.load.failed,
    ...(bad.report.figures?.secondsToRestore !== undefined
      ? { secondsToRestore: bad.report.figures.secondsToRestore }
      : {}),
    restoreTargetSeconds,
    gateSeconds: (bad.report.figures?.gateMs ?? 0) / 1000,
  };
}

export function figuresText(figures: DemoFigures): string {
  const switchFailed = figures.blueGreenFailed;
  return [
    `requests failed by the blue-green switch under 100 req/s: ${switchFailed} ` +
      `(target 0: ${switchFailed === 0 ? "met" : "over"})`,
    `bad canary on traffic -> 100% stable restored: ${restoreText(figures)}`,
    `recovery drill: ${drillText(figures.drill)}`,
    ...(figures.fleet
      ? [
          `fleet of three: requests failed ${figures.fleet.failed} (target 0), fewest instances ` +
            `serving ${figures.fleet.minServing} (min-healthy 2: ` +
            `${figures.fleet.minServing >= 2 ? "met" : "under"})`,
        ]
      : []),
  ].join("\n");
}

function drillText(drill: DrillVerdict | undefined): string {
  if (!drill) return "no verdict (the drill did not run to its end)";
  const recovered =
    drill.recovery_seconds === null
      ? "not rolled back"
      : "faulty build rolled back, stable serving everything " +
        `${drill.recovery_seconds.toFixed(1)} s after its first traffic`;
  return `${recovered} (RTO ${drill.rto_seconds} s: ${drill.passed ? "passed" : "failed"})`;
}

function restoreText(figures: DemoFigures): string {
  const seconds = figures.secondsToRestore;
  if (seconds === undefined) return "not measured (the bad canary was not rolled back)";
  const target = figures.restoreTargetSeconds;
  return (
    `${seconds.toFixed(1)} s (target <= ${target} s: ${seconds <= target ? "met" : "over"}); ` +
    `the gate's share ${figures.gateSeconds.toFixed(1)} s`
  );
}

/** The Markdown report the demo writes: each deploy's summary as GitHub would show it, and the figures. */
export async function writeDemoReport(figures: DemoFigures, path: string): Promise<void> {
  const sections = [...figures.runs, ...(figures.fleet?.runs ?? [])].map(
    (run) =>
      `## ${run.title}\n\n${run.summary}\n` +
      `Traffic during the deploy: ${run.load.sent} requests, ${run.load.failed} failed.\n`,
  );
  const figureList = figuresText(figures)
    .split("\n")
    .map((line) => `- ${line}`)
    .join("\n");
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(
    path,
    `# shipgate lab demo\n\n${sections.join("\n")}\n## Figures\n\n${figureList}\n`,
  );
}

if (process.env.SHIPGATE_DEMO_MAIN === "1") {
  const figures = await runDeployDemo();
  const reportPath = join(ROOT, ".lab", "demo-report.md");
  await writeDemoReport(figures, reportPath);
  console.log(`\n=== Figures ===\n${figuresText(figures)}\n\nMarkdown report: ${reportPath}`);
  const [good, bad, blueGreen] = figures.runs;
  const expected =
    good?.report.result === "deployed" &&
    bad?.report.result === "rolled-back" &&
    blueGreen?.report.result === "deployed" &&
    figures.drill?.passed === true &&
    figures.fleet?.runs.every((run) => run.report.result === "deployed") === true;
  if (!expected) {
    console.error(
      "The demo did not end as expected: 1.1.0 deployed, 1.2.0 rolled back, 1.2.1 deployed, " +
        "the drill passed, and the fleet's two deploys deployed.",
    );
    process.exitCode = 1;
  }
}
