// From metric phases to a score and a verdict. The score is Kayenta's weighted-group sum; the
// verdict adds Argo's rule that a failed threshold is a hard limit, and the fail-safe rule that a
// metric that could not be judged never lets a canary through.
import { metricFinding, type Finding, type MetricTally } from "./reasons.js";
import type { AnalysisSettings } from "./settings.js";

export type MetricPhase = "Successful" | "Failed" | "Inconclusive" | "Error";
export type Verdict = "promote" | "inconclusive" | "rollback";

/** What scoring needs to know about each metric at the end of the analysis. */
export interface ScoredMetric {
  name: string;
  kind: "threshold" | "comparison";
  /** Comparisons: Mann-Whitney's (the default) or a sequential test's. */
  method?: "mann-whitney" | "sequential";
  phase: MetricPhase;
  weight: number;
  group: string;
  critical: boolean;
  dryRun: boolean;
}

export interface GroupScore {
  name: string;
  /** 0-100: the weighted share of its judged metrics that passed; null when none was judged. */
  score: number | null;
  /** The group's share of the summary score, 0-100. */
  weight: number;
  passed: string[];
  failed: string[];
  unjudged: string[];
}

export interface ScoreResult {
  /** 0-100, or null when no deciding metric could be judged. */
  score: number | null;
  groups: GroupScore[];
  criticalFailures: string[];
}

/**
 * Kayenta's weighted sum: within a group, the weighted share of judged metrics that passed; across
 * groups, the group scores weighted by `groups` (those without a weight share what is left of 100
 * equally). Groups without judged metrics drop out and the others' weights are renormalised, so
 * that missing data neither helps nor hurts (it makes the verdict inconclusive instead). A failed
 * critical metric forces 0. Dry-run metrics never count.
 */
export function scoreMetrics(
  metrics: readonly ScoredMetric[],
  groupWeights: Readonly<Record<string, number>> = {},
): ScoreResult {
  const deciding = metrics.filter((metric) => !metric.dryRun);
  const names = [...new Set(deciding.map((metric) => metric.group))];
  const configured = names.filter((name) => groupWeights[name] !== undefined);
  const configuredSum = configured.reduce((total, name) => total + (groupWeights[name] ?? 0), 0);
  const unweighted = names.length - configured.length;
  const share = unweighted > 0 ? Math.max(0, 100 - configuredSum) / unweighted : 0;

  const groups: GroupScore[] = names.map((name) => {
    const members = deciding.filter((metric) => metric.group === name);
    const passed = members.filter((metric) => metric.phase === "Successful");
    const failed = members.filter((metric) => metric.phase === "Failed");
    const judgedWeight = [...passed, ...failed].reduce((total, metric) => total + metric.weight, 0);
    const passedWeight = passed.reduce((total, metric) => total + metric.weight, 0);
    return {
      name,
      score: judgedWeight > 0 ? (100 * passedWeight) / judgedWeight : null,
      weight: groupWeights[name] ?? share,
      passed: passed.map((metric) => metric.name),
      failed: failed.map((metric) => metric.name),
      unjudged: members
        .filter((metric) => metric.phase !== "Successful" && metric.phase !== "Failed")
        .map((metric) => metric.name),
    };
  });
  const criticalFailures = deciding
    .filter((metric) => metric.critical && metric.phase === "Failed")
    .map((metric) => metric.name);
  const judged = groups.filter((group) => group.score !== null);
  const totalWeight = judged.reduce((total, group) => total + group.weight, 0);
  let score: number | null = null;
  if (judged.length > 0) {
    score =
      totalWeight > 0
        ? judged.reduce((total, group) => total + (group.score ?? 0) * group.weight, 0) /
          totalWeight
        : // Every judged group has weight 0: fall back to an unweighted mean rather than divide by zero.
          judged.reduce((total, group) => total + (group.score ?? 0), 0) / judged.length;
  }
  if (criticalFailures.length > 0) score = 0;
  return { score: score === null ? null : Math.round(score * 100) / 100, groups, criticalFailures };
}

/** A metric as the decision sees it: with a tally, its reason tells what was measured. */
export interface DecidingMetric extends ScoredMetric {
  tally?: MetricTally;
}

export interface Decision {
  verdict: Verdict;
  /** Why, most important first; the first is the summary's headline. */
  reasons: string[];
}

const RANK: Readonly<Record<Verdict, number>> = { promote: 0, inconclusive: 1, rollback: 2 };

/**
 * The verdict is the worst of:
 * - a failed threshold metric (a hard limit, as in Argo Rollouts), a sequential metric whose test
 *   rejected (a regression detected with its false-detection probability bounded) or a failed
 *   critical metric: rollback;
 * - the score band: below `marginal-score` rollback, below `pass-score` inconclusive;
 * - any deciding metric inconclusive or in error, or no metric judged at all: inconclusive.
 * Failed Mann-Whitney comparisons that are not critical act through the score (as in Kayenta).
 */
export function decide(
  metrics: readonly DecidingMetric[],
  scored: ScoreResult,
  settings: Pick<AnalysisSettings, "passScore" | "marginalScore">,
): Decision {
  const deciding = metrics.filter((metric) => !metric.dryRun);
  const findings: Finding[] = deciding.flatMap((metric) => metricFinding(metric) ?? []);
  if (scored.score === null) {
    findings.push({
      verdict: "inconclusive",
      reason:
        deciding.length === 0
          ? "no deciding metrics (all are dry-run)"
          : "no metric could be judged",
    });
  } else if (scored.criticalFailures.length === 0) {
    if (scored.score < settings.marginalScore)
      findings.push({
        verdict: "rollback",
        reason: `score ${scored.score} is below the marginal score ${settings.marginalScore}`,
      });
    else if (scored.score < settings.passScore)
      findings.push({
        verdict: "inconclusive",
        reason: `score ${scored.score} is marginal (below the pass score ${settings.passScore})`,
      });
  }
  if (findings.length === 0) {
    const failed = deciding
      .filter((metric) => metric.phase === "Failed")
      .map((metric) => metric.name);
    const headline =
      failed.length === 0
        ? `every deciding metric passed; score ${scored.score} (pass ${settings.passScore})`
        : `score ${scored.score} reaches the pass score ${settings.passScore} although ${failed.join(", ")} failed`;
    return { verdict: "promote", reasons: [headline] };
  }
  // Worst first; a metric cut short by another's finding comes after the findings of its verdict.
  findings.sort(
    (a, b) => RANK[b.verdict] - RANK[a.verdict] || Number(!!a.secondary) - Number(!!b.secondary),
  );
  const verdict = findings[0]?.verdict ?? "inconclusive";
  return { verdict, reasons: findings.map((finding) => finding.reason) };
}
