// Verifying a set of checks: attempts judged by their conditions and the expected version, run
// concurrently under probe semantics. The HTTP request is injected, so this runs without a network.
import semver from "semver";
import { parseJsonBody, resolveBodyPath } from "../shared/json-path.js";
import type { HealthCheck } from "./checks.js";
import type { ConditionResult, ResponseSnapshot } from "./conditions.js";
import { evaluateCondition } from "./evaluate.js";
import type { HttpProbeRequest } from "./http-probe.js";
import { mapWithConcurrency, realClock, runProbe, type Clock, type ProbeVerdict } from "./probe.js";

export interface VersionResult {
  expected: string;
  seen?: string;
  ok: boolean;
  reason?: string;
}

export interface AttemptReport {
  connected: boolean;
  status: number;
  responseTimeMs: number;
  error?: string;
  conditions: ConditionResult[];
  version?: VersionResult;
  passed: boolean;
}

export interface CheckReport {
  name: string;
  url: string;
  healthy: boolean;
  verdict: ProbeVerdict;
  attempts: AttemptReport[];
  latency: { p50: number; p95: number; max: number };
  elapsedMs: number;
  /** Why the check failed, in one line, when it did. */
  failure?: string;
}

export interface VerifyOptions {
  concurrency: number;
  expectVersion?: string;
  insecure: boolean;
  ca?: string;
  request: (probe: HttpProbeRequest) => Promise<ResponseSnapshot>;
  clock?: Clock;
  /** Progress lines (one per attempt), for the log. */
  progress?: (check: HealthCheck, line: string) => void;
}

const normalize = (version: string): string => semver.clean(version) ?? version.replace(/^v/, "");

/** Whether `seen` is the `expected` version (semver equality when both are semver, text otherwise). */
export function sameVersion(seen: string, expected: string): boolean {
  const a = normalize(seen);
  const b = normalize(expected);
  return semver.valid(a) && semver.valid(b) ? semver.eq(a, b) : a === b;
}

/**
 * The version a response reports: the check's `version-path`, else `[BODY].version` when the body
 * has one. Undefined when the check exposes no version (nothing to verify).
 */
export function checkVersion(
  check: HealthCheck,
  snapshot: ResponseSnapshot,
  expected: string,
): VersionResult | undefined {
  if (!snapshot.connected) return undefined;
  const body = parseJsonBody(snapshot.body);
  const path = check.versionPath ?? "version";
  if (!body.ok) {
    return check.versionPath
      ? { expected, ok: false, reason: `cannot read ${path}: ${body.reason}` }
      : undefined;
  }
  const found = resolveBodyPath(body.value, path);
  if (!found.found)
    return check.versionPath
      ? { expected, ok: false, reason: `cannot read ${path}: ${found.reason}` }
      : undefined;
  const seen =
    typeof found.value === "string" || typeof found.value === "number"
      ? String(found.value)
      : JSON.stringify(found.value);
  const ok = sameVersion(seen, expected);
  return {
    expected,
    seen,
    ok,
    ...(ok ? {} : { reason: `still serving ${seen}, expected ${expected}` }),
  };
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

function describeFailure(
  verdict: ProbeVerdict,
  attempts: readonly AttemptReport[],
  check: HealthCheck,
): string | undefined {
  if (verdict === "healthy") return undefined;
  const last = attempts[attempts.length - 1];
  const cause = !last
    ? "no attempt could start before the deadline"
    : !last.connected && !last.passed
      ? `not connected: ${last.error ?? "no answer"}`
      : last.version && !last.version.ok
        ? last.version.reason
        : (() => {
            const failed = last.conditions.find((condition) => !condition.success);
            return failed
              ? `${failed.condition}: saw ${failed.actual}${failed.reason ? ` (${failed.reason})` : ""}`
              : "failed";
          })();
  const limit =
    verdict === "deadline"
      ? `deadline of ${check.probe.deadlineMs}ms reached after ${attempts.length} attempt(s)`
      : `${check.probe.failureThreshold} consecutive failure(s)`;
  return `${limit}; last: ${cause}`;
}

/** Verifies every check, at most `concurrency` at once; results keep the checks' order. */
export function verifyChecks(
  checks: readonly HealthCheck[],
  options: VerifyOptions,
): Promise<CheckReport[]> {
  const clock = options.clock ?? realClock;
  return mapWithConcurrency(checks, options.concurrency, async (check) => {
    const result = await runProbe<AttemptReport>(
      check.probe,
      async (remainingMs) => {
        const snapshot = await options.request({
          url: check.url,
          method: check.method,
          headers: check.headers,
          ...(check.body === undefined ? {} : { body: check.body }),
          timeoutMs: Math.max(1, Math.min(check.timeoutMs, remainingMs)),
          insecure: options.insecure,
          ...(options.ca ? { ca: options.ca } : {}),
        });
        const conditions = check.conditions.map((condition) =>
          evaluateCondition(condition, snapshot),
        );
        const version = options.expectVersion
          ? checkVersion(check, snapshot, options.expectVersion)
          : undefined;
        // Not connected fails every condition but those testing [CONNECTED] (conditions.ts), so a
        // refused connection passes only where a check asks for `[CONNECTED] == false` on purpose.
        const passed = conditions.every((condition) => condition.success) && (version?.ok ?? true);
        const detail: AttemptReport = {
          connected: snapshot.connected,
          status: snapshot.status,
          responseTimeMs: snapshot.responseTimeMs,
          ...(snapshot.error ? { error: snapshot.error } : {}),
          conditions,
          ...(version ? { version } : {}),
          passed,
        };
        return { passed, detail };
      },
      clock,
      (outcome, index, streak) => {
        const a = outcome.detail;
        const state = a.connected
          ? `HTTP ${a.status} in ${a.responseTimeMs}ms`
          : `not connected (${a.error ?? "unknown error"})`;
        options.progress?.(
          check,
          `attempt ${index}: ${outcome.passed ? "pass" : "fail"}, ${state} ` +
            `(${streak.passes}/${check.probe.successThreshold} passes, ` +
            `${streak.failures}/${check.probe.failureThreshold} failures in a row)`,
        );
      },
    );
    const attempts = result.attempts.map((attempt) => attempt.detail);
    const times = attempts
      .filter((attempt) => attempt.connected)
      .map((attempt) => attempt.responseTimeMs)
      .sort((a, b) => a - b);
    const failure = describeFailure(result.verdict, attempts, check);
    return {
      name: check.name,
      url: check.url,
      healthy: result.verdict === "healthy",
      verdict: result.verdict,
      attempts,
      latency: {
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        max: times[times.length - 1] ?? 0,
      },
      elapsedMs: Math.round(result.elapsedMs),
      ...(failure ? { failure } : {}),
    };
  });
}
