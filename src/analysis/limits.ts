// Argo Rollouts' rules for when a metric of an AnalysisRun is done and in which phase, as its
// analysis controller applies them after every measurement (assessMetricStatus and
// assessMetricFailureInconclusiveOrError in analysis/analysis.go), with shipgate's one deviation
// named where it applies. Pure: counts in, a phase (or still running) out.
import type { EndRule } from "./reasons.js";

export interface Limits {
  /** Measurements a metric takes (Argo's count; shipgate always has one). */
  count: number;
  /** Failed measurements tolerated; -1 turns the limit off (then consecutive-success-limit decides). */
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  /** Successes in a row that finish the metric as Successful; 0 turns it off. */
  consecutiveSuccessLimit: number;
}

/** A metric's measurements so far: `taken` counts every one but errors (Argo's Count). */
export interface Tally {
  taken: number;
  successful: number;
  failed: number;
  inconclusive: number;
  consecutiveErrors: number;
  consecutiveSuccesses: number;
}

export interface Assessment {
  phase: "Successful" | "Failed" | "Inconclusive" | "Error";
  rule: EndRule;
  message: string;
}

/**
 * The phase the metric ends in after its latest measurement, or undefined while it runs on.
 * Argo's order: the failure, inconclusive and consecutive-error limits (a later one wins when two
 * are passed), then the consecutive-success limit, then `count`. At `count`, with both the failure
 * and the consecutive-success limits on, a success limit not reached is Inconclusive; with only the
 * success limit on, Failed; with only the failure limit on, Successful, except that shipgate asks
 * for at least one successful measurement (Argo would pass a metric of inconclusive ones).
 */
export function assessMetric(limits: Limits, tally: Tally): Assessment | undefined {
  const limitPassed = passedLimit(limits, tally);
  if (limitPassed) return limitPassed;
  const successOn = limits.consecutiveSuccessLimit > 0;
  const failureOn = limits.failureLimit >= 0;
  if (successOn && tally.consecutiveSuccesses >= limits.consecutiveSuccessLimit)
    return {
      phase: "Successful",
      rule: "consecutive-success-limit",
      message:
        `passed ${tally.consecutiveSuccesses} time(s) in a row ` +
        `(consecutive success limit ${limits.consecutiveSuccessLimit})`,
    };
  if (tally.taken < limits.count) return undefined;
  const notReached =
    `the consecutive success limit ${limits.consecutiveSuccessLimit} was not reached in ` +
    `${tally.taken} measurement(s) (longest final run ${tally.consecutiveSuccesses})`;
  if (successOn && failureOn)
    return {
      phase: "Inconclusive",
      rule: "count",
      message: `${notReached}, nor the failure limit`,
    };
  if (successOn) return { phase: "Failed", rule: "count", message: notReached };
  if (tally.successful === 0)
    return {
      phase: "Inconclusive",
      rule: "count",
      message: `no successful measurement in ${tally.taken}`,
    };
  return {
    phase: "Successful",
    rule: "count",
    message: `${tally.successful} of ${tally.taken} measurement(s) successful`,
  };
}

/** The failure, inconclusive and consecutive-error limits, checked in Argo's order. */
function passedLimit(limits: Limits, tally: Tally): Assessment | undefined {
  let passed: Assessment | undefined;
  if (limits.failureLimit >= 0 && tally.failed > limits.failureLimit)
    passed = {
      phase: "Failed",
      rule: "failure-limit",
      message: `failed ${tally.failed} time(s) (failure limit ${limits.failureLimit})`,
    };
  if (tally.inconclusive > limits.inconclusiveLimit)
    passed = {
      phase: "Inconclusive",
      rule: "inconclusive-limit",
      message: `inconclusive ${tally.inconclusive} time(s) (inconclusive limit ${limits.inconclusiveLimit})`,
    };
  if (tally.consecutiveErrors > limits.consecutiveErrorLimit)
    passed = {
      phase: "Error",
      rule: "consecutive-error-limit",
      message: `${tally.consecutiveErrors} consecutive query errors (limit ${limits.consecutiveErrorLimit})`,
    };
  return passed;
}

/**
 * Argo's validation of the limits (ValidateMetric in utils/analysis/factory.go): the failure and
 * consecutive-success limits cannot both be off, and `count` must leave room for them.
 */
export function limitsProblem(limits: Limits): string | undefined {
  const { count, failureLimit, consecutiveSuccessLimit, inconclusiveLimit } = limits;
  if (failureLimit === -1 && consecutiveSuccessLimit === 0)
    return "failure-limit -1 and consecutive-success-limit 0 turn both limits off: keep one";
  if (failureLimit >= 0 && count < failureLimit + consecutiveSuccessLimit)
    return (
      `count (${count}) must be at least failure-limit + consecutive-success-limit ` +
      `(${failureLimit} + ${consecutiveSuccessLimit})`
    );
  if (failureLimit < 0 && count < consecutiveSuccessLimit)
    return `count (${count}) must be at least consecutive-success-limit (${consecutiveSuccessLimit})`;
  if (count < inconclusiveLimit)
    return `count (${count}) must be at least inconclusive-limit (${inconclusiveLimit})`;
  return undefined;
}
