// Base against head: each environment's monthly cost before and after a pull request, line by line.
import { breaksBudget, standAgainst, type BudgetStanding, type ResolvedBudget } from "./budget.js";
import { formatMoney, percentChange, type Amount } from "./money.js";
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
  /** What changed on a changed line, before → after (`count 4 → 6`); empty when added or removed. */
  details: string[];
}

/** An unpriced item the pull request adds, removes or changes: never zero, always worth a mention. */
export interface UnpricedChange {
  key: string;
  change: "added" | "removed" | "changed";
  before?: UnpricedLine;
  after?: UnpricedLine;
  details: string[];
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
  /** Unpriced items this pull request adds, removes or changes. */
  unpricedChanges: UnpricedChange[];
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
      const details = describeChange(lineFacts(old), lineFacts(now));
      changes.push({ key, change: "changed", before: old, after: now, delta, details });
    } else {
      changes.push({
        key,
        change: now ? "added" : "removed",
        ...(old ? { before: old } : {}),
        ...(now ? { after: now } : {}),
        delta,
        details: [],
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
    unpricedChanges: compareUnpriced(before?.priced.unpriced ?? [], after?.priced.unpriced ?? []),
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

function compareUnpriced(
  before: readonly UnpricedLine[],
  after: readonly UnpricedLine[],
): UnpricedChange[] {
  const old = new Map(before.map((line) => [lineKey(line), line]));
  const kept = new Set<string>();
  const changes: UnpricedChange[] = [];
  for (const now of after) {
    const key = lineKey(now);
    const was = old.get(key);
    kept.add(key);
    if (!was) {
      changes.push({ key, change: "added", after: now, details: [] });
      continue;
    }
    const details = describeChange(was, now);
    if (details.length > 0)
      changes.push({ key, change: "changed", before: was, after: now, details });
  }
  for (const [key, was] of old)
    if (!kept.has(key)) changes.push({ key, change: "removed", before: was, details: [] });
  return changes;
}

/** What a line declares, priced or not, as the Change column compares it. */
interface LineFacts {
  kind: string;
  type: string;
  count?: number;
  scheduleText?: string;
  hoursGiven?: string;
  quantityText?: string;
  pricing?: string;
  unitPrice?: Amount;
  currency?: string;
}

function lineFacts(line: PricedLine): LineFacts {
  return {
    ...line,
    ...(line.schedule ? { scheduleText: line.schedule.text } : {}),
  };
}

/** `count 4 → 6`, `type a → b`, `schedule weekdays 07-21 → 24/7`, `size 100 GB → 500 GB`, ... */
export function describeChange(old: LineFacts, now: LineFacts): string[] {
  const details: string[] = [];
  const differ = (label: string, a: unknown, b: unknown, suffix = "") => {
    if (a !== undefined && b !== undefined && a !== b)
      details.push(`${label} ${a} → ${b}${suffix}`);
  };
  differ("type", old.type, now.type);
  differ("count", old.count, now.count);
  if (old.hoursGiven !== undefined && now.hoursGiven !== undefined)
    differ("hours", old.hoursGiven, now.hoursGiven, " a month");
  else {
    const when = (line: LineFacts) =>
      line.hoursGiven === undefined ? line.scheduleText : `${line.hoursGiven} h a month`;
    differ("schedule", when(old), when(now));
  }
  if (old.kind === "storage") differ("size", old.quantityText, now.quantityText);
  if (old.kind === "custom") differ("quantity", old.quantityText, now.quantityText);
  differ("pricing", old.pricing, now.pricing);
  if (
    old.type === now.type &&
    old.pricing === now.pricing &&
    old.unitPrice !== undefined &&
    now.unitPrice !== undefined &&
    old.unitPrice !== now.unitPrice
  ) {
    const places = old.kind === "custom" ? 2 : 4;
    const price = (line: LineFacts) => formatMoney(line.unitPrice!, line.currency ?? "USD", places);
    details.push(`unit price ${price(old)} → ${price(now)}`);
  }
  if (details.length === 0) differ("quantity", old.quantityText, now.quantityText);
  return details;
}
