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
  type DayValue,
} from "./anomalies.js";
import {
  PERIOD_CURRENT,
  PERIOD_PREVIOUS,
  type DigestLedger,
  type Sums,
  type Totals,
} from "./ledger.js";
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

const FORECAST_METHOD =
  "run rate per environment: its cost so far × days in the month / " +
  "days up to the last day with data";

/** How much of the period has data, which decides whether and how far costs are forecast. */
interface Progress {
  periodDays: number;
  /** Days of the period up to the last one with data (0 when none has). */
  elapsedDays: number;
  /** The month's days for a month period; other periods are not forecast. */
  forecastDays: number | undefined;
}

export function buildDigestReport(ledger: DigestLedger, context: DigestContext): DigestReport {
  const { period, previous } = ledger;
  const method = context.anomalyMethod ?? DEFAULT_ANOMALY_METHOD;
  const progress = progressOf(ledger);
  const total = sumDays(ledger.dailyTotals(period.start, period.end));
  const previousTotal = sumDays(ledger.dailyTotals(previous.start, previous.end));
  let previousHasData = false;
  for (let day = previous.start; day < previous.end; day++) previousHasData ||= ledger.hasData(day);
  const environments = environmentDigests(ledger, context, progress, method);
  const services = breakdownsOf(ledger.services.list, ledger.serviceSums);
  const subAccounts = breakdownsOf(ledger.subAccounts.list, ledger.subAccountSums, (id) =>
    ledger.subAccountNames.get(id),
  );
  const currency = ledger.currency ?? "USD";
  const recommendations = computeRecommendations(ledger, context, progress.periodDays, currency);
  const forecast = forecastOf(environments, progress);
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
    movers: previousHasData ? topMovers(services) : [],
    daily: ledger.dailyTotals(period.start, period.end).map((totals, index) => ({
      day: period.start + index,
      ...totals,
      hasData: ledger.hasData(period.start + index),
    })),
    anomalies: detectAnomalies(billedSeries(ledger), period.start, method),
    anomalyMethod: method,
    ...(forecast ? { forecast } : {}),
    recommendations,
    ...(context.ci ? { ci: context.ci } : {}),
  };
}

function sumDays(days: Totals[]): Totals {
  return days.reduce(
    (sum, day) => ({ billed: sum.billed + day.billed, effective: sum.effective + day.effective }),
    { billed: 0n, effective: 0n },
  );
}

function progressOf(ledger: DigestLedger): Progress {
  const { period } = ledger;
  const periodDays = period.end - period.start;
  let lastDataDay = -1;
  for (let day = period.start; day < period.end; day++) if (ledger.hasData(day)) lastDataDay = day;
  return {
    periodDays,
    elapsedDays: lastDataDay < 0 ? 0 : lastDataDay - period.start + 1,
    forecastDays: period.kind === "month" ? periodDays : undefined,
  };
}

/** A cost so far, run on to the end of the month; undefined when the period is not forecast. */
function runRate(amount: Amount, progress: Progress): Amount | undefined {
  const { forecastDays, elapsedDays } = progress;
  return forecastDays === undefined || elapsedDays === 0
    ? undefined
    : elapsedDays >= forecastDays
      ? amount
      : multiplyRatio(amount, BigInt(forecastDays), BigInt(elapsedDays));
}

/** Billed cost per day from the start of the anomaly baseline; no value on days without data. */
function billedSeries(ledger: DigestLedger, environment?: number): DayValue[] {
  const from = ledger.windowStart;
  return ledger.dailyTotals(from, ledger.period.end, environment).map((totals, index) => {
    const day = from + index;
    return { day, value: ledger.hasData(day) ? toNumber(totals.billed) : undefined };
  });
}

function environmentDigests(
  ledger: DigestLedger,
  context: DigestContext,
  progress: Progress,
  method: AnomalyMethod,
): EnvironmentDigest[] {
  const { period, previous } = ledger;
  return ledger.environments.list
    .map((name, id) => {
      const current = ledger.environmentTotal(id, period.start, period.end);
      const before = ledger.environmentTotal(id, previous.start, previous.end);
      const budget = context.budgets.get(name);
      const forecast = runRate(current.billed, progress);
      const burn = budget ? budgetBurn(budget, period, current.billed, forecast) : undefined;
      return {
        ...breakdown(name, current, before),
        production: context.isProduction(name),
        ...(forecast !== undefined ? { forecast } : {}),
        ...(burn ? { budget: burn } : {}),
        anomalies: detectAnomalies(billedSeries(ledger, id), period.start, method),
      };
    })
    .sort(byCurrent);
}

/** An environment's budget for the period (prorated by days unless it is a month), and its burn. */
function budgetBurn(
  budget: ResolvedBudget,
  period: Period,
  billed: Amount,
  forecast: Amount | undefined,
): EnvironmentBudget {
  const periodDays = period.end - period.start;
  const periodBudget =
    period.kind === "month"
      ? budget.monthly
      : roundTo(
          multiplyRatio(budget.monthly, BigInt(periodDays), BigInt(daysInMonth(period.start))),
        );
  return {
    budget,
    periodBudget,
    standing: standAgainst({ ...budget, monthly: periodBudget }, billed),
    ...(forecast !== undefined ? { forecastStanding: standAgainst(budget, forecast) } : {}),
  };
}

/** One breakdown per name (a service, a sub-account id) from its slot in the period sums. */
function breakdownsOf(
  names: readonly string[],
  sums: readonly Sums[],
  labelOf: (name: string) => string | undefined = () => undefined,
): Breakdown[] {
  return names
    .map((name, slot) =>
      breakdown(
        name,
        sums[PERIOD_CURRENT]!.get(slot),
        sums[PERIOD_PREVIOUS]!.get(slot),
        labelOf(name),
      ),
    )
    .sort(byCurrent);
}

/** The five services whose billed cost moved most, up or down. */
function topMovers(services: readonly Breakdown[]): Breakdown[] {
  const size = (item: Breakdown): Amount => (item.delta < 0n ? -item.delta : item.delta);
  return services
    .filter((service) => service.delta !== 0n)
    .sort((a, b) =>
      size(a) === size(b) ? a.name.localeCompare(b.name) : size(a) > size(b) ? -1 : 1,
    )
    .slice(0, 5);
}

/** Scheduling advice for non-production compute, commitments for production on-demand compute. */
function computeRecommendations(
  ledger: DigestLedger,
  context: DigestContext,
  periodDays: number,
  currency: string,
): Recommendation[] {
  const recommendations: Recommendation[] = [];
  ledger.environments.list.forEach((name, id) => {
    const compute = ledger.compute.get(id).billed;
    if (compute <= 0n) return;
    const offHours = ledger.computeOffHours.get(id).billed;
    // Flat around-the-clock compute spends 108/168 (64%) of its cost outside weekdays 08-20.
    if (!context.isProduction(name) && offHours * 2n >= compute) {
      const share = Number(divideRound(offHours * 100n, compute));
      recommendations.push({
        kind: "schedule-non-production",
        environment: name,
        subject: "compute",
        message:
          `${name} is not production but ${share}% of its compute cost falls outside ` +
          "weekdays 08-20 UTC; schedule it to stop nights and weekends",
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
        message:
          `${name} pays on-demand prices for compute with no commitment discount applied; ` +
          `a 1-year commitment on the steady part saves about ${context.commitmentDiscount}%`,
        monthlySaving: commitmentSaving(monthly(onDemand, periodDays), context.commitmentDiscount),
        currency,
      });
    }
  });
  return recommendations.sort((a, b) =>
    a.monthlySaving === b.monthlySaving ? 0 : a.monthlySaving > b.monthlySaving ? -1 : 1,
  );
}

function forecastOf(environments: EnvironmentDigest[], progress: Progress): Forecast | undefined {
  const { forecastDays, elapsedDays, periodDays } = progress;
  if (forecastDays === undefined || elapsedDays === 0) return undefined;
  return {
    method: FORECAST_METHOD,
    elapsedDays,
    periodDays,
    billed: environments.reduce((sum, environment) => sum + (environment.forecast ?? 0n), 0n),
    complete: elapsedDays >= periodDays,
  };
}
