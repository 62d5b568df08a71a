// The change-evidence report as a job summary and as the audit section of the HTML dashboard.
import { drillsSummary } from "../dora/render.js";
import { escapeXml } from "../dora/svg.js";
import { code, table } from "../shared/markdown.js";
import {
  approvalText,
  checksText,
  pullRequestsText,
  resultText,
  reviewsText,
  rollbackText,
  shortSha,
  triggeredText,
} from "./cells.js";
import type { AuditedDeployment } from "./evidence.js";
import { VIOLATION_TITLES, type AuditReport } from "./report.js";
import { VIOLATIONS } from "./evidence.js";

const day = (iso: string): string => iso.slice(0, 10);
const minute = (iso: string): string => iso.slice(0, 16).replace("T", " ");

function requiredSentence(report: AuditReport): string {
  const { requiredChecks } = report;
  if (requiredChecks.names.length > 0)
    return `Required checks (${requiredChecks.source}): ${requiredChecks.names.join(", ")}.`;
  return `No required checks (${requiredChecks.note ?? "none given"}): any failed check is flagged.`;
}

function headline(report: AuditReport): string {
  const { totals } = report;
  return (
    `${totals.deployments} deployment(s) to ${report.environment} from ${day(report.window.start)} ` +
    `to ${day(report.window.end)}: ${totals.clean} clean, ${totals.withViolations} with violations.`
  );
}

export function renderAuditSummary(report: AuditReport): string {
  const kinds = table(
    ["Violation", "Deployments"],
    VIOLATIONS.map((kind) => [VIOLATION_TITLES[kind], String(report.totals.byKind[kind])]),
    ["left", "right"],
  );
  const rows = report.deployments.map((deployment) => [
    minute(deployment.createdAt),
    deployment.version ?? "—",
    shortSha(deployment.sha),
    `${pullRequestsText(deployment)}${deployment.reviewVerdicts.length ? ` — ${reviewsText(deployment)}` : ""}`,
    triggeredText(deployment),
    approvalText(deployment),
    checksText(deployment),
    [resultText(deployment), rollbackText(deployment)].filter(Boolean).join("; "),
    deployment.violations.length === 0
      ? "✅ none"
      : deployment.violations.map((violation) => `⚠ ${violation.message}`).join("; "),
  ]);
  return (
    [
      `### Change evidence: ${code(report.repository)} ${code(report.environment)}, last ${report.window.text}`,
      `${headline(report)} ${requiredSentence(report)}`,
      kinds,
      report.deployments.length > 0
        ? table(
            [
              "When (UTC)",
              "Version",
              "Commit",
              "Pull requests and reviews",
              "Triggered by",
              "Environment approval",
              "Checks",
              "Result",
              "Violations",
            ],
            rows,
          )
        : "No deployment in the window.",
      ...drillsSummary(report.drills).map((part) =>
        part === "#### Recovery drills" ? "#### Recovery drills (not audited as changes)" : part,
      ),
    ].join("\n\n") + "\n"
  );
}

const link = (url: string, text: string): string =>
  `<a href="${escapeXml(url)}">${escapeXml(text)}</a>`;

function deploymentRow(deployment: AuditedDeployment): string {
  const pulls =
    deployment.pullRequests.length === 0
      ? '<span class="muted">none</span>'
      : deployment.pullRequests
          .map(
            (pull) =>
              `${link(pull.url, `#${pull.number}`)} ${escapeXml(pull.title)} (${escapeXml(pull.author)})`,
          )
          .join("<br>");
  const flags =
    deployment.violations.length === 0
      ? '<span class="clean">clean</span>'
      : deployment.violations
          .map(
            (violation) =>
              `<span class="flag" title="${escapeXml(violation.message)}">` +
              `${escapeXml(VIOLATION_TITLES[violation.kind])}</span>`,
          )
          .join("");
  const cells = [
    escapeXml(minute(deployment.createdAt)),
    `${escapeXml(deployment.version ?? "—")}<br><code>${escapeXml(shortSha(deployment.sha))}</code>`,
    pulls,
    escapeXml(reviewsText(deployment) || "—"),
    escapeXml(triggeredText(deployment)),
    escapeXml(approvalText(deployment)),
    escapeXml(checksText(deployment)),
    escapeXml([resultText(deployment), rollbackText(deployment)].filter(Boolean).join("; ")),
    flags,
  ];
  const kind = deployment.violations.length === 0 ? "ok" : "bad";
  return `<tr class="${kind}">${cells.map((cell) => `<td>${cell}</td>`).join("")}</tr>`;
}

/** The audit section of the dashboard: the counts and one row per deployment with its flags. */
export function renderAuditSection(report: AuditReport): string {
  const { totals } = report;
  const div = (name: string, text: string) => `<div class="${name}">${escapeXml(text)}</div>`;
  const tile = (label: string, value: string, detail: string) =>
    `<div class="tile">${div("label", label)}${div("value", value)}${div("detail", detail)}</div>`;
  const worst = VIOLATIONS.filter((kind) => totals.byKind[kind] > 0)
    .map((kind) => `${VIOLATION_TITLES[kind]}: ${totals.byKind[kind]}`)
    .join(", ");
  const headers = [
    "When (UTC)",
    "Version",
    "Pull requests",
    "Reviews",
    "Triggered by",
    "Environment approval",
    "Checks",
    "Result",
    "Violations",
  ];
  return [
    `<section class="audit" id="audit"><h2>Change evidence: ${escapeXml(report.environment)}</h2>`,
    `<p class="meta">${escapeXml(`${headline(report)} ${requiredSentence(report)}`)}</p>`,
    '<div class="tiles">',
    tile("Deployments", String(totals.deployments), `last ${report.window.text}`),
    tile("Clean", String(totals.clean), "no violation"),
    tile("With violations", String(totals.withViolations), worst || "none"),
    tile(
      "Recovery drills",
      String(report.drills.length),
      `${report.drills.filter((drill) => drill.passed).length} passed`,
    ),
    "</div>",
    `<table><thead><tr>${headers.map((name) => `<th>${escapeXml(name)}</th>`).join("")}</tr></thead>`,
    `<tbody>${report.deployments.map(deploymentRow).join("\n")}</tbody></table>`,
    "</section>",
  ].join("\n");
}
