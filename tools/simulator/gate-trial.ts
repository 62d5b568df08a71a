// One canary-gate analysis against the simulator: a fresh simulated run (its own traffic and
// virtual clock), the real bundle (actions/canary-gate/dist/index.js) run as the runner runs it,
// and what each metric concluded, read from the bundle's JSON report.
import { runAction } from "../runner/run-action.js";
import { metricsInput, type Method } from "./methods.js";
import type { Simulator } from "./server.js";
import type { TrafficScenario } from "./traffic.js";

export interface GateSettings {
  /** The analysis interval as simulated (the README's 1m), virtual milliseconds. */
  virtualIntervalMs: number;
  /** The gate's real interval, wall-clock milliseconds (sub-second). */
  wallIntervalMs: number;
  count: number;
  /** Extra gate inputs (failure-limit, ...). */
  inputs?: Record<string, string>;
  /** Sequential metrics' alpha. */
  alpha: number;
}

export interface MetricOutcome {
  name: string;
  phase: string;
  /** Measurements taken (errors excluded). */
  measured: number;
  /** Virtual milliseconds from the canary taking traffic to the measurement that failed it. */
  detectedAfterMs?: number;
}

export interface GateTrial {
  verdict: string;
  exitCode: number | null;
  metrics: Map<string, MetricOutcome>;
  queries: number;
  /** The steps of the range queries the gate sent, wall-clock milliseconds. */
  steps: number[];
  /** The log's lines when the run did not produce a report. */
  log?: string[];
}

interface ReportedMetric {
  name: string;
  phase: string;
  measurements: { round: number; phase: string }[];
}

/** A virtual duration as the wall-clock duration the gate is given ("60ms" for 30 s at 500x). */
export function wallDuration(settings: GateSettings, virtualMs: number): string {
  return `${Math.round((virtualMs * settings.wallIntervalMs) / settings.virtualIntervalMs)}ms`;
}

function outcomes(
  report: { metrics?: ReportedMetric[] },
  settings: GateSettings,
  historyMs: number,
): Map<string, MetricOutcome> {
  const result = new Map<string, MetricOutcome>();
  for (const metric of report.metrics ?? []) {
    const taken = metric.measurements.filter((measurement) => measurement.phase !== "Error");
    const last = taken.at(-1);
    result.set(metric.name, {
      name: metric.name,
      phase: metric.phase,
      measured: taken.length,
      ...(metric.phase === "Failed" && last
        ? { detectedAfterMs: historyMs + (last.round - 1) * settings.virtualIntervalMs }
        : {}),
    });
  }
  return result;
}

/**
 * Runs the bundle once over a new simulated run of `scenario` with `methods` as its metrics (dry
 * runs, so that each method runs its whole course whatever the others conclude, when `dryRun`).
 * The canary takes traffic `historyMs` (virtual; default one interval, the gate's default
 * lookback) before the first round, and the baseline has been serving long before.
 */
export async function runGateTrial(options: {
  simulator: Simulator;
  scenario: Omit<TrafficScenario, "startMs">;
  methods: readonly Method[];
  settings: GateSettings;
  workspace: string;
  dryRun: boolean;
  firstRoundMs?: number;
  historyMs?: number;
}): Promise<GateTrial> {
  const { simulator, settings } = options;
  const firstRoundMs = options.firstRoundMs ?? Date.UTC(2025, 0, 1, 12);
  const historyMs = options.historyMs ?? settings.virtualIntervalMs;
  const run = simulator.addRun({
    scenario: { ...options.scenario, startMs: firstRoundMs - historyMs },
    rounds: {
      wallIntervalMs: settings.wallIntervalMs,
      virtualIntervalMs: settings.virtualIntervalMs,
      firstRoundMs,
    },
  });
  try {
    const wall = (virtualMs: number) => wallDuration(settings, virtualMs);
    const [canary, baseline] = options.scenario.versions.map((version) => version.version);
    const result = await runAction({
      action: "canary-gate",
      workspace: options.workspace,
      timeoutMs: 60_000 + settings.count * settings.wallIntervalMs * 4,
      inputs: {
        address: run.address,
        metrics: metricsInput(options.methods, { wall, alpha: settings.alpha }, options.dryRun),
        canary: canary!,
        baseline: baseline!,
        interval: `${settings.wallIntervalMs}ms`,
        count: String(settings.count),
        step: wall(settings.virtualIntervalMs / 12),
        "fail-on": "none",
        notify: "false",
        ...settings.inputs,
      },
    });
    const report = result.outputs.report
      ? (JSON.parse(result.outputs.report) as { metrics?: ReportedMetric[] })
      : undefined;
    return {
      verdict: result.outputs.verdict ?? "none",
      exitCode: result.exitCode,
      metrics: report ? outcomes(report, settings, historyMs) : new Map(),
      queries: run.queries,
      steps: [...run.steps],
      ...(report ? {} : { log: result.lines }),
    };
  } finally {
    simulator.removeRun(run.id);
  }
}
