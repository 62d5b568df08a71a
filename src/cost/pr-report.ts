// The pull request report: headline, a table per environment, budgets, advice, CI minutes, as markdown.
import { alert, code, details, escapeCell, raw, table } from "../shared/markdown.js";
import type { CiCost } from "./ci-cost.js";
import type { EnvironmentComparison, UnpricedChange } from "./compare.js";
import {
  absolute,
  formatDelta,
  formatMoney,
  formatPercent,
  percentChange,
  type Amount,
} from "./money.js";
import type { Notice } from "./notice.js";
import type { PricedLine } from "./pricing.js";
import type { Recommendation } from "./recommendations.js";

export interface PullRequestReport {
  currency: string;
  environments: EnvironmentComparison[];
  totalBefore: Amount;
  totalAfter: Amount;
  totalDelta: Amount;
  ci?: CiCost;
  recommendations: Recommendation[];
  /** Where prices came from (catalog files, rate cards), for the footer. */
  pricingSources: string[];
  /** What the reader must know to trust the figures (a base that could not be read). */
  notes: string[];
  /** The workflow run that wrote the report. */
  runUrl?: string;
}

export function buildPullRequestReport(
  environments: EnvironmentComparison[],
  recommendations: Recommendation[],
  ci: CiCost | undefined,
  pricingSources: string[],
  extras: { notes?: string[]; runUrl?: string } = {},
): PullRequestReport {
  const totalBefore = environments.reduce((sum, environment) => sum + environment.beforeTotal, 0n);
  const totalAfter = environments.reduce((sum, environment) => sum + environment.afterTotal, 0n);
  return {
    currency: environments[0]?.currency ?? ci?.currency ?? "USD",
    environments,
    totalBefore,
    totalAfter,
    totalDelta: totalAfter - totalBefore,
    ...(ci ? { ci } : {}),
    recommendations,
    pricingSources,
    notes: extras.notes ?? [],
    ...(extras.runUrl ? { runUrl: extras.runUrl } : {}),
  };
}

const UNVERIFIED = "⚠ unverified";

/** A price linked to its source when that is a URL, flagged when marked `verified: false`. */
function priceCell(text: string, source: string | undefined, verified: unknown) {
  const label = text.replace(/[[\]\\]/g, "\\$&");
  const linked =
    source && /^https?:\/\/\S+$/.test(source)
      ? `[${label}](${source.replace(/\(/g, "%28").replace(/\)/g, "%29")})`
      : escapeCell(text);
  return raw(verified === false ? `${linked} ${UNVERIFIED}` : linked);
}

const lineLabel = (line: { kind: string; name: string }): string => `${line.kind}/${line.name}`;
const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? "" : "s"}`;
/** How many unpriced items the headline names before it says how many more there are. */
const HEADLINE_ITEMS = 5;

function unpricedChanges(report: PullRequestReport) {
  return report.environments.flatMap((environment) =>
    environment.unpricedChanges.map((change) => ({ environment: environment.name, change })),
  );
}

function unpricedWhat(change: UnpricedChange): string {
  const type = (change.after ?? change.before)!.type;
  return `${type}, ${change.details.join(", ") || change.change}`;
}

/** `adds 1 unpriced item, not counted: development `compute/worker` (acme.vm.huge, added)`. */
function unpricedClause(report: PullRequestReport): string | undefined {
  const items = unpricedChanges(report);
  if (items.length === 0) return undefined;
  const kinds = new Set(items.map((item) => item.change.change));
  const verb =
    kinds.size > 1
      ? "changes"
      : kinds.has("added")
        ? "adds"
        : kinds.has("removed")
          ? "removes"
          : "changes";
  const named = items
    .slice(0, HEADLINE_ITEMS)
    .map(
      ({ environment, change }) => `${environment} ${code(change.key)} (${unpricedWhat(change)})`,
    );
  const more = items.length > HEADLINE_ITEMS ? ` and ${items.length - HEADLINE_ITEMS} more` : "";
  return `${verb} ${plural(items.length, "unpriced item")}, not counted: ${named.join(", ")}${more}`;
}

/** A warning annotation for each unpriced item the pull request adds or changes. */
export function unpricedNotices(report: PullRequestReport): Notice[] {
  return unpricedChanges(report).flatMap(({ environment, change }) =>
    change.after
      ? [
          {
            level: "warning" as const,
            message:
              `${environment}: ${change.key} (${change.after.type}) is not priced: ` +
              `${change.after.reason}; its cost is not counted. Add the type to your pricing catalog (input pricing).`,
          },
        ]
      : [],
  );
}

/** The headline sentence: what the pull request does to the monthly bill, in one line. */
export function headline(report: PullRequestReport): string {
  const changed = report.environments.filter((environment) => environment.delta !== 0n);
  const money = (amount: Amount): string => formatDelta(amount, report.currency);
  const unpriced = unpricedClause(report);
  let sentence: string;
  if (report.environments.length === 0) {
    sentence =
      "This pull request has no monthly cost to compare: no environment declares resources or a budget.";
  } else if (changed.length === 0) {
    const count = report.environments.length;
    const environments = count === 1 ? "the environment" : `the ${count} environments`;
    const total = formatMoney(report.totalAfter, report.currency);
    sentence =
      `This pull request does not change the ${unpriced ? "priced " : ""}monthly cost of ` +
      `${environments} (${total} a month in all)${unpriced ? `, but ${unpriced}` : ""}.`;
  } else {
    const direction =
      report.totalDelta > 0n ? "raises" : report.totalDelta < 0n ? "lowers" : "reshuffles";
    const parts = changed
      .map((environment) => `${environment.name} ${money(environment.delta)}`)
      .join(", ");
    const percent = formatPercent(percentChange(report.totalBefore, report.totalAfter));
    // "lowers" carries the sign: it takes the size of the cut ("lowers by $25.81", not "by -$25.81").
    const amount =
      report.totalDelta < 0n
        ? formatMoney(absolute(report.totalDelta), report.currency)
        : money(report.totalDelta);
    const by = direction === "reshuffles" ? "" : ` by **${amount}**`;
    sentence = `This pull request ${direction} the monthly cost${by} (${percent}): ${parts}.`;
    if (unpriced) sentence += ` It also ${unpriced}.`;
  }
  if (report.ci) {
    const { ci } = report;
    const jobs = ci.priced.length + ci.unpriced.length;
    const cost = formatMoney(ci.total, ci.currency, 3);
    sentence += ` Its CI so far: ${jobs} job(s), ${ci.minutes} billable minute(s), ${cost}.`;
  }
  return sentence;
}

function budgetLine(environment: EnvironmentComparison): string | undefined {
  const check = environment.budget;
  if (!check) return undefined;
  const { budget, after } = check;
  const status =
    after.status === "over"
      ? "over budget"
      : after.status === "warn"
        ? "near budget"
        : "within budget";
  const thresholds = `warn at ${budget.warnPercent}%, fail at ${budget.failPercent}%`;
  return (
    `Budget ${formatMoney(budget.monthly, budget.currency)}/month: ` +
    `${after.usedPercent.toFixed(1)}% used after this change (${status}; ${thresholds}).`
  );
}

/** ` · production`, unless the name says so already (`production`, `prod-eu`). */
function productionTag(environment: EnvironmentComparison): string {
  return environment.production && !/\bprod(uction)?\b/i.test(environment.name)
    ? " · production"
    : "";
}

/** Present on both sides with nothing added, removed or changed, and no budget broken. */
function unchanged(environment: EnvironmentComparison): boolean {
  return (
    environment.before !== undefined &&
    environment.after !== undefined &&
    environment.changes.length === 0 &&
    environment.unpricedChanges.length === 0 &&
    !environment.budget?.broken
  );
}

function environmentSection(environment: EnvironmentComparison): string {
  const currency = environment.currency;
  const state = !environment.before ? " (new)" : !environment.after ? " (removed)" : "";
  const rows = environment.changes.map((change) => [
    raw(code(change.key)),
    change.details.join("; ") || change.change,
    change.before ? formatMoney(change.before.monthly, currency) : "–",
    change.after ? formatMoney(change.after.monthly, currency) : "–",
    formatDelta(change.delta, currency),
  ]);
  for (const change of environment.unpricedChanges)
    rows.push([
      raw(code(change.key)),
      `${change.details.join("; ") || change.change} (${(change.after ?? change.before)!.type})`,
      change.before ? "unpriced" : "–",
      change.after ? "unpriced" : "–",
      "not counted",
    ]);
  rows.push([
    raw("**Total**"),
    "",
    raw(`**${formatMoney(environment.beforeTotal, currency)}**`),
    raw(`**${formatMoney(environment.afterTotal, currency)}**`),
    raw(`**${formatDelta(environment.delta, currency)}** (${formatPercent(environment.percent)})`),
  ]);
  const parts = [
    `#### ${environment.name}${state}${productionTag(environment)}`,
    environment.changes.length + environment.unpricedChanges.length === 0
      ? "No priced resource changes."
      : "",
    table(["Resource", "Change", "Before / month", "After / month", "Difference"], rows, [
      "left",
      "left",
      "right",
      "right",
      "right",
    ]),
  ];
  const budget = budgetLine(environment);
  if (budget)
    parts.push(
      environment.budget?.broken
        ? alert("CAUTION", budget)
        : environment.budget?.after.status === "warn"
          ? alert("WARNING", budget)
          : budget,
    );
  if (environment.unpriced.length > 0) {
    const items = environment.unpriced
      .map((item) => `${code(lineLabel(item))} type ${code(item.type)} (${item.reason})`)
      .join("; ");
    parts.push(
      alert(
        "WARNING",
        `Unpriced (not counted, never zero): ${items}. ` +
          "Add the types to your pricing catalog (input `pricing`).",
      ),
    );
  }
  return parts.filter(Boolean).join("\n\n");
}

function lineDetail(line: PricedLine) {
  const schedule = line.schedule
    ? line.schedule.text
    : line.kind === "storage" || line.kind === "custom"
      ? ""
      : "hours given";
  return [
    raw(code(lineLabel(line))),
    raw(code(line.type)),
    line.quantityText,
    priceCell(
      `${formatMoney(line.unitPrice, line.currency, 4)}/${line.unit}`,
      line.entry?.source,
      line.entry?.verified,
    ),
    [schedule, line.note ?? ""].filter(Boolean).join("; "),
    formatMoney(line.monthly, line.currency),
  ];
}

function ciSection(ci: CiCost): string {
  const rows = ci.priced.map((job) => [
    job.job.name,
    job.job.labels.join(", "),
    priceCell(job.sku, job.source, job.verified),
    String(job.minutes),
    formatMoney(job.cost, ci.currency, 3),
  ]);
  for (const job of ci.unpriced)
    rows.push([
      job.job.name,
      job.job.labels.join(", "),
      "unpriced",
      String(job.minutes),
      job.reason,
    ]);
  const running =
    ci.inProgress.length > 0
      ? ` ${ci.inProgress.length} job(s) still running are not counted.`
      : "";
  const body = [
    `${ci.runs} workflow run(s), ${ci.priced.length} priced job(s), ${ci.minutes} billable minute(s) ` +
      `(each job rounded up to a whole minute), ${formatMoney(ci.total, ci.currency, 3)}; ` +
      `rate card(s) in effect from ${ci.rateCards.join(", ") || "–"}.${running}`,
    rows.length > 0
      ? table(["Job", "Runner labels", "SKU", "Minutes", "Cost"], rows, [
          "left",
          "left",
          "left",
          "right",
          "right",
        ])
      : "",
  ];
  return details(
    `CI minutes of this pull request: ${formatMoney(ci.total, ci.currency, 3)}`,
    body.filter(Boolean).join("\n\n"),
  );
}

/** The full markdown report (job summary and comment body, before the marker). */
export function renderPullRequestReport(report: PullRequestReport): string {
  const parts = ["### 💰 Cost report", headline(report)];
  for (const note of report.notes) parts.push(alert("WARNING", note));
  const broken = report.environments.filter((environment) => environment.budget?.broken);
  if (broken.length > 0) {
    const names = broken.map((environment) => environment.name).join(", ");
    parts.push(alert("CAUTION", `This pull request pushes ${names} over budget.`));
  }
  for (const environment of report.environments)
    if (!unchanged(environment)) parts.push(environmentSection(environment));
  const same = report.environments.filter(unchanged);
  if (same.length > 0) {
    const list = same.map(
      (environment) =>
        `${environment.name} (${formatMoney(environment.afterTotal, environment.currency)} a month)`,
    );
    parts.push(`Unchanged: ${list.join(", ")}.`);
  }
  if (report.recommendations.length > 0) {
    parts.push(
      "#### Recommendations",
      table(
        ["Environment", "Resource", "Advice", "Est. saving / month"],
        report.recommendations.map((recommendation) => [
          recommendation.environment,
          raw(code(recommendation.subject)),
          recommendation.message,
          formatMoney(recommendation.monthlySaving, recommendation.currency),
        ]),
        ["left", "left", "left", "right"],
      ),
      "<sub>On what this pull request adds or changes; the scheduled digest (mode: digest) " +
        "advises on the rest.</sub>",
    );
  }
  if (report.ci) parts.push(ciSection(report.ci));
  const lines = report.environments.flatMap((environment) =>
    (environment.after?.lines ?? []).map((line) => [environment.name, ...lineDetail(line)]),
  );
  if (lines.length > 0) {
    parts.push(
      details(
        "Every priced line after this change",
        table(
          [
            "Environment",
            "Resource",
            "Type",
            "Quantity / month",
            "Unit price",
            "Schedule",
            "Monthly",
          ],
          lines,
          ["left", "left", "left", "right", "right", "left", "right"],
        ),
      ),
    );
  }
  const unverified =
    report.environments.some((environment) =>
      (environment.after?.lines ?? []).some((line) => line.entry?.verified === false),
    ) || (report.ci?.priced ?? []).some((job) => job.verified === false);
  parts.push(
    "<sub>Monthly = 730 hours; weekly schedules in UTC scale by 730/168; " +
      "each line rounded to the cent, totals are the sums of the lines. " +
      `Prices: ${report.pricingSources.join("; ")}; each unit price links to its source.` +
      (unverified
        ? ` ${UNVERIFIED}: marked \`verified: false\` in its catalog or rate card, not confirmed ` +
          "on the provider's page; check it before relying on it."
        : "") +
      (report.runUrl ? ` Written by [this workflow run](${report.runUrl}).` : "") +
      "</sub>",
  );
  return parts.join("\n\n");
}
