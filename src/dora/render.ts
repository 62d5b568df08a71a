// The DORA report: its shape (the JSON output), the job summary, and a self-contained HTML page.
// The page's charts are inline SVG: no script, no CDN, and a CSP of default-src 'none'.
import { code, table } from "../shared/markdown.js";
import type { DrillRecord } from "./drills.js";
import type { EnvironmentMetrics } from "./metrics.js";
import { barChart, escapeXml } from "./svg.js";

export interface DeliveryReport {
  repository: string;
  window: { text: string; start: string; end: string };
  environments: EnvironmentMetrics[];
  /** Recovery drills in the window (never counted in the DORA keys); none when absent. */
  drills?: DrillRecord[];
}

export function formatHours(hours: number | null): string {
  if (hours === null) return "—";
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${Number(hours.toFixed(1))} h`;
  return `${Number((hours / 24).toFixed(1))} d`;
}

export const formatRate = (rate: number | null): string =>
  rate === null ? "—" : `${Number((rate * 100).toFixed(1))}%`;

export function formatFrequency(perDay: number): string {
  if (perDay >= 1) return `${Number(perDay.toFixed(2))} per day`;
  if (perDay * 7 >= 1) return `${Number((perDay * 7).toFixed(2))} per week`;
  return `${Number((perDay * 30).toFixed(2))} per month`;
}

const weekLabel = (iso: string): string => iso.slice(5, 10);
const mermaidText = (text: string): string => text.replace(/["\\]/g, "'");
const day = (iso: string): string => iso.slice(0, 10);

const MEDIANS = "Lead time and time to restore are medians.";

/** The failures never restored, which the median time to restore leaves out; empty when none. */
const unrestoredNote = (metrics: EnvironmentMetrics, before: string, after = ""): string =>
  metrics.unrestored > 0 ? `${before}${metrics.unrestored} not restored${after}` : "";

export function renderSummary(report: DeliveryReport): string {
  const rows = report.environments.map((metrics) => [
    metrics.environment,
    `${formatFrequency(metrics.deploymentsPerDay)} (${metrics.successful} of ${metrics.deployments})`,
    `${formatHours(metrics.leadTimeHours)} (${metrics.leadTimeSamples} commits)`,
    `${formatRate(metrics.changeFailureRate)} (${metrics.failed} of ${metrics.deployments})`,
    `${formatHours(metrics.timeToRestoreHours)}${unrestoredNote(metrics, " (", ")")}`,
  ]);
  const charts = report.environments
    .filter((metrics) => metrics.deployments > 0)
    .map(weeklyMermaidChart);
  return (
    [
      `### Delivery report: ${code(report.repository)}, last ${report.window.text}`,
      `${day(report.window.start)} to ${day(report.window.end)}. ${MEDIANS}`,
      table(
        [
          "Environment",
          "Deployment frequency",
          "Lead time for changes",
          "Change failure rate",
          "Time to restore",
        ],
        rows,
      ),
      ...charts,
      ...drillsSummary(report.drills ?? []),
    ].join("\n\n") + "\n"
  );
}

/** `12 s`, `4 min 5 s`, `1 h 2 min`: a drill's times at the precision they are measured. */
export function formatSeconds(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min${whole % 60 ? ` ${whole % 60} s` : ""}`;
  const minutes = Math.round((whole % 3600) / 60);
  return `${Math.floor(whole / 3600)} h${minutes ? ` ${minutes} min` : ""}`;
}

/** One drill as table cells: when, where, kind, time to restore vs RTO, backup age vs RPO, result. */
function drillCells(drill: DrillRecord): string[] {
  const restored =
    drill.recoverySeconds === null ? "not restored" : formatSeconds(drill.recoverySeconds);
  const objective = drill.rpoSeconds !== undefined ? formatSeconds(drill.rpoSeconds) : "—";
  const rpo =
    drill.backupAgeSeconds !== undefined
      ? `${formatSeconds(drill.backupAgeSeconds)} / ${objective}`
      : "—";
  return [
    drill.createdAt.slice(0, 16).replace("T", " "),
    drill.environment,
    drill.kind,
    `${restored} / ${formatSeconds(drill.rtoSeconds)}${drill.withinRto ? "" : " (over)"}`,
    `${rpo}${drill.withinRpo === false ? " (over)" : ""}`,
    drill.passed ? "passed" : "failed",
  ];
}

const DRILL_HEADERS = [
  "When (UTC)",
  "Environment",
  "Drill",
  "Time to restore / RTO",
  "Backup age / RPO",
  "Result",
];

export function drillsSummary(drills: readonly DrillRecord[]): string[] {
  if (drills.length === 0) return [];
  const passed = drills.filter((drill) => drill.passed).length;
  return [
    "#### Recovery drills",
    `${passed} of ${drills.length} passed. Drills are not counted in the figures above.`,
    table(DRILL_HEADERS, drills.map(drillCells)),
  ];
}

/** The drills as an HTML table with each time against its objective; empty when none. */
export function drillsSection(drills: readonly DrillRecord[]): string {
  if (drills.length === 0) return "";
  const passed = drills.filter((drill) => drill.passed).length;
  const rows = drills.map((drill) => {
    const cells = drillCells(drill).map((cell) => `<td>${escapeXml(cell)}</td>`);
    return `<tr class="${drill.passed ? "ok" : "bad"}">${cells.join("")}</tr>`;
  });
  return [
    '<section class="drills"><h2>Recovery drills</h2>',
    `<p class="meta">${passed} of ${drills.length} passed; drills are not counted in the DORA figures.</p>`,
    `<table><thead><tr>${DRILL_HEADERS.map((name) => `<th>${escapeXml(name)}</th>`).join("")}</tr></thead>`,
    `<tbody>${rows.join("")}</tbody></table>`,
    "</section>",
  ].join("\n");
}

/** Deployments per week as a Mermaid bar chart: all of them, and the failed ones over them. */
function weeklyMermaidChart(metrics: EnvironmentMetrics): string {
  const title = `${metrics.environment}: deployments per week (successful + failed)`;
  return [
    "```mermaid",
    "xychart-beta",
    `  title "${mermaidText(title)}"`,
    `  x-axis [${metrics.weeks.map((week) => `"${weekLabel(week.start)}"`).join(", ")}]`,
    `  y-axis "deployments"`,
    `  bar [${metrics.weeks.map((week) => week.successful + week.failed).join(", ")}]`,
    `  bar [${metrics.weeks.map((week) => week.failed).join(", ")}]`,
    "```",
  ].join("\n");
}

const div = (className: string, content: string): string =>
  `<div class="${className}">${content}</div>`;

function tile(label: string, value: string, detail: string): string {
  return div(
    "tile",
    div("label", escapeXml(label)) +
      div("value", escapeXml(value)) +
      div("detail", escapeXml(detail)),
  );
}

function environmentSection(metrics: EnvironmentMetrics): string {
  const weeks = barChart({
    title: "Deployments per week",
    labels: metrics.weeks.map((week) => weekLabel(week.start)),
    series: [
      {
        name: "successful",
        color: "#2da44e",
        values: metrics.weeks.map((week) => week.successful),
      },
      {
        name: "failed or rolled back",
        color: "#cf222e",
        values: metrics.weeks.map((week) => week.failed),
      },
    ],
  });
  const lead = barChart({
    title: "Lead time per deployment (median, hours)",
    labels: metrics.leadTimes.map((item) => item.version ?? `#${item.id}`),
    series: [
      {
        name: "lead time",
        color: "#0969da",
        values: metrics.leadTimes.map((item) => Number(item.hours.toFixed(2))),
      },
    ],
    unit: "h",
  });
  return [
    `<section class="environment"><h2>${escapeXml(metrics.environment)}</h2>`,
    '<div class="tiles">',
    tile(
      "Deployment frequency",
      formatFrequency(metrics.deploymentsPerDay),
      `${metrics.successful} successful of ${metrics.deployments}`,
    ),
    tile(
      "Lead time for changes",
      formatHours(metrics.leadTimeHours),
      `median of ${metrics.leadTimeSamples} commits`,
    ),
    tile(
      "Change failure rate",
      formatRate(metrics.changeFailureRate),
      `${metrics.failed} failed or rolled back`,
    ),
    tile(
      "Time to restore",
      formatHours(metrics.timeToRestoreHours),
      `median of ${metrics.restoreSamples}${unrestoredNote(metrics, ", ")}`,
    ),
    "</div>",
    `<div class="charts">${weeks}${lead}</div>`,
    "</section>",
  ].join("\n");
}

const STYLE = [
  "",
  'body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;' +
    "margin:24px;color:#24292f;background:#fff}",
  "h1{font-size:22px;margin:0 0 4px}" +
    "h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}",
  ".meta{color:#57606a;font-size:13px}",
  ".tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}",
  ".tile{border:1px solid #d0d7de;border-radius:6px;padding:12px}",
  ".label{font-size:12px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}",
  ".value{font-size:24px;font-weight:600;margin:4px 0}",
  ".detail{font-size:12px;color:#57606a}",
  ".charts{display:flex;flex-wrap:wrap;gap:16px;margin-top:12px}",
  "svg.chart{border:1px solid #d0d7de;border-radius:6px;background:#fff}",
  "table{border-collapse:collapse;font-size:13px;width:100%;margin-top:8px}",
  "th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}",
  "th{background:#f6f8fa}",
  "tr.bad td:last-child{color:#cf222e;font-weight:600}tr.ok td:last-child{color:#1a7f37}",
  ".flag{display:inline-block;background:#ffebe9;color:#cf222e;border:1px solid #ff8182;" +
    "border-radius:10px;padding:0 6px;margin:1px 2px;font-size:12px}",
  ".clean{color:#1a7f37;font-weight:600}",
  ".muted{color:#57606a}",
].join("\n");

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/**
 * One HTML file with everything inline; a strict CSP forbids any request it might make. `first`
 * are sections (already escaped HTML) shown before the DORA figures, e.g. the audit's.
 */
export function renderHtml(report: DeliveryReport, first: readonly string[] = []): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Delivery report: ${escapeXml(report.repository)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>Delivery report: ${escapeXml(report.repository)}</h1>`,
    `<p class="meta">${escapeXml(windowSentence(report))}</p>`,
    ...first,
    ...report.environments.map(environmentSection),
    drillsSection(report.drills ?? []),
    "</body></html>",
    "",
  ].join("\n");
}

function windowSentence({ window }: DeliveryReport): string {
  return (
    `DORA metrics over the last ${window.text} (${day(window.start)} to ${day(window.end)}), ` +
    `from GitHub deployments and commits. ${MEDIANS}`
  );
}
