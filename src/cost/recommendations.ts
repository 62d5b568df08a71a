// Advice with an estimated monthly saving: schedule non-production, commit steady production, recheck jumps.
import type { EnvironmentComparison } from "./compare.js";
import { multiplyRatio, plainDecimal, roundTo, type Amount } from "./money.js";
import type { PricedLine } from "./pricing.js";
import { MINUTES_PER_WEEK, parseSchedule, type Schedule } from "./schedule.js";

export type RecommendationKind =
  "schedule-non-production" | "commit-production" | "double-check-jump";

export interface Recommendation {
  kind: RecommendationKind;
  environment: string;
  /** The line item, `compute/api`, or a service name in a digest. */
  subject: string;
  message: string;
  /** Estimated saving per month, rounded to cents. */
  monthlySaving: Amount;
  currency: string;
}

/** The schedule suggested to non-production environments that run around the clock. */
export const SUGGESTED_SCHEDULE: Schedule = parseSchedule("weekdays 08-20");
/** How many times bigger a count, size or unit price must get in one pull request to be flagged. */
export const JUMP_FACTOR = 2n;

function runsAllWeek(line: PricedLine): boolean {
  return line.schedule !== undefined && line.schedule.minutesPerWeek === MINUTES_PER_WEEK;
}

/**
 * Share saved by moving from 24/7 to the suggested schedule: the hours it would be off,
 * (10,080 - 3,600) / 10,080 = 9/14 of the cost.
 */
export function schedulingSaving(monthly: Amount): Amount {
  return roundTo(
    multiplyRatio(
      monthly,
      BigInt(MINUTES_PER_WEEK - SUGGESTED_SCHEDULE.minutesPerWeek),
      BigInt(MINUTES_PER_WEEK),
    ),
  );
}

/** What a commitment of `discountPercent` saves on an on-demand cost. */
export function commitmentSaving(monthly: Amount, discountPercent: number): Amount {
  return roundTo(multiplyRatio(monthly, BigInt(Math.round(discountPercent * 100)), 10_000n));
}

/**
 * Recommendations for the lines each pull request adds or changes, biggest saving first. Lines it
 * does not touch are the digest's to advise on: at hundreds of resources their advice would crowd
 * out what the pull request does.
 */
export function recommendForPullRequest(
  comparisons: readonly EnvironmentComparison[],
): Recommendation[] {
  const recommendations: Recommendation[] = [];
  for (const environment of comparisons) {
    if (!environment.after) continue;
    const before = new Map(
      (environment.before?.lines ?? []).map((line) => [`${line.kind}/${line.name}`, line]),
    );
    const touched = new Set(
      environment.changes.filter((change) => change.after).map((change) => change.key),
    );
    for (const line of environment.after.lines) {
      const subject = `${line.kind}/${line.name}`;
      if (!touched.has(subject)) continue;
      const base = { environment: environment.name, subject, currency: line.currency };
      if (
        line.kind === "compute" &&
        !environment.production &&
        runsAllWeek(line) &&
        line.pricing !== "spot" &&
        line.monthly > 0n
      ) {
        recommendations.push({
          ...base,
          kind: "schedule-non-production",
          message:
            `${environment.name} is not production but ${line.name} runs 24/7; ` +
            "schedule it (for example `schedule: weekdays 08-20`) to stop it nights and weekends",
          monthlySaving: schedulingSaving(line.monthly),
        });
      }
      const old = before.get(subject);
      if (
        line.kind === "compute" &&
        environment.production &&
        line.pricing === "on-demand" &&
        runsAllWeek(line) &&
        old !== undefined &&
        old.count === line.count &&
        line.entry !== undefined &&
        line.monthly > 0n
      ) {
        recommendations.push({
          ...base,
          kind: "commit-production",
          message:
            `${line.name} in ${environment.name} runs ${line.count} × 24/7 on on-demand prices ` +
            "with a steady count; a 1-year commitment (savings plan or reserved instances) " +
            `saves about ${line.entry.commitmentDiscount}%`,
          monthlySaving: commitmentSaving(line.monthly, line.entry.commitmentDiscount),
        });
      }
      if (old && line.monthly > old.monthly) {
        const jump = describeJump(old, line);
        if (jump) {
          recommendations.push({
            ...base,
            kind: "double-check-jump",
            message: `${line.name} in ${environment.name}: ${jump} in one pull request; double-check it is intended`,
            monthlySaving: line.monthly - old.monthly,
          });
        }
      }
    }
  }
  return recommendations.sort((a, b) =>
    a.monthlySaving === b.monthlySaving ? 0 : a.monthlySaving > b.monthlySaving ? -1 : 1,
  );
}

function describeJump(old: PricedLine, now: PricedLine): string | undefined {
  if (
    old.count !== undefined &&
    now.count !== undefined &&
    old.count > 0 &&
    BigInt(now.count) >= JUMP_FACTOR * BigInt(old.count)
  ) {
    return `count ${old.count} → ${now.count}`;
  }
  if (
    old.kind === "storage" &&
    old.quantity.numerator > 0n &&
    now.quantity.numerator >= JUMP_FACTOR * old.quantity.numerator
  ) {
    return `size ${old.quantityText} → ${now.quantityText}`;
  }
  if (old.type !== now.type && old.unitPrice > 0n && now.unitPrice >= JUMP_FACTOR * old.unitPrice) {
    const factor = Number((now.unitPrice * 10n) / old.unitPrice) / 10;
    return `type ${old.type} → ${now.type} (unit price ×${factor.toFixed(1)})`;
  }
  return undefined;
}

/** A recommendation in a report's JSON output: the saving as an exact decimal string. */
export function recommendationJson(recommendation: Recommendation) {
  return { ...recommendation, monthlySaving: plainDecimal(recommendation.monthlySaving) };
}
