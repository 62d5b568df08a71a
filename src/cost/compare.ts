// Base against head: each environment's monthly cost before and after a pull request, line by line.
import { breaksBudget, standAgainst, type BudgetStanding, type ResolvedBudget } from "./budget.js";
import { percentChange, type Amount } from "./money.js";
import { lineKey, type PricedEnvironment, type PricedLine, type UnpricedLine } from "./pricing.js";

/** One environment as priced on one side of the comparison. */
export interface EnvironmentSide {
  priced: PricedEnvironment;
  production: boolean;
  budget?: ResolvedBudget;
}

export interface ResourceChange {
  key: string;
  change: "added" | "removed" | "changed";
  before?: PricedLine;
  after?: PricedLine;
  /** after.monthly - before.monthly, each side rounded to cents. */
  delta: Amount;
}

export interface BudgetCheck {
  budget: ResolvedBudget;
  before?: BudgetStanding;
  after: BudgetStanding;
  /** The pull request raises the cost and leaves the environment over its fail threshold. */
  broken: boolean;
}

export interface EnvironmentComparison {
  name: string;
  production: boolean;
  currency: string;
  /** Undefined when the environment is new in this pull request. */
  before?: PricedEnvironment;
  /** Undefined when the pull request removes the environment. */
  after?: PricedEnvironment;
  beforeTotal: Amount;
  afterTotal: Amount;
  delta: Amount;
  percent: number | undefined;
  changes: ResourceChange[];
  /** Items of the head that could not be priced. */
  unpriced: UnpricedLine[];
  budget?: BudgetCheck;
}

/** Compares every environment present on either side, sorted by name. */
export function compareEnvironments(
  base: ReadonlyMap<string, EnvironmentSide>,
  head: ReadonlyMap<string, EnvironmentSide>,
): EnvironmentComparison[] {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  return names.map((name) => compareEnvironment(name, base.get(name), head.get(name)));
}

export function compareEnvironment(
  name: string,
  before: EnvironmentSide | undefined,
  after: EnvironmentSide | undefined,
): EnvironmentComparison {
  const beforeTotal = before?.priced.total ?? 0n;
  const afterTotal = after?.priced.total ?? 0n;
  const beforeLines = new Map((before?.priced.lines ?? []).map((line) => [lineKey(line), line]));
  const afterLines = new Map((after?.priced.lines ?? []).map((line) => [lineKey(line), line]));
  const changes: ResourceChange[] = [];
  for (const key of new Set([...beforeLines.keys(), ...afterLines.keys()])) {
    const old = beforeLines.get(key);
    const now = afterLines.get(key);
    const delta = (now?.monthly ?? 0n) - (old?.monthly ?? 0n);
    if (old && now) {
      if (
        delta === 0n &&
        old.quantityText === now.quantityText &&
        old.type === now.type &&
        old.unitPrice === now.unitPrice
      )
        continue;
      changes.push({ key, change: "changed", before: old, after: now, delta });
    } else {
      changes.push({
        key,
        change: now ? "added" : "removed",
        ...(old ? { before: old } : {}),
        ...(now ? { after: now } : {}),
        delta,
      });
    }
  }
  changes.sort((a, b) =>
    a.delta === b.delta ? a.key.localeCompare(b.key) : a.delta > b.delta ? -1 : 1,
  );
  const budget = after?.budget ?? before?.budget;
  return {
    name,
    production: after?.production ?? before?.production ?? false,
    currency: after?.priced.currency ?? before?.priced.currency ?? "USD",
    ...(before ? { before: before.priced } : {}),
    ...(after ? { after: after.priced } : {}),
    beforeTotal,
    afterTotal,
    delta: afterTotal - beforeTotal,
    percent: percentChange(beforeTotal, afterTotal),
    changes,
    unpriced: after?.priced.unpriced ?? [],
    ...(budget
      ? {
          budget: {
            budget,
            ...(before ? { before: standAgainst(budget, beforeTotal) } : {}),
            after: standAgainst(budget, afterTotal),
            broken: breaksBudget(budget, beforeTotal, afterTotal),
          },
        }
      : {}),
  };
}
