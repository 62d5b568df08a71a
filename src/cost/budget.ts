// Budgets: an environment's monthly amount with warn and fail thresholds, and how a cost stands against it.
import type { Problem, SourcePosition } from "../shared/errors.js";
import type { KeyPath } from "../config/yaml-source.js";
import { divideRound, parseAmount, type Amount } from "./money.js";
import type { Budget } from "../schema/cost.js";

export interface ResolvedBudget {
  monthly: Amount;
  currency: string;
  /** Thresholds in percent of `monthly`. */
  warnPercent: number;
  failPercent: number;
}

export type BudgetStatus = "ok" | "warn" | "over";

export interface BudgetStanding {
  status: BudgetStatus;
  /** Cost as a percentage of the budget, one decimal. */
  usedPercent: number;
  /** What is left before the fail threshold (negative when past it). */
  headroom: Amount;
}

export const DEFAULT_WARN_PERCENT = 80;
export const DEFAULT_FAIL_PERCENT = 100;

/** Checks a layered `budget` section; no budget (or no amount in it) is undefined. */
export function resolveBudget(
  budget: Budget | undefined,
  defaultCurrency: string,
  locate: (path: KeyPath) => SourcePosition | undefined = () => undefined,
): { budget?: ResolvedBudget; problems: Problem[] } {
  if (!budget) return { problems: [] };
  if (budget.monthly === undefined) {
    return {
      problems: [
        {
          path: "budget.monthly",
          message: "is required when budget is set (warn and fail are percentages of it)",
          at: locate(["budget"]),
        },
      ],
    };
  }
  const monthly = parseAmount(String(budget.monthly));
  if (!monthly || monthly.amount <= 0n) {
    return {
      problems: [
        {
          path: "budget.monthly",
          message: "expected a positive amount",
          at: locate(["budget", "monthly"]),
        },
      ],
    };
  }
  const warnPercent = budget.warn ?? DEFAULT_WARN_PERCENT;
  const failPercent = budget.fail ?? DEFAULT_FAIL_PERCENT;
  if (warnPercent > failPercent) {
    return {
      problems: [
        {
          path: "budget.warn",
          message: `(${warnPercent}%) is above budget.fail (${failPercent}%)`,
          at: locate(["budget", "warn"]),
        },
      ],
    };
  }
  return {
    budget: {
      monthly: monthly.amount,
      currency: budget.currency ?? defaultCurrency,
      warnPercent,
      failPercent,
    },
    problems: [],
  };
}

/** Where a monthly cost stands: over at the fail threshold, warn at the warn threshold. */
export function standAgainst(budget: ResolvedBudget, cost: Amount): BudgetStanding {
  // Compared in hundredths of a percent, exactly: cost × 10,000 against monthly × percent × 100.
  const hundredths = (percent: number): bigint => BigInt(Math.round(percent * 100));
  const scaledCost = cost * 10_000n;
  const failLine = budget.monthly * hundredths(budget.failPercent);
  const warnLine = budget.monthly * hundredths(budget.warnPercent);
  const status: BudgetStatus =
    scaledCost >= failLine ? "over" : scaledCost >= warnLine ? "warn" : "ok";
  return {
    status,
    usedPercent: Number(divideRound(cost * 1000n, budget.monthly)) / 10,
    headroom: divideRound(failLine, 10_000n) - cost,
  };
}

/** A pull request breaks the budget when it raises the cost and the result is over. */
export function breaksBudget(budget: ResolvedBudget, before: Amount, after: Amount): boolean {
  return after > before && standAgainst(budget, after).status === "over";
}
