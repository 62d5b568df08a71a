// The DORA report as a job summary (tables and Mermaid charts), as JSON, and as one
// self-contained HTML page whose charts are inline SVG (no script, no CDN, CSP default-src 'none').
import { code, table } from "../shared/markdown.js";
import type { EnvironmentMetrics } from "./metrics.js";
import { barChart, escapeXml } from "./svg.js";

export interface DeliveryReport {
  repository: string;
  window: { text: string; start: string; end: string };
  environments: EnvironmentMetrics[];
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

export function renderSummary(report: DeliveryReport): string {
  const rows = report.environments.map((metrics) => [
    metrics.environment,
    `${formatFrequency(metrics.deploymentsPerDay)} (${metrics.successful} of ${metrics.deployments})`,
    `${formatHours(metrics.leadTimeHours)} (${metrics.leadTimeSamples} commits)`,
    `${formatRate(metrics.changeFailureRate)} (${metrics.failed} of ${metrics.deployments})`,
    `${formatHours(metrics.timeToRestoreHours)}${metrics.unrestored > 0 ? ` (${metrics.unrestored} not restored)` : ""}`,
  ]);
  const charts = report.environments
    .filter((metrics) => metrics.deployments > 0)
    .map((metrics) =>
      [
        "```mermaid",
        "xychart-beta",
        `  title "${mermaidText(`${metrics.environment}: deployments per week (successful + failed)`)}"`,
        `  x-axis [${metrics.weeks.map((week) => `"${weekLabel(week.start)}"`).join(", ")}]`,
        `  y-axis "deployments"`,
        `  bar [${metrics.weeks.map((week) => week.successful + week.failed).join(", ")}]`,
        `  bar [${metrics.weeks.map((week) => week.failed).join(", ")}]`,
        "```",
      ].join("\n"),
    );
  return (
    [
      `### Delivery report: ${code(report.repository)}, last ${report.window.text}`,
      `${report.window.start.slice(0, 10)} to ${report.window.end.slice(0, 10)}. Lead time and time to restore are medians.`,
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
    ].join("\n\n") + "\n"
  );
}

function tile(label: string, value: string, detail: string): string {
  return `<div class="tile"><div class="label">${escapeXml(label)}</div><div class="value">${escapeXml(value)}</div><div class="detail">${escapeXml(detail)}</div></div>`;
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
      `median of ${metrics.restoreSamples}${metrics.unrestored > 0 ? `, ${metrics.unrestored} not restored` : ""}`,
    ),
    "</div>",
    `<div class="charts">${weeks}${lead}</div>`,
    "</section>",
  ].join("\n");
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#24292f;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;font-size:13px}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.tile{border:1px solid #d0d7de;border-radius:6px;padding:12px}
.label{font-size:12px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}
.value{font-size:24px;font-weight:600;margin:4px 0}
.detail{font-size:12px;color:#57606a}
.charts{display:flex;flex-wrap:wrap;gap:16px;margin-top:12px}
svg.chart{border:1px solid #d0d7de;border-radius:6px;background:#fff}`;

/** One HTML file with everything inline; a strict CSP forbids any request it might make. */
export function renderHtml(report: DeliveryReport): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Delivery report: ${escapeXml(report.repository)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>Delivery report: ${escapeXml(report.repository)}</h1>`,
    `<p class="meta">DORA metrics over the last ${escapeXml(report.window.text)} (${escapeXml(report.window.start.slice(0, 10))} to ${escapeXml(report.window.end.slice(0, 10))}), from GitHub deployments and commits. Lead time and time to restore are medians.</p>`,
    ...report.environments.map(environmentSection),
    "</body></html>",
    "",
  ].join("\n");
}
