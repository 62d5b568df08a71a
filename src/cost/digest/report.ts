// The digest's figures, from the ledger: totals, breakdowns, movers, daily series, anomalies,
// budget burn, a month-end forecast and recommendations. Pure: no files, no network.
import { standAgainst, type BudgetStanding, type ResolvedBudget } from "../budget.js";
import type { CiCost } from "../ci-cost.js";
import {
  divideRound,
  multiplyRatio,
  percentChange,
  roundTo,
  toNumber,
  type Amount,
} from "../money.js";
import { commitmentSaving, type Recommendation } from "../recommendations.js";
import {
  DEFAULT_ANOMALY_METHOD,
  detectAnomalies,
  type Anomaly,
  type AnomalyMethod,
} from "./anomalies.js";
import { PERIOD_CURRENT, PERIOD_PREVIOUS, type DigestLedger, type Totals } from "./ledger.js";
import { dayNumber, dayText, type Period } from "./period.js";

export interface Breakdown {
  name: string;
  /** Sub-account ids carry their name here. */
  label?: string;
  current: Totals;
  previous: Totals;
  delta: Amount;
  percent: number | undefined;
}

export interface EnvironmentBudget {
  budget: ResolvedBudget;
  /** The budget for the period: the monthly amount, prorated by days for other periods. */
  periodBudget: Amount;
  standing: BudgetStanding;
  /** Month-end forecast against the monthly budget (month periods only). */
  forecastStanding?: BudgetStanding;
}

export interface EnvironmentDigest extends Breakdown {
  production: boolean;
  forecast?: Amount;
  budget?: EnvironmentBudget;
  anomalies: Anomaly[];
}

export interface Forecast {
  method: string;
  /** Days of the period with data, up to the last one that has any. */
  elapsedDays: number;
  periodDays: number;
  billed: Amount;
  complete: boolean;
}

export interface DigestReport {
  period: Period;
  previous: Period;
  currency: string;
  tagKey: string;
  rows: number;
  used: number;
  outsideWindow: number;
  problems: { reason: string; count: number; records: number[] }[];
  files: { file: string; records: number; missingOptional: string[] }[];
  total: Totals;
  previousTotal: Totals;
  previousHasData: boolean;
  percent: number | undefined;
  environments: EnvironmentDigest[];
  services: Breakdown[];
  subAccounts: Breakdown[];
  movers: Breakdown[];
  daily: { day: number; billed: Amount; effective: Amount; hasData: boolean }[];
  anomalies: Anomaly[];
  anomalyMethod: AnomalyMethod;
  forecast?: Forecast;
  recommendations: Recommendation[];
  ci?: CiCost;
}

export interface DigestContext {
  tagKey: string;
  files: DigestReport["files"];
  budgets: ReadonlyMap<string, ResolvedBudget>;
  /** Environments known to be production (from environment files, or by name). */
  isProduction: (environment: string) => boolean;
  commitmentDiscount: number;
  ci?: CiCost;
  anomalyMethod?: AnomalyMethod;
}

const PRODUCTION_NAME = /^prod(uction)?$/i;
export const productionByName = (environment: string): boolean => PRODUCTION_NAME.test(environment);

function breakdown(name: string, current: Totals, previous: Totals, label?: string): Breakdown {
  return {
    name,
    ...(label !== undefined ? { label } : {}),
    current,
    previous,
    delta: current.billed - previous.billed,
    percent: percentChange(previous.billed, current.billed),
  };
}

const byCurrent = (a: Breakdown, b: Breakdown): number =>
  a.current.billed === b.current.billed
    ? a.name.localeCompare(b.name)
    : a.current.billed > b.current.billed
      ? -1
      : 1;

function daysInMonth(day: number): number {
  const [year, month] = dayText(day).split("-").map(Number) as [number, number];
  return (
    dayNumber(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) -
    dayNumber(year, month, 1)
  );
}

/** A period's cost extended to a month: cost × 730 hours / (24 × days). */
function monthly(amount: Amount, days: number): Amount {
  return roundTo(multiplyRatio(amount, 730n, BigInt(24 * days)));
}

export function buildDigestReport(ledger: DigestLedger, context: DigestContext): DigestReport {
  const { period, previous } = ledger;
  const method = context.anomalyMethod ?? DEFAULT_ANOMALY_METHOD;
  const periodDays = period.end - period.start;
  const sumDays = (days: Totals[]): Totals =>
    days.reduce(
      (sum, day) => ({ billed: sum.billed + day.billed, effective: sum.effective + day.effective }),
      { billed: 0n, effective: 0n },
    );
  const total = sumDays(ledger.dailyTotals(period.start, period.end));
  const previousTotal = sumDays(ledger.dailyTotals(previous.start, previous.end));
  let previousHasData = false;
  for (let day = previous.start; day < previous.end; day++) previousHasData ||= ledger.hasData(day);

  let lastDataDay = -1;
  for (let day = period.start; day < period.end; day++) if (ledger.hasData(day)) lastDataDay = day;
  const elapsedDays = lastDataDay < 0 ? 0 : lastDataDay - period.start + 1;
  const forecastDays = period.kind === "month" ? periodDays : undefined;
  const extend = (amount: Amount): Amount | undefined =>
    forecastDays === undefined || elapsedDays === 0
      ? undefined
      : elapsedDays >= forecastDays
        ? amount
        : multiplyRatio(amount, BigInt(forecastDays), BigInt(elapsedDays));

  const seriesFrom = ledger.windowStart;
  const series = (environment?: number) =>
    ledger.dailyTotals(seriesFrom, period.end, environment).map((totals, index) => {
      const day = seriesFrom + index;
      return { day, value: ledger.hasData(day) ? toNumber(totals.billed) : undefined };
    });

  const environments: EnvironmentDigest[] = ledger.environments.list.map((name, id) => {
    const current = ledger.environmentTotal(id, period.start, period.end);
    const before = ledger.environmentTotal(id, previous.start, previous.end);
    const budget = context.budgets.get(name);
    const forecast = extend(current.billed);
    let environmentBudget: EnvironmentBudget | undefined;
    if (budget) {
      const periodBudget =
        period.kind === "month"
          ? budget.monthly
          : roundTo(
              multiplyRatio(budget.monthly, BigInt(periodDays), BigInt(daysInMonth(period.start))),
            );
      environmentBudget = {
        budget,
        periodBudget,
        standing: standAgainst({ ...budget, monthly: periodBudget }, current.billed),
        ...(forecast !== undefined ? { forecastStanding: standAgainst(budget, forecast) } : {}),
      };
    }
    return {
      ...breakdown(name, current, before),
      production: context.isProduction(name),
      ...(forecast !== undefined ? { forecast } : {}),
      ...(environmentBudget ? { budget: environmentBudget } : {}),
      anomalies: detectAnomalies(series(id), period.start, method),
    };
  });
  environments.sort(byCurrent);

  const services = ledger.services.list
    .map((name, id) =>
      breakdown(
        name,
        ledger.serviceSums[PERIOD_CURRENT]!.get(id),
        ledger.serviceSums[PERIOD_PREVIOUS]!.get(id),
      ),
    )
    .sort(byCurrent);
  const subAccounts = ledger.subAccounts.list
    .map((id, slot) =>
      breakdown(
        id,
        ledger.subAccountSums[PERIOD_CURRENT]!.get(slot),
        ledger.subAccountSums[PERIOD_PREVIOUS]!.get(slot),
        ledger.subAccountNames.get(id),
      ),
    )
    .sort(byCurrent);
  const movers = previousHasData
    ? [...services]
        .filter((service) => service.delta !== 0n)
        .sort((a, b) => {
          const size = (item: Breakdown): Amount => (item.delta < 0n ? -item.delta : item.delta);
          return size(a) === size(b) ? a.name.localeCompare(b.name) : size(a) > size(b) ? -1 : 1;
        })
        .slice(0, 5)
    : [];

  const currency = ledger.currency ?? "USD";
  const recommendations: Recommendation[] = [];
  ledger.environments.list.forEach((name, id) => {
    const compute = ledger.compute.get(id).billed;
    if (compute <= 0n) return;
    const offHours = ledger.computeOffHours.get(id).billed;
    // Flat around-the-clock compute spends 108/168 (64%) of its cost outside weekdays 08-20.
    if (!context.isProduction(name) && offHours * 2n >= compute) {
      recommendations.push({
        kind: "schedule-non-production",
        environment: name,
        subject: "compute",
        message: `${name} is not production but ${Number(divideRound(offHours * 100n, compute))}% of its compute cost falls outside weekdays 08-20 UTC; schedule it to stop nights and weekends`,
        monthlySaving: monthly(offHours, periodDays),
        currency,
      });
    }
    const onDemand = ledger.onDemandCompute.get(id).billed;
    if (context.isProduction(name) && onDemand > 0n) {
      recommendations.push({
        kind: "commit-production",
        environment: name,
        subject: "compute",
        message: `${name} pays on-demand prices for compute with no commitment discount applied; a 1-year commitment on the steady part saves about ${context.commitmentDiscount}%`,
        monthlySaving: commitmentSaving(monthly(onDemand, periodDays), context.commitmentDiscount),
        currency,
      });
    }
  });
  recommendations.sort((a, b) =>
    a.monthlySaving === b.monthlySaving ? 0 : a.monthlySaving > b.monthlySaving ? -1 : 1,
  );

  const totalSeries = series();
  return {
    period,
    previous,
    currency,
    tagKey: context.tagKey,
    rows: ledger.rows,
    used: ledger.used,
    outsideWindow: ledger.outsideWindow,
    problems: [...ledger.problems.counts]
      .map(([reason, entry]) => ({ reason, ...entry }))
      .sort((a, b) => b.count - a.count),
    files: context.files,
    total,
    previousTotal,
    previousHasData,
    percent: previousHasData ? percentChange(previousTotal.billed, total.billed) : undefined,
    environments,
    services,
    subAccounts,
    movers,
    daily: ledger.dailyTotals(period.start, period.end).map((totals, index) => ({
      day: period.start + index,
      ...totals,
      hasData: ledger.hasData(period.start + index),
    })),
    anomalies: detectAnomalies(totalSeries, period.start, method),
    anomalyMethod: method,
    ...(forecastDays !== undefined && elapsedDays > 0
      ? {
          forecast: {
            method:
              "run rate per environment: its cost so far × days in the month / days up to the last day with data",
            elapsedDays,
            periodDays,
            billed: environments.reduce(
              (sum, environment) => sum + (environment.forecast ?? 0n),
              0n,
            ),
            complete: elapsedDays >= periodDays,
          },
        }
      : {}),
    recommendations,
    ...(context.ci ? { ci: context.ci } : {}),
  };
}
