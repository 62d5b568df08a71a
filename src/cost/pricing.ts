// Prices an environment's declared resources against a catalog: one monthly line per item, exactly.
import type { Problem, SourcePosition } from "../shared/errors.js";
import { formatKeyPath, type KeyPath } from "../config/yaml-source.js";
import type { Catalog, CatalogEntry } from "./catalog.js";
import { divideRound, multiplyRatio, ONE, parseAmount, roundTo, type Amount } from "./money.js";
import type { Resources, ResourceKind } from "../schema/cost.js";
import {
  monthlyHours,
  parseSchedule,
  ScheduleError,
  type Ratio,
  type Schedule,
} from "./schedule.js";

export type PricingModel = "on-demand" | "committed" | "spot";

export interface PricedLine {
  kind: ResourceKind;
  name: string;
  /** Catalog key, or `custom` for custom items. */
  type: string;
  /** Units per month as a fraction (instance-hours, GB-months, units). */
  quantity: Ratio;
  /** How the quantity reads in a report: `3 × 730 h`, `500 GB`, `4 seat`. */
  quantityText: string;
  unitPrice: Amount;
  unit: string;
  currency: string;
  /** Monthly cost rounded to cents: the figure every total adds up. */
  monthly: Amount;
  count?: number;
  schedule?: Schedule;
  pricing?: PricingModel;
  /** Extra facts the report shows (spot priced at on-demand, committed discount applied). */
  note?: string;
  entry?: CatalogEntry;
}

export interface UnpricedLine {
  kind: ResourceKind;
  name: string;
  type: string;
  reason: string;
}

export interface PricedEnvironment {
  lines: PricedLine[];
  unpriced: UnpricedLine[];
  /** Currency of every line (the catalog's when there are none). */
  currency: string;
  /** The sum of the lines' rounded monthly costs. */
  total: Amount;
}

type Locate = (path: KeyPath) => SourcePosition | undefined;

const HOURLY_KINDS = ["compute", "load-balancers", "databases"] as const;
const KIND_UNIT: Record<ResourceKind, string> = {
  compute: "hour",
  "load-balancers": "hour",
  databases: "hour",
  storage: "GB-month",
  custom: "month",
};

/**
 * Prices every item of `resources`. Unknown catalog types become unpriced lines (never zero);
 * mistakes the user can fix (a bad schedule, a storage type priced per hour, duplicate names,
 * mixed currencies) come back as problems located at their key.
 */
export function priceResources(
  resources: Resources | undefined,
  catalog: Catalog,
  defaultCurrency: string,
  locate: Locate = () => undefined,
): { priced: PricedEnvironment; problems: Problem[] } {
  const lines: PricedLine[] = [];
  const unpriced: UnpricedLine[] = [];
  const problems: Problem[] = [];
  const problem = (path: KeyPath, message: string): void => {
    problems.push({
      path: formatKeyPath(["resources", ...path]),
      message,
      at: locate(["resources", ...path]),
    });
  };

  for (const kind of HOURLY_KINDS) {
    (resources?.[kind] ?? []).forEach((item, index) => {
      let schedule: Schedule | undefined;
      let hours: Ratio;
      if (item.schedule !== undefined && item.hours !== undefined) {
        problem([kind, index], "set either schedule or hours, not both");
        return;
      }
      if (item.hours !== undefined) {
        const parsedHours = parseAmount(String(item.hours));
        hours = { numerator: parsedHours?.amount ?? 0n, denominator: ONE };
      } else {
        try {
          schedule = parseSchedule(item.schedule ?? "24/7");
        } catch (error) {
          if (!(error instanceof ScheduleError)) throw error;
          problem([kind, index, "schedule"], error.message);
          return;
        }
        hours = monthlyHours(schedule);
      }
      const count = item.count ?? 1;
      const entry = catalog.entries.get(item.type);
      if (!entry) {
        unpriced.push({
          kind,
          name: item.name,
          type: item.type,
          reason: "not in the pricing catalog",
        });
        return;
      }
      if (entry.unit !== "hour") {
        problem(
          [kind, index, "type"],
          `${item.type} is priced per ${entry.unit} in ${entry.origin}, but ${kind} are priced per hour`,
        );
        return;
      }
      const pricing = item.pricing ?? "on-demand";
      const unitPrice =
        pricing === "committed"
          ? multiplyRatio(
              entry.price,
              BigInt(10_000 - Math.round(entry.commitmentDiscount * 100)),
              10_000n,
            )
          : entry.price;
      const quantity = {
        numerator: hours.numerator * BigInt(count),
        denominator: hours.denominator,
      };
      lines.push({
        kind,
        name: item.name,
        type: item.type,
        quantity,
        quantityText: `${count} × ${formatRatio(hours)} h`,
        unitPrice,
        unit: "hour",
        currency: entry.currency,
        monthly: roundTo(multiplyRatio(unitPrice, quantity.numerator, quantity.denominator)),
        count,
        ...(schedule ? { schedule } : {}),
        pricing,
        ...(pricing === "committed"
          ? { note: `committed: catalog price less an estimated ${entry.commitmentDiscount}%` }
          : pricing === "spot"
            ? { note: "spot: priced at on-demand, an upper bound" }
            : {}),
        entry,
      });
    });
  }

  (resources?.storage ?? []).forEach((item, index) => {
    const entry = catalog.entries.get(item.type);
    if (!entry) {
      unpriced.push({
        kind: "storage",
        name: item.name,
        type: item.type,
        reason: "not in the pricing catalog",
      });
      return;
    }
    if (entry.unit !== "GB-month") {
      problem(
        ["storage", index, "type"],
        `${item.type} is priced per ${entry.unit} in ${entry.origin}, but storage is priced per GB-month`,
      );
      return;
    }
    const gb = parseAmount(String(item.gb))?.amount ?? 0n;
    lines.push({
      kind: "storage",
      name: item.name,
      type: item.type,
      quantity: { numerator: gb, denominator: ONE },
      quantityText: `${item.gb} GB`,
      unitPrice: entry.price,
      unit: "GB-month",
      currency: entry.currency,
      monthly: roundTo(divideRound(entry.price * gb, ONE)),
      entry,
    });
  });

  (resources?.custom ?? []).forEach((item, index) => {
    const price = parseAmount(String(item["unit-price"]));
    if (!price) {
      problem(["custom", index, "unit-price"], "is not a decimal number");
      return;
    }
    const quantity = parseAmount(String(item.quantity ?? 1))?.amount ?? ONE;
    lines.push({
      kind: "custom",
      name: item.name,
      type: "custom",
      quantity: { numerator: quantity, denominator: ONE },
      quantityText: `${item.quantity ?? 1} ${item.unit ?? "unit"}`,
      unitPrice: price.amount,
      unit: item.unit ?? "unit",
      currency: item.currency ?? defaultCurrency,
      monthly: roundTo(divideRound(price.amount * quantity, ONE)),
    });
  });

  for (const kind of Object.keys(KIND_UNIT) as ResourceKind[]) {
    const seen = new Map<string, number>();
    (resources?.[kind] ?? []).forEach((item, index) => {
      if (seen.has(item.name))
        problem([kind, index, "name"], `"${item.name}" is used twice in resources.${kind}`);
      seen.set(item.name, index);
    });
  }
  const currencies = [...new Set(lines.map((line) => line.currency))];
  if (currencies.length > 1) {
    problem(
      [],
      `mixes currencies (${currencies.join(", ")}); price one environment in one currency`,
    );
  }
  return {
    priced: {
      lines,
      unpriced,
      currency: currencies[0] ?? defaultCurrency,
      total: lines.reduce((sum, line) => sum + line.monthly, 0n),
    },
    problems,
  };
}

/** `730`, `260.71` (two decimals when not whole). */
export function formatRatio(ratio: Ratio): string {
  if (ratio.numerator % ratio.denominator === 0n)
    return (ratio.numerator / ratio.denominator).toString();
  const hundredths = divideRound(ratio.numerator * 100n, ratio.denominator);
  const text = hundredths.toString().padStart(3, "0");
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

/** A line's identity across base and head: its kind and name. */
export function lineKey(line: { kind: ResourceKind; name: string }): string {
  return `${line.kind}/${line.name}`;
}
