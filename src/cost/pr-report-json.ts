// The pull request report as JSON (the `report` output): money as exact decimal strings.
import { ciTotalsJson, type CiCost } from "./ci-cost.js";
import type { EnvironmentComparison } from "./compare.js";
import { plainDecimal } from "./money.js";
import type { PullRequestReport } from "./pr-report.js";
import type { PricedLine } from "./pricing.js";
import { recommendationJson } from "./recommendations.js";

function lineJson(item: PricedLine | undefined) {
  if (!item) return null;
  return {
    type: item.type,
    quantity: item.quantityText,
    unitPrice: plainDecimal(item.unitPrice),
    unit: item.unit,
    monthly: plainDecimal(item.monthly),
    ...(item.entry?.source ? { source: item.entry.source } : {}),
    ...(item.entry?.verified === undefined ? {} : { verified: item.entry.verified }),
  };
}

function environmentJson(environment: EnvironmentComparison) {
  const budget = environment.budget;
  return {
    name: environment.name,
    production: environment.production,
    currency: environment.currency,
    monthlyBefore: plainDecimal(environment.beforeTotal),
    monthlyAfter: plainDecimal(environment.afterTotal),
    delta: plainDecimal(environment.delta),
    percent: environment.percent ?? null,
    changes: environment.changes.map((change) => ({
      resource: change.key,
      change: change.change,
      details: change.details,
      before: lineJson(change.before),
      after: lineJson(change.after),
      delta: plainDecimal(change.delta),
    })),
    unpriced: environment.unpriced.map(({ kind, name, type, reason }) => ({
      kind,
      name,
      type,
      reason,
    })),
    unpricedChanges: environment.unpricedChanges.map((change) => ({
      resource: change.key,
      change: change.change,
      type: (change.after ?? change.before)!.type,
      details: change.details,
      reason: (change.after ?? change.before)!.reason,
    })),
    budget: budget
      ? {
          monthly: plainDecimal(budget.budget.monthly),
          warnPercent: budget.budget.warnPercent,
          failPercent: budget.budget.failPercent,
          usedPercentAfter: budget.after.usedPercent,
          status: budget.after.status,
          broken: budget.broken,
        }
      : null,
  };
}

function ciJson(ci: CiCost) {
  return {
    ...ciTotalsJson(ci),
    rateCards: ci.rateCards,
    jobs: ci.priced.map((job) => ({
      id: job.job.id,
      name: job.job.name,
      labels: job.job.labels,
      minutes: job.minutes,
      sku: job.sku,
      cost: plainDecimal(job.cost),
      ...(job.source ? { source: job.source } : {}),
      ...(job.verified === undefined ? {} : { verified: job.verified }),
    })),
    unpriced: ci.unpriced.map((job) => ({
      id: job.job.id,
      name: job.job.name,
      labels: job.job.labels,
      minutes: job.minutes,
      reason: job.reason,
    })),
  };
}

/** Money in JSON: plain decimal strings, exact. */
export function pullRequestReportJson(report: PullRequestReport): unknown {
  return {
    mode: "pr",
    currency: report.currency,
    totalMonthlyBefore: plainDecimal(report.totalBefore),
    totalMonthlyAfter: plainDecimal(report.totalAfter),
    totalMonthlyDelta: plainDecimal(report.totalDelta),
    notes: report.notes,
    environments: report.environments.map(environmentJson),
    recommendations: report.recommendations.map(recommendationJson),
    ci: report.ci ? ciJson(report.ci) : null,
  };
}
