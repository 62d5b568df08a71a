// The health-verify report: the JSON output and the job summary a release manager reads.
import { code, details, raw, table, truncate } from "../shared/markdown.js";
import type { AttemptReport, CheckReport } from "./verify.js";

const VERDICT = {
  healthy: "✅ healthy",
  unhealthy: "❌ unhealthy",
  deadline: "⏱️ deadline",
} as const;

function failingCell(check: CheckReport): string {
  if (check.healthy) return "—";
  const last = check.attempts[check.attempts.length - 1];
  if (!last) return check.failure ?? "no attempt";
  if (!last.connected && !last.passed) {
    return `not connected: ${last.error ?? "no answer"}`;
  }
  if (last.version && !last.version.ok) return last.version.reason ?? "wrong version";
  const failed = last.conditions.find((condition) => !condition.success);
  if (!failed) return check.failure ?? "failed";
  const reason = failed.reason ? ` (${failed.reason})` : "";
  return `${failed.condition} — saw ${failed.actual}, expected ${failed.expected}${reason}`;
}

/** One line per condition of an attempt, and one for its version when it had one to check. */
function attemptResults(attempt: AttemptReport): string[] {
  const conditions = attempt.conditions.map(
    (c) => `${c.success ? "✓" : "✗"} ${c.condition} (saw ${truncate(c.actual, 60)})`,
  );
  const version = attempt.version;
  if (!version) return conditions;
  return [
    ...conditions,
    `${version.ok ? "✓" : "✗"} version ${version.seen ?? "?"} (expected ${version.expected})`,
  ];
}

function attemptsTable(check: CheckReport): string {
  return table(
    ["#", "Result", "HTTP", "Time", "Conditions"],
    check.attempts.map((attempt, index) => [
      String(index + 1),
      attempt.passed ? "pass" : "fail",
      attempt.connected ? String(attempt.status) : `not connected: ${attempt.error ?? ""}`,
      `${attempt.responseTimeMs} ms`,
      attemptResults(attempt).join("\n"),
    ]),
    ["right", "left", "left", "right", "left"],
  );
}

/** Markdown for the job summary: one row per check, and the attempts of each in a collapsed section. */
export function renderHealthSummary(checks: readonly CheckReport[], environment?: string): string {
  const healthy = checks.filter((check) => check.healthy).length;
  const subject = environment ? `: ${code(environment)}` : "";
  const heading = `### health-verify${subject} — ${healthy}/${checks.length} checks healthy`;
  const rows = checks.map((check) => [
    raw(code(check.name)),
    VERDICT[check.verdict],
    String(check.attempts.length),
    check.attempts.some((attempt) => attempt.connected)
      ? `${check.latency.p50} / ${check.latency.p95} / ${check.latency.max} ms`
      : "—",
    truncate(failingCell(check), 300),
  ]);
  const overview = table(
    ["Check", "Status", "Attempts", "Latency p50 / p95 / max", "Failing condition"],
    rows,
    ["left", "left", "right", "right", "left"],
  );
  const perCheck = checks.map((check) =>
    details(
      `${check.name}: ${check.attempts.length} attempt(s) in ${check.elapsedMs} ms`,
      attemptsTable(check),
    ),
  );
  return `${[heading, overview, ...perCheck].join("\n\n")}\n`;
}

/** The `report` output: every check with its attempts, condition results and latency. */
export function healthReportJson(checks: readonly CheckReport[]): string {
  return JSON.stringify({ healthy: checks.every((check) => check.healthy), checks });
}
