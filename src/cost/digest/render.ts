// The digest as markdown (job summary, issue), JSON (output) and a short text (Slack, Teams).
import { alert, code, details, raw, table } from "../../shared/markdown.js";
import {
  formatDelta,
  formatMoney,
  formatPercent,
  plainDecimal,
  roundPreservingTotal,
  type Amount,
} from "../money.js";
import type { BudgetStanding } from "../budget.js";
import { ciTotalsJson, type CiCost } from "../ci-cost.js";
import { recommendationJson } from "../recommendations.js";
import type { Anomaly, AnomalyMethod } from "./anomalies.js";
import { dayText, periodText } from "./period.js";
import type { Breakdown, DigestReport, Forecast } from "./report.js";

const TOP = 10;

/** Rows for a breakdown table: the top entries and one "others" row, rounded so they sum to the total. */
function breakdownRows(
  report: DigestReport,
  items: readonly Breakdown[],
  label: (item: Breakdown) => string,
): (string | ReturnType<typeof raw>)[][] {
  const shown = items.slice(0, TOP);
  const rest = items.slice(TOP);
  const sum = (list: readonly Breakdown[], pick: (item: Breakdown) => Amount): Amount =>
    list.reduce((total, item) => total + pick(item), 0n);
  const rows: { name: string; billed: Amount; effective: Amount; previous: Amount }[] = shown.map(
    (item) => ({
      name: label(item),
      billed: item.current.billed,
      effective: item.current.effective,
      previous: item.previous.billed,
    }),
  );
  if (rest.length > 0) {
    rows.push({
      name: `${rest.length} others`,
      billed: sum(rest, (item) => item.current.billed),
      effective: sum(rest, (item) => item.current.effective),
      previous: sum(rest, (item) => item.previous.billed),
    });
  }
  const billed = roundPreservingTotal(rows.map((row) => row.billed));
  const effective = roundPreservingTotal(rows.map((row) => row.effective));
  const money = (amount: Amount): string => formatMoney(amount, report.currency);
  const body = rows.map((row, index) => [
    row.name,
    money(billed[index]!),
    money(effective[index]!),
    report.previousHasData ? formatDelta(row.billed - row.previous, report.currency) : "n/a",
  ]);
  body.push([
    "**Total**",
    `**${money(billed.reduce((a, b) => a + b, 0n))}**`,
    `**${money(effective.reduce((a, b) => a + b, 0n))}**`,
    report.previousHasData
      ? `**${formatDelta(report.total.billed - report.previousTotal.billed, report.currency)}**`
      : "n/a",
  ]);
  return body.map((cells) => cells.map((cell) => (cell.startsWith("**") ? raw(cell) : cell)));
}

export function digestTitle(report: DigestReport): string {
  return `Cost digest ${report.period.label} (${periodText(report.period)})`;
}

export function digestHeadline(report: DigestReport): string {
  const money = (amount: Amount): string => formatMoney(amount, report.currency);
  const change = report.previousHasData
    ? `${formatDelta(report.total.billed - report.previousTotal.billed, report.currency)} ` +
      `(${formatPercent(report.percent)}) against ${periodText(report.previous)}`
    : `no data for the previous period (${periodText(report.previous)}) to compare with`;
  return (
    `${periodText(report.period)}: **${money(report.total.billed)} billed**, ` +
    `${money(report.total.effective)} effective; ${change}.`
  );
}

export function renderDigest(report: DigestReport): string {
  return [
    `### 📊 ${digestTitle(report)}`,
    digestHeadline(report),
    ...alerts(report),
    `#### By environment (tag ${code(report.tagKey)})`,
    breakdownTable(report, "Environment", report.environments, (item) => item.name),
    ...budgetSection(report),
    "#### By service",
    breakdownTable(report, "Service", report.services, (item) => item.name),
    "#### By sub-account",
    breakdownTable(report, "Sub-account", report.subAccounts, (item) =>
      item.label ? `${item.label} (${item.name})` : item.name,
    ),
    ...moversSection(report),
    ...recommendationsSection(report),
    ...(report.ci ? [ciSentence(report.ci)] : []),
    dailySeries(report),
    anomalyNote(report.anomalyMethod),
    readingNote(report),
  ].join("\n\n");
}

/** Environments over budget (or forecast to be) and anomalous days, called out above the tables. */
function alerts(report: DigestReport): string[] {
  const found: string[] = [];
  const overBudget = report.environments.filter(
    (environment) =>
      environment.budget &&
      (environment.budget.standing.status === "over" ||
        environment.budget.forecastStanding?.status === "over"),
  );
  if (overBudget.length > 0) {
    const names = overBudget.map((environment) => environment.name).join(", ");
    found.push(alert("CAUTION", `Over budget (or forecast to be): ${names}.`));
  }
  if (report.anomalies.length > 0) {
    const days = report.anomalies.map((anomaly) => describeAnomaly(anomaly, report.currency));
    found.push(alert("WARNING", `Anomalous day(s): ${days.join("; ")}.`));
  }
  return found;
}

function describeAnomaly(anomaly: Anomaly, currency: string): string {
  // Anomalies are judged on float dollars; shown as money they are taken to the cent.
  const money = (value: number): string =>
    formatMoney(BigInt(Math.round(value * 100)) * 10n ** 10n, currency);
  const score = Number.isFinite(anomaly.score) ? anomaly.score.toFixed(1) : "∞";
  return (
    `${dayText(anomaly.day)} ${anomaly.direction} to ${money(anomaly.value)} ` +
    `(baseline median ${money(anomaly.median)}, score ${score})`
  );
}

function breakdownTable(
  report: DigestReport,
  heading: string,
  items: readonly Breakdown[],
  label: (item: Breakdown) => string,
): string {
  return table(
    [heading, "Billed", "Effective", "Change (billed)"],
    breakdownRows(report, items, label),
    ["left", "right", "right", "right"],
  );
}

/** Budget burn and the month-end forecast, for the environments that have either. */
function budgetSection(report: DigestReport): string[] {
  const withBudget = report.environments.filter((environment) => environment.budget);
  if (withBudget.length === 0 && !report.forecast) return [];
  const money = (amount: Amount): string => formatMoney(amount, report.currency);
  const listed = report.environments.filter(
    (environment) => environment.budget || environment.forecast !== undefined,
  );
  // Rounded together, like the tables above: a complete month's forecast shows its billed figures.
  const forecasts = roundPreservingTotal(listed.map((environment) => environment.forecast ?? 0n));
  const rows = listed.map((environment, index) => [
    environment.name,
    environment.budget ? money(environment.budget.periodBudget) : "–",
    environment.budget ? burn(environment.budget.standing) : "–",
    environment.forecast !== undefined ? money(forecasts[index]!) : "–",
    environment.budget?.forecastStanding ? burn(environment.budget.forecastStanding) : "–",
  ]);
  const section = [
    "#### Budget burn and month-end forecast",
    table(
      [
        "Environment",
        "Budget for the period",
        "Burn",
        "Month-end forecast",
        "Forecast vs monthly budget",
      ],
      rows,
      ["left", "right", "right", "right", "right"],
    ),
  ];
  if (report.forecast) section.push(forecastNote(report.forecast));
  return section;
}

const burn = (standing: BudgetStanding): string =>
  `${standing.usedPercent.toFixed(1)}% (${standing.status})`;

function forecastNote(forecast: Forecast): string {
  const complete = forecast.complete ? " (complete month: the forecast is the actual)" : "";
  return (
    `<sub>Forecast: ${forecast.method}; ` +
    `${forecast.elapsedDays} of ${forecast.periodDays} days have data${complete}. ` +
    "Budgets are compared with billed cost.</sub>"
  );
}

function moversSection(report: DigestReport): string[] {
  if (report.movers.length === 0) return [];
  const money = (amount: Amount): string => formatMoney(amount, report.currency);
  return [
    "#### Top movers",
    table(
      ["Service", "Previous", "Current", "Change"],
      report.movers.map((mover) => [
        mover.name,
        money(mover.previous.billed),
        money(mover.current.billed),
        `${formatDelta(mover.delta, report.currency)} (${formatPercent(mover.percent)})`,
      ]),
      ["left", "right", "right", "right"],
    ),
  ];
}

function recommendationsSection(report: DigestReport): string[] {
  if (report.recommendations.length === 0) return [];
  return [
    "#### Recommendations",
    table(
      ["Environment", "Advice", "Est. saving / month"],
      report.recommendations.map((recommendation) => [
        recommendation.environment,
        recommendation.message,
        formatMoney(recommendation.monthlySaving, report.currency),
      ]),
      ["left", "left", "right"],
    ),
  ];
}

function ciSentence(ci: CiCost): string {
  const jobs = ci.priced.length + ci.unpriced.length;
  const unpriced =
    ci.unpriced.length > 0
      ? ` (${ci.unpriced.length} job(s) unpriced: map their runner labels in the rates input)`
      : "";
  return (
    `GitHub Actions in the period: ${ci.runs} run(s), ${jobs} job(s), ` +
    `${ci.minutes} billable minute(s), ${formatMoney(ci.total, ci.currency, 3)}${unpriced}.`
  );
}

function dailySeries(report: DigestReport): string {
  const money = (amount: Amount): string => formatMoney(amount, report.currency);
  return details(
    "Daily series",
    table(
      ["Day", "Billed", "Effective"],
      report.daily.map((day) => [
        dayText(day.day),
        day.hasData ? money(day.billed) : "no data",
        day.hasData ? money(day.effective) : "–",
      ]),
      ["left", "right", "right"],
    ),
  );
}

function anomalyNote(method: AnomalyMethod): string {
  return (
    "<sub>Anomalies: modified z-score (Iglewicz–Hoaglin, 0.6745 × (x − median) / MAD) " +
    `of each day's billed cost against the up to ${method.baselineDays} days with data before it, ` +
    `judged once at least ${method.minimumBaseline} such days exist; ` +
    `|z| > ${method.threshold} is an anomaly.</sub>`
  );
}

/** What was read, what fell outside the window and what could not be used, in small print. */
function readingNote(report: DigestReport): string {
  const files = report.files.map((file) => code(file.file)).join(", ");
  const missing = [...new Set(report.files.flatMap((file) => file.missingOptional))];
  const notExported =
    missing.length > 0 ? ` Column(s) not in the export: ${missing.join(", ")}.` : "";
  return (
    `<sub>Read ${report.rows.toLocaleString("en-US")} row(s) from ${files}; ` +
    `${report.outsideWindow.toLocaleString("en-US")} outside the period, the previous one ` +
    `and the anomaly baseline. ${unusableRows(report.problems)}${notExported}</sub>`
  );
}

function unusableRows(problems: DigestReport["problems"]): string {
  if (problems.length === 0) return "Every row was usable.";
  const rows = problems.reduce((sum, problem) => sum + problem.count, 0);
  const reasons = problems.map(
    (problem) =>
      `${problem.reason} (${problem.count}; first at record ${problem.records.join(", ")})`,
  );
  return `${rows} row(s) could not be used: ${reasons.join("; ")}.`;
}

/** The few lines a chat channel gets. */
export function digestText(report: DigestReport, link?: string): string {
  const money = (amount: Amount): string => formatMoney(amount, report.currency);
  const change = report.previousHasData ? ` (${formatPercent(report.percent)} vs previous)` : "";
  const lines = [`${digestTitle(report)}: ${money(report.total.billed)} billed${change}.`];
  const top = report.environments
    .slice(0, 3)
    .map((environment) => `${environment.name} ${money(environment.current.billed)}`);
  if (top.length > 0) lines.push(`Top environments: ${top.join(", ")}.`);
  if (report.anomalies.length > 0) {
    const days = report.anomalies.map((anomaly) => dayText(anomaly.day));
    lines.push(`${report.anomalies.length} anomalous day(s): ${days.join(", ")}.`);
  }
  const saving = report.recommendations.reduce(
    (sum, recommendation) => sum + recommendation.monthlySaving,
    0n,
  );
  if (saving > 0n)
    lines.push(`${report.recommendations.length} recommendation(s), about ${money(saving)}/month.`);
  if (link) lines.push(link);
  return lines.join("\n");
}

const anomalyJson = (anomaly: Anomaly) => ({
  ...anomaly,
  day: dayText(anomaly.day),
  score: Number.isFinite(anomaly.score) ? anomaly.score : String(anomaly.score),
});

export function digestJson(report: DigestReport): unknown {
  const totals = (item: { billed: Amount; effective: Amount }) => ({
    billed: plainDecimal(item.billed),
    effective: plainDecimal(item.effective),
  });
  const row = (item: Breakdown) => ({
    name: item.name,
    ...(item.label !== undefined ? { label: item.label } : {}),
    ...totals(item.current),
    previous: totals(item.previous),
    delta: plainDecimal(item.delta),
    percent: item.percent ?? null,
  });
  return {
    mode: "digest",
    period: {
      from: dayText(report.period.start),
      to: dayText(report.period.end - 1),
      label: report.period.label,
    },
    previous: {
      from: dayText(report.previous.start),
      to: dayText(report.previous.end - 1),
      hasData: report.previousHasData,
    },
    currency: report.currency,
    tagKey: report.tagKey,
    rows: report.rows,
    unusableRows: report.problems,
    total: totals(report.total),
    previousTotal: totals(report.previousTotal),
    percent: report.percent ?? null,
    environments: report.environments.map((environment) => ({
      ...row(environment),
      production: environment.production,
      forecast: environment.forecast === undefined ? null : plainDecimal(environment.forecast),
      budget: environment.budget
        ? {
            monthly: plainDecimal(environment.budget.budget.monthly),
            periodBudget: plainDecimal(environment.budget.periodBudget),
            usedPercent: environment.budget.standing.usedPercent,
            status: environment.budget.standing.status,
            forecastStatus: environment.budget.forecastStanding?.status ?? null,
          }
        : null,
      anomalies: environment.anomalies.map(anomalyJson),
    })),
    services: report.services.map(row),
    subAccounts: report.subAccounts.map(row),
    movers: report.movers.map(row),
    daily: report.daily.map((day) => ({
      day: dayText(day.day),
      ...totals(day),
      hasData: day.hasData,
    })),
    anomalies: report.anomalies.map(anomalyJson),
    anomalyMethod: { name: "modified z-score (median, MAD)", ...report.anomalyMethod },
    forecast: report.forecast
      ? { ...report.forecast, billed: plainDecimal(report.forecast.billed) }
      : null,
    recommendations: report.recommendations.map(recommendationJson),
    ci: report.ci
      ? {
          ...ciTotalsJson(report.ci),
          unpricedJobs: report.ci.unpriced.length,
        }
      : null,
  };
}
