// The canary-gate report: the JSON output (every measurement) and the job summary a release
// manager approves on: one sentence, a table, and a chart of each metric over the analysis.
import { code, details, raw, table, truncate } from "../shared/markdown.js";
import type { AnalysisResult, MetricResult } from "./analysis.js";
import type { PreparedMetric } from "./definitions.js";
import type { AnalysisSettings } from "./settings.js";
import { redactUserinfo } from "./endpoint.js";
import type { Measurement } from "./measure.js";
import type { SequentialDetail } from "./sequential-measure.js";
import { formatDuration } from "../shared/duration.js";

const VERDICT_TITLE = {
  promote: "✅ promote",
  inconclusive: "⚠️ inconclusive",
  rollback: "❌ roll back",
} as const;
const PHASE = {
  Successful: "✅ passed",
  Failed: "❌ failed",
  Inconclusive: "⚠️ inconclusive",
  Error: "🛑 error",
} as const;

export interface ReportContext {
  environment?: string;
  canary?: string;
  baseline?: string;
}

const show = (value: number | null | undefined): string => {
  if (value === null || value === undefined) return "—";
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
};

/** The verdict in one sentence, naming what decided it. */
export function verdictSentence(result: AnalysisResult): string {
  const [first, ...rest] = result.decision.reasons;
  const also = rest.length > 0 ? ` Also: ${rest.join("; ")}.` : "";
  const rounds = `${result.rounds} round(s)${result.stoppedEarly ? `, ${result.stoppedEarly}` : ""}`;
  const verb = {
    promote: "Promote",
    inconclusive: "Inconclusive, do not promote",
    rollback: "Roll back",
  }[result.verdict];
  return `${verb}: ${first ?? "no reason recorded"} (score ${result.score.score ?? "n/a"}, ${rounds}).${also}`;
}

function checkCell(metric: PreparedMetric): string {
  if (metric.kind === "threshold") {
    const vector =
      metric.element !== undefined
        ? ` on ${typeof metric.element === "number" ? `element ${metric.element}` : JSON.stringify(metric.element)}`
        : metric.aggregate === "all"
          ? ""
          : ` (${metric.aggregate})`;
    return `${metric.threshold.text}${vector}`;
  }
  if (metric.method === "sequential") {
    const { judge } = metric;
    const tolerance =
      judge.kind === "rate" && judge.tolerance > 0 ? `, tolerance ${judge.tolerance}` : "";
    return (
      `sequential ${judge.kind}: canary vs baseline, ${judge.direction}${tolerance}; ` +
      `alpha ${judge.alpha}, min-events ${judge.minEvents}`
    );
  }
  const limits = metric.judge.effectSize
    ? `, effect size ${JSON.stringify(metric.judge.effectSize)}`
    : "";
  return `canary vs baseline: ${metric.judge.direction}${limits}`;
}

function valuesCell(result: MetricResult): string {
  const measured = result.measurements.filter((measurement) => measurement.phase !== "Error");
  if (result.kind === "threshold") {
    const seen = measured.map(
      (measurement) => (measurement.values ?? []).map(show).join("/") || "no data",
    );
    return seen.length > 0 ? truncate(seen.join(", "), 200) : "—";
  }
  const lastSequential = measured[measured.length - 1]?.sequential;
  if (lastSequential) return sequentialCell(lastSequential);
  const last = measured[measured.length - 1]?.comparison;
  if (!last) return "—";
  const shift =
    last.estimate !== undefined
      ? `; shift ${show(last.estimate)} [${show(last.lower)}, ${show(last.upper)}]`
      : "";
  return (
    `canary median ${show(last.canary.median)} (n=${last.canary.n}) ` +
    `vs baseline ${show(last.baseline.median)} (n=${last.baseline.n})${shift}; ` +
    `ratio ${show(last.effectSize)}`
  );
}

/** A sequential test's running estimate, its anytime-valid interval and the evidence so far. */
export function sequentialCell(detail: SequentialDetail): string {
  const interval = `[${show(detail.lower)}, ${show(detail.upper)}]`;
  const evidence = `e-value ${show(detail.eValue)} (rejects at ${show(detail.threshold)})`;
  const resets =
    detail.resets.canary + detail.resets.baseline > 0
      ? `; counter resets: canary ${detail.resets.canary}, baseline ${detail.resets.baseline}`
      : "";
  if (detail.kind === "rate") {
    const rate = (side: "canary" | "baseline") => {
      const exposure = detail.exposure?.[side] ?? 0;
      return exposure > 0 ? `${show((100 * detail.events[side]) / exposure)}%` : "no traffic";
    };
    return (
      `canary ${rate("canary")} vs baseline ${rate("baseline")} ` +
      `(${show(detail.events.canary)} + ${show(detail.events.baseline)} events); ` +
      `ratio ${show(detail.estimate)} ${interval}; ${evidence}${resets}`
    );
  }
  const quantiles = (detail.quantiles ?? [])
    .map((one) => {
      const change =
        one.change === null ? "" : ` (${one.change >= 0 ? "+" : ""}${show(100 * one.change)}%)`;
      return `p${show(100 * one.q)} ${show(one.canary)} vs ${show(one.baseline)}${change}`;
    })
    .join(", ");
  const bound =
    detail.le !== undefined
      ? `; above ${show(detail.le)}: ratio ${show(detail.estimate)} ${interval}`
      : "";
  return (
    `${show(detail.events.canary)} vs ${show(detail.events.baseline)} observations; ` +
    `${quantiles || "no quantiles yet"}${bound}; ${evidence}${resets}`
  );
}

function resultCell(result: MetricResult): string {
  const { successful, failed, inconclusive, error } = result.counts;
  const counts =
    `${successful}✓ ${failed}✗` +
    (inconclusive ? ` ${inconclusive}?` : "") +
    (error ? ` ${error}⚠` : "");
  const role = result.dryRun ? " (dry run)" : result.critical ? " (critical)" : "";
  return `${PHASE[result.phase]}${role} ${counts}: ${truncate(result.message, 200)}`;
}

const mermaidLabel = (text: string): string => text.replace(/["\\]/g, "'");

/** A Mermaid xychart of a metric over the rounds; undefined when there is nothing finite to draw. */
export function metricChart(metric: PreparedMetric, result: MetricResult): string | undefined {
  const measured = result.measurements.filter((measurement) => measurement.phase !== "Error");
  const series: number[][] = [];
  let labels: string[];
  const time = (measurement: Measurement) => measurement.at.slice(11, 19);
  if (metric.kind === "threshold") {
    const rows = measured.filter(
      (measurement) =>
        (measurement.values ?? []).length > 0 && (measurement.values ?? []).every(Number.isFinite),
    );
    const width = Math.min(
      5,
      Math.max(0, ...rows.map((measurement) => measurement.values?.length ?? 0)),
    );
    labels = rows.map(time);
    for (let element = 0; element < width; element++)
      series.push(rows.map((measurement) => measurement.values?.[element] ?? Number.NaN));
    const limit =
      metric.threshold.clauses.length === 1 ? metric.threshold.clauses[0]?.value : undefined;
    if (limit !== undefined && rows.length > 0) series.push(rows.map(() => limit));
  } else if (metric.method === "sequential") {
    const rows = measured.filter(
      (measurement) =>
        measurement.sequential?.estimate != null &&
        Number.isFinite(measurement.sequential.lower ?? Number.NaN) &&
        Number.isFinite(measurement.sequential.upper ?? Number.NaN),
    );
    labels = rows.map(time);
    series.push(rows.map((measurement) => measurement.sequential?.estimate ?? Number.NaN));
    series.push(rows.map((measurement) => measurement.sequential?.lower ?? Number.NaN));
    series.push(rows.map((measurement) => measurement.sequential?.upper ?? Number.NaN));
  } else {
    const rows = measured.filter(
      (measurement) =>
        measurement.comparison?.canary.median != null &&
        measurement.comparison.baseline.median != null,
    );
    labels = rows.map(time);
    series.push(rows.map((measurement) => measurement.comparison?.canary.median ?? Number.NaN));
    series.push(rows.map((measurement) => measurement.comparison?.baseline.median ?? Number.NaN));
  }
  if (labels.length === 0 || series.some((line) => line.some((value) => !Number.isFinite(value))))
    return undefined;
  const legend =
    metric.kind === "threshold"
      ? "value per round; flat line: the threshold"
      : metric.method === "sequential"
        ? "canary/baseline ratio per round, then its anytime-valid bounds"
        : "median per round: canary, then baseline";
  return [
    "```mermaid",
    "xychart-beta",
    `    title "${mermaidLabel(metric.name)} (${legend})"`,
    `    x-axis [${labels.map((label) => `"${label}"`).join(", ")}]`,
    ...series.map(
      (line) =>
        `    line [${line.map((value) => String(Number(value.toPrecision(6)))).join(", ")}]`,
    ),
    "```",
  ].join("\n");
}

function measurementValuesCell(measurement: Measurement): string {
  if (measurement.values) return measurement.values.map(show).join(", ") || "none";
  if (measurement.sequential) return sequentialCell(measurement.sequential);
  const comparison = measurement.comparison;
  if (!comparison) return "—";
  return `${comparison.label}: canary n=${comparison.canary.n}, baseline n=${comparison.baseline.n}`;
}

function measurementsTable(result: MetricResult): string {
  return table(
    ["Round", "Time", "Phase", "Values", "Why", "Query ms"],
    result.measurements.map((measurement) => [
      String(measurement.round),
      measurement.at.slice(11, 23),
      measurement.phase,
      measurementValuesCell(measurement),
      truncate(measurement.reason, 300),
      String(Math.round(measurement.queryMs)),
    ]),
    ["right", "left", "left", "left", "left", "right"],
  );
}

function queriesBlock(metric: PreparedMetric): string {
  const queries =
    metric.kind === "threshold"
      ? [["query", metric.query]]
      : [
          ["canary", metric.queries.canary],
          ["baseline", metric.queries.baseline],
        ];
  return queries
    .map(
      ([label, query]) =>
        `${label} (${metric.source.provider}):\n\n\`\`\`\n${redactUserinfo(query ?? "")}\n\`\`\``,
    )
    .join("\n\n");
}

/** The settings the analysis ran with, in one sentence. */
function settingsLine(settings: AnalysisSettings): string {
  const delay = settings.initialDelayMs ? ` after ${formatDuration(settings.initialDelayMs)}` : "";
  return (
    `Every ${formatDuration(settings.intervalMs)}, ${settings.count} measurement(s) per metric${delay}; ` +
    `failure limit ${settings.failureLimit}, inconclusive limit ${settings.inconclusiveLimit}, ` +
    `consecutive error limit ${settings.consecutiveErrorLimit}` +
    (settings.consecutiveSuccessLimit > 0
      ? `, consecutive success limit ${settings.consecutiveSuccessLimit}`
      : "") +
    "; " +
    `pass score ${settings.passScore}, marginal ${settings.marginalScore}.`
  );
}

/** Markdown for the job summary. */
export function renderGateSummary(
  result: AnalysisResult,
  metrics: readonly PreparedMetric[],
  settings: AnalysisSettings,
  context: ReportContext,
): string {
  const subject = [
    context.environment ? `${code(context.environment)}` : undefined,
    context.canary ? `canary ${code(context.canary)}` : undefined,
    context.baseline ? `baseline ${code(context.baseline)}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  const heading = `### canary-gate${subject ? `: ${subject}` : ""} — ${VERDICT_TITLE[result.verdict]}`;
  const byName = new Map(metrics.map((metric) => [metric.name, metric]));
  const rows = result.metrics.map((metricResult) => {
    const metric = byName.get(metricResult.name);
    return [
      raw(code(metricResult.name)),
      metric ? checkCell(metric) : "",
      valuesCell(metricResult),
      resultCell(metricResult),
    ];
  });
  const overview = table(["Metric", "Threshold or comparison", "Values seen", "Result"], rows);
  const groups = table(
    ["Group", "Weight", "Score", "Passed", "Failed", "Not judged"],
    result.score.groups.map((group) => [
      group.name,
      show(group.weight),
      show(group.score),
      group.passed.join(", ") || "—",
      group.failed.join(", ") || "—",
      group.unjudged.join(", ") || "—",
    ]),
    ["left", "right", "right", "left", "left", "left"],
  );
  const charts = result.metrics.flatMap((metricResult) => {
    const metric = byName.get(metricResult.name);
    const chart = metric ? metricChart(metric, metricResult) : undefined;
    return chart ? [chart] : [];
  });
  const perMetric = result.metrics.map((metricResult) => {
    const metric = byName.get(metricResult.name);
    return details(
      `${metricResult.name}: ${metricResult.measurements.length} measurement(s)`,
      `${metric ? `${queriesBlock(metric)}\n\n` : ""}${measurementsTable(metricResult)}`,
    );
  });
  const sections = [
    heading,
    `**${verdictSentence(result)}**`,
    overview,
    `Score ${result.score.score ?? "n/a"} by group:`,
    groups,
    settingsLine(settings),
    ...charts,
    ...perMetric,
  ];
  return `${sections.join("\n\n")}\n`;
}

/** JSON with NaN and infinities spelled out (JSON has no such numbers; null would hide them). */
function numbersAsWritten(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value))
    return Number.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
  return value;
}

/** The `report` output: the verdict, the score by group, each metric's phase and every measurement. */
export function gateReportJson(
  result: AnalysisResult,
  settings: AnalysisSettings,
  context: ReportContext,
): string {
  return JSON.stringify(
    {
      ...context,
      verdict: result.verdict,
      score: result.score.score,
      reasons: result.decision.reasons,
      groups: result.score.groups,
      criticalFailures: result.score.criticalFailures,
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      rounds: result.rounds,
      ...(result.stoppedEarly ? { stoppedEarly: result.stoppedEarly } : {}),
      settings: {
        ...settings,
        ...(settings.address !== undefined ? { address: redactUserinfo(settings.address) } : {}),
      },
      metrics: result.metrics,
    },
    numbersAsWritten,
  );
}
