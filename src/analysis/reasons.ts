// How the decision words a metric's part in it: from the phase, and when the analysis tells, from
// what the metric's measurements showed and the rule that ended it, so a reason never calls a
// metric inconclusive when its measurements passed.

/** The rule of the analysis that ended a metric in its phase. */
export type EndRule =
  /** It took its `count` of measurements. */
  | "count"
  | "failure-limit"
  | "inconclusive-limit"
  | "consecutive-error-limit"
  /** It passed `consecutive-success-limit` times in a row. */
  | "consecutive-success-limit"
  /** Its sequential test rejected: a regression, detected at once. */
  | "sequential-rejection"
  /** A dry-run metric left running when every deciding metric was done. */
  | "early-finish"
  /** Cut short: another metric had settled the verdict against promote. */
  | "stopped-early";

/** What the analysis saw of a metric: its measurements by phase, and the rule that ended it. */
export interface MetricTally {
  ended: EndRule;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  /** Failed measurements that failed by the on-no-data policy, not by their values. */
  failedNoData: number;
  /** The measurements each metric takes, and the limits. */
  count: number;
  failureLimit: number;
  inconclusiveLimit: number;
}

/** What a reason tells of a metric; without a tally, it rests on the phase alone. */
export interface ReasonSubject {
  name: string;
  kind: "threshold" | "comparison";
  /** Comparisons: Mann-Whitney's (the default) or a sequential test's. */
  method?: "mann-whitney" | "sequential";
  phase: "Successful" | "Failed" | "Inconclusive" | "Error";
  critical: boolean;
  tally?: MetricTally;
  /** Why the metric ended in its phase, as the analysis put it. */
  message?: string;
}

/** One thing that keeps the verdict from promote, and why. */
export interface Finding {
  verdict: "inconclusive" | "rollback";
  reason: string;
  /** A consequence of another finding (a metric cut short by it): listed after the others. */
  secondary?: boolean;
}

/** "1 passed, 2 failed, 1 query error": the measurements taken, by phase. */
function tallied(tally: MetricTally): string {
  const parts = [
    tally.successful > 0 ? `${tally.successful} passed` : "",
    tally.failed > 0 ? `${tally.failed} failed` : "",
    tally.inconclusive > 0 ? `${tally.inconclusive} inconclusive` : "",
    tally.error > 0 ? `${tally.error} query error${tally.error === 1 ? "" : "s"}` : "",
  ];
  return parts.filter(Boolean).join(", ");
}

/** Why a failed metric failed: its values, or only its on-no-data policy. */
function failedFinding(metric: ReasonSubject): Finding | undefined {
  const noData = metric.tally !== undefined && metric.tally.failedNoData === metric.tally.failed;
  if (metric.critical) {
    const what = noData ? "had no data (on-no-data: fail)" : "failed";
    return { verdict: "rollback", reason: `critical metric ${metric.name} ${what}` };
  }
  if (metric.method === "sequential") {
    const what = metric.message ? `: ${metric.message}` : "";
    return { verdict: "rollback", reason: `${metric.name} detected a regression${what}` };
  }
  if (metric.kind !== "threshold") return undefined;
  const what = noData ? "had no data (on-no-data: fail)" : "broke its threshold";
  return { verdict: "rollback", reason: `${metric.name} ${what}` };
}

/** Why an inconclusive metric is so, naming the rule: the inconclusive limit, or too few measurements. */
function inconclusiveFinding(metric: ReasonSubject): Finding {
  const { name, tally } = metric;
  if (!tally) return { verdict: "inconclusive", reason: `${name} was inconclusive` };
  const taken = tally.successful + tally.failed + tally.inconclusive;
  if (tally.ended === "inconclusive-limit") {
    const limit = `inconclusive limit ${tally.inconclusiveLimit}`;
    const reason = `${name} was inconclusive in ${tally.inconclusive} of ${taken} measurement(s) (${limit})`;
    return { verdict: "inconclusive", reason };
  }
  if (metric.method === "sequential" && tally.ended === "count")
    return {
      verdict: "inconclusive",
      reason: `${name} is inconclusive: ${metric.message ?? "too little data"}`,
    };
  if (tally.ended === "count" && tally.successful > 0) {
    // Argo's rule at count: passes, but not the consecutive success limit in a row.
    const reason = `${name} is inconclusive: ${metric.message ?? "its consecutive success limit was not reached"}`;
    return { verdict: "inconclusive", reason };
  }
  if (tally.ended === "count") {
    const within = tally.failed > 0 ? `, within the failure limit ${tally.failureLimit}` : "";
    const reason = `${name} passed none of its ${taken} measurement(s) (${tallied(tally)}${within})`;
    return { verdict: "inconclusive", reason };
  }
  return {
    verdict: "inconclusive",
    reason:
      `${name} has too few measurements to judge: ${taken} of ${tally.count} taken ` +
      `(${tallied(tally) || "none"}) before the analysis stopped`,
    secondary: true,
  };
}

/** The metric's finding for the decision; undefined when it passed or acts through the score. */
export function metricFinding(metric: ReasonSubject): Finding | undefined {
  if (metric.phase === "Failed") return failedFinding(metric);
  if (metric.phase === "Inconclusive") return inconclusiveFinding(metric);
  if (metric.phase === "Error")
    return { verdict: "inconclusive", reason: `${metric.name} could not be measured` };
  return undefined;
}
