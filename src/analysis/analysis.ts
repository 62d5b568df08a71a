// The analysis over time (Argo Rollouts' AnalysisRun semantics, limits.ts): every metric is
// measured once per interval until it is done by its limits or its `count`, sequential metrics
// until their test rejects or `count`; an early stop as soon as the verdict can no longer be
// promote, and an end once every deciding metric is done.
import type { PreparedMetric } from "./definitions.js";
import type { AnalysisSettings } from "./settings.js";
import type { Measurement } from "./measure.js";
import type { EndRule, MetricTally } from "./reasons.js";
import { isSequential } from "./definitions.js";
import { assessMetric } from "./limits.js";
import {
  decide,
  scoreMetrics,
  type Decision,
  type DecidingMetric,
  type MetricPhase,
  type ScoreResult,
  type ScoredMetric,
  type Verdict,
} from "./score.js";

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface MetricResult extends ScoredMetric {
  counts: { successful: number; failed: number; inconclusive: number; error: number };
  consecutiveErrors: number;
  consecutiveSuccesses: number;
  /** Why the metric ended in its phase. */
  message: string;
  measurements: Measurement[];
}

export interface AnalysisResult {
  verdict: Verdict;
  decision: Decision;
  score: ScoreResult;
  metrics: MetricResult[];
  startedAt: string;
  finishedAt: string;
  rounds: number;
  /** Why the analysis ended before every metric had its count, when it did. */
  stoppedEarly?: string;
}

export interface AnalysisDependencies {
  measure(metric: PreparedMetric, round: number, at: Date, firstAt: Date): Promise<Measurement>;
  clock?: Clock;
  /** Progress, one line per metric per round. */
  log?(line: string): void;
}

interface Tracker {
  metric: PreparedMetric;
  result: MetricResult;
  /** Measurements that count towards `count` (errors are retried, not counted). */
  taken: number;
  done: boolean;
  /** The rule that ended it, once done. */
  ended?: EndRule;
}

const finite = (value: number) =>
  Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);

/** A short line for the log: "error-rate round 2: Successful (0.003 satisfies result <= 0.01)". */
export function progressLine(measurement: Measurement, count: number): string {
  const values =
    measurement.values && measurement.values.length > 0
      ? ` [${measurement.values.map(finite).join(", ")}]`
      : "";
  return `${measurement.metric} ${measurement.round}/${count}: ${measurement.phase}${values} - ${measurement.reason}`;
}

function record(tracker: Tracker, measurement: Measurement, settings: AnalysisSettings): void {
  const result = tracker.result;
  result.measurements.push(measurement);
  if (measurement.phase === "Error") {
    result.counts.error += 1;
    result.consecutiveErrors += 1;
    result.consecutiveSuccesses = 0;
  } else {
    tracker.taken += 1;
    result.consecutiveErrors = 0;
    if (measurement.phase === "Successful") {
      result.counts.successful += 1;
      result.consecutiveSuccesses += 1;
    } else {
      result.consecutiveSuccesses = 0;
      if (measurement.phase === "Failed") result.counts.failed += 1;
      else if (measurement.phase === "Inconclusive") result.counts.inconclusive += 1;
    }
  }
  if (isSequential(tracker.metric)) return recordSequential(tracker, measurement, settings);
  const assessed = assessMetric(settings, { ...result.counts, ...result, taken: tracker.taken });
  if (!assessed) return;
  const last =
    assessed.phase === "Error" ? (measurement.error ?? measurement.reason) : measurement.reason;
  finish(tracker, assessed.phase, assessed.rule, `${assessed.message}; last: ${last}`);
}

/**
 * A sequential metric ends Failed as soon as its test rejects; at `count` it passes when it saw
 * min-events (and traffic on both sides), else it is inconclusive. Only the consecutive-error limit
 * of Argo's applies: its rounds are one test, not measurements judged one by one.
 */
function recordSequential(
  tracker: Tracker,
  measurement: Measurement,
  settings: AnalysisSettings,
): void {
  const { result } = tracker;
  if (measurement.phase === "Error") {
    if (result.consecutiveErrors > settings.consecutiveErrorLimit)
      finish(
        tracker,
        "Error",
        "consecutive-error-limit",
        `${result.consecutiveErrors} consecutive query errors ` +
          `(limit ${settings.consecutiveErrorLimit}); last: ${measurement.error ?? measurement.reason}`,
      );
    return;
  }
  if (measurement.phase === "Failed") {
    finish(tracker, "Failed", "sequential-rejection", measurement.reason);
    return;
  }
  if (tracker.taken < settings.count) return;
  const enough = measurement.sequential?.enough === true;
  measurement.phase = enough ? "Successful" : "Inconclusive";
  if (enough) {
    result.counts.successful += 1;
    const seen = measurement.reason.replace(/^no regression so far: /, "");
    measurement.reason = `passed: no regression in ${tracker.taken} rounds; ${seen}`;
    finish(tracker, "Successful", "count", measurement.reason);
  } else {
    result.counts.inconclusive += 1;
    const minEvents = isSequential(tracker.metric) ? tracker.metric.judge.minEvents : 0;
    const what =
      measurement.sequential?.kind === "histogram"
        ? "observations on each side"
        : "events on both sides together, with traffic on each";
    measurement.reason = `too little data: fewer than ${minEvents} ${what} by the last round; ${measurement.reason}`;
    finish(tracker, "Inconclusive", "count", measurement.reason);
  }
}

function finish(tracker: Tracker, phase: MetricPhase, ended: EndRule, message: string): void {
  tracker.done = true;
  tracker.ended = ended;
  tracker.result.phase = phase;
  tracker.result.message = message;
}

/** A finished metric as the decision sees it: its result, with what its measurements showed. */
function deciding(tracker: Tracker, settings: AnalysisSettings): DecidingMetric {
  const { result } = tracker;
  const tally: MetricTally = {
    ended: tracker.ended ?? "stopped-early",
    ...result.counts,
    failedNoData: result.measurements.filter(
      (measurement) => measurement.phase === "Failed" && measurement.noData === true,
    ).length,
    count: settings.count,
    failureLimit: settings.failureLimit,
    inconclusiveLimit: settings.inconclusiveLimit,
  };
  return { ...result, tally };
}

/** Whether the verdict is already settled as not-promote, so waiting longer only delays a rollback. */
function settledAgainst(trackers: readonly Tracker[]): string | undefined {
  for (const { metric, result, done } of trackers) {
    if (metric.dryRun || !done) continue;
    if (
      result.phase === "Failed" &&
      (metric.critical || metric.kind === "threshold" || isSequential(metric))
    )
      return `${metric.name} failed`;
    if (result.phase === "Inconclusive" || result.phase === "Error")
      return `${metric.name} is ${result.phase === "Error" ? "in error" : "inconclusive"}`;
  }
  return undefined;
}

/** Whether every deciding metric is done (dry-run metrics never hold the analysis up). */
function decided(trackers: readonly Tracker[]): boolean {
  const deciding = trackers.filter((tracker) => !tracker.metric.dryRun);
  return deciding.length > 0 && deciding.every((tracker) => tracker.done);
}

function newTracker(metric: PreparedMetric): Tracker {
  return {
    metric,
    taken: 0,
    done: false,
    result: {
      name: metric.name,
      kind: metric.kind,
      method: metric.kind === "comparison" ? metric.method : undefined,
      phase: "Inconclusive",
      weight: metric.weight,
      group: metric.group,
      critical: metric.critical,
      dryRun: metric.dryRun,
      counts: { successful: 0, failed: 0, inconclusive: 0, error: 0 },
      consecutiveErrors: 0,
      consecutiveSuccesses: 0,
      message: "not measured",
      measurements: [],
    },
  };
}

/**
 * Runs the analysis and returns every measurement, each metric's phase, the score and the verdict.
 * Metrics are measured concurrently within a round; rounds start `interval` apart.
 */
export async function runAnalysis(
  metrics: readonly PreparedMetric[],
  settings: AnalysisSettings,
  deps: AnalysisDependencies,
): Promise<AnalysisResult> {
  const clock = deps.clock ?? realClock;
  const startedAt = new Date(clock.now());
  const trackers = metrics.map(newTracker);
  if (settings.initialDelayMs > 0) await clock.sleep(settings.initialDelayMs);
  const { rounds, stoppedEarly } = await runRounds(trackers, settings, deps, clock);
  closeUnfinished(trackers, stoppedEarly);
  const results = trackers.map((tracker) => tracker.result);
  const score = scoreMetrics(results, settings.groupWeights);
  const decision = decide(
    trackers.map((tracker) => deciding(tracker, settings)),
    score,
    settings,
  );
  return {
    verdict: decision.verdict,
    decision,
    score,
    metrics: results,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(clock.now()).toISOString(),
    rounds,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}

/**
 * Measures every unfinished metric once a round, rounds `interval` apart, until all are done or
 * the verdict is settled early either way.
 */
async function runRounds(
  trackers: readonly Tracker[],
  settings: AnalysisSettings,
  deps: AnalysisDependencies,
  clock: Clock,
): Promise<{ rounds: number; stoppedEarly?: string }> {
  const firstAt = new Date(clock.now());
  let round = 0;
  for (;;) {
    const active = trackers.filter((tracker) => !tracker.done);
    if (active.length === 0) return { rounds: round };
    round += 1;
    const roundStart = clock.now();
    const at = new Date(roundStart);
    const measurements = await Promise.all(
      active.map((tracker) => deps.measure(tracker.metric, round, at, firstAt)),
    );
    measurements.forEach((measurement, index) => {
      const tracker = active[index];
      if (tracker) record(tracker, measurement, settings);
      deps.log?.(progressLine(measurement, settings.count));
    });
    const settled = settledAgainst(trackers);
    if (settled) return { rounds: round, stoppedEarly: `stopped after round ${round}: ${settled}` };
    if (decided(trackers) && trackers.some((tracker) => !tracker.done)) {
      return {
        rounds: round,
        stoppedEarly: `finished after round ${round}: every deciding metric is done`,
      };
    }
    if (trackers.some((tracker) => !tracker.done))
      await clock.sleep(roundStart + settings.intervalMs - clock.now());
  }
}

/**
 * Metrics cut short keep what they showed so far: successes so far count (the early finish is
 * only taken when every deciding metric has proven itself), anything else stays inconclusive.
 */
function closeUnfinished(trackers: readonly Tracker[], stoppedEarly: string | undefined): void {
  for (const tracker of trackers.filter((candidate) => !candidate.done)) {
    const { counts } = tracker.result;
    if (stoppedEarly?.startsWith("finished") && counts.successful > 0)
      finish(
        tracker,
        "Successful",
        "early-finish",
        `${counts.successful} successful measurement(s) before the early finish`,
      );
    else
      finish(
        tracker,
        "Inconclusive",
        "stopped-early",
        `not finished: the analysis ${stoppedEarly ?? "ended"}`,
      );
  }
}
