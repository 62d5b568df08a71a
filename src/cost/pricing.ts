// Prices an environment's declared resources against a catalog: one monthly line per item, exactly.
import type { Problem, SourcePosition } from "../shared/errors.js";
import { formatKeyPath, type KeyPath } from "../config/yaml-source.js";
import type { Catalog, CatalogEntry, PriceUnit } from "./catalog.js";
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
  /** Hours a month as written (`hours: 100`), when given instead of a schedule. */
  hoursGiven?: string;
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
  /** What was declared, so a change to an unpriced item shows (count, schedule or hours, size). */
  count?: number;
  scheduleText?: string;
  hoursGiven?: string;
  quantityText?: string;
  pricing?: PricingModel;
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
const KIND_UNIT: Record<ResourceKind, PriceUnit> = {
  compute: "hour",
  "load-balancers": "hour",
  databases: "hour",
  storage: "GB-month",
  custom: "month",
};

type HourlyKind = (typeof HOURLY_KINDS)[number];
type HourlyItem = NonNullable<Resources[HourlyKind]>[number];
type StorageItem = NonNullable<Resources["storage"]>[number];
type CustomItem = NonNullable<Resources["custom"]>[number];

/** What one `priceResources` call collects as it goes through the items. */
interface PricingRun {
  catalog: Catalog;
  lines: PricedLine[];
  unpriced: UnpricedLine[];
  /** Records a mistake at a key path under `resources`. */
  problem: (path: KeyPath, message: string) => void;
}

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
  const problems: Problem[] = [];
  const run: PricingRun = {
    catalog,
    lines: [],
    unpriced: [],
    problem: (path, message) => {
      problems.push({
        path: formatKeyPath(["resources", ...path]),
        message,
        at: locate(["resources", ...path]),
      });
    },
  };
  for (const kind of HOURLY_KINDS)
    (resources?.[kind] ?? []).forEach((item, index) => priceHourly(run, kind, item, index));
  (resources?.storage ?? []).forEach((item, index) => priceStorage(run, item, index));
  (resources?.custom ?? []).forEach((item, index) =>
    priceCustom(run, item, index, defaultCurrency),
  );
  checkUniqueNames(run, resources);
  const currencies = [...new Set(run.lines.map((line) => line.currency))];
  if (currencies.length > 1) {
    run.problem(
      [],
      `mixes currencies (${currencies.join(", ")}); price one environment in one currency`,
    );
  }
  return {
    priced: {
      lines: run.lines,
      unpriced: run.unpriced,
      currency: currencies[0] ?? defaultCurrency,
      total: run.lines.reduce((sum, line) => sum + line.monthly, 0n),
    },
    problems,
  };
}

/** Compute, load balancers and databases: hours a month × count × the (committed) hourly price. */
function priceHourly(run: PricingRun, kind: HourlyKind, item: HourlyItem, index: number): void {
  const running = monthlyRunningHours(run, kind, item, index);
  if (!running) return;
  const { hours, schedule } = running;
  const count = item.count ?? 1;
  const pricing = item.pricing ?? "on-demand";
  const declared: Omit<UnpricedLine, "kind" | "name" | "type" | "reason"> & {
    quantityText: string;
  } = {
    count,
    ...(schedule ? { scheduleText: schedule.text } : { hoursGiven: String(item.hours) }),
    quantityText: `${count} × ${formatRatio(hours)} h`,
    pricing,
  };
  const entry = catalogEntryFor(run, kind, item, index, declared);
  if (!entry) return;
  const unitPrice = pricing === "committed" ? committedPrice(entry) : entry.price;
  const quantity = {
    numerator: hours.numerator * BigInt(count),
    denominator: hours.denominator,
  };
  run.lines.push({
    kind,
    name: item.name,
    type: item.type,
    quantity,
    quantityText: declared.quantityText,
    unitPrice,
    unit: "hour",
    currency: entry.currency,
    monthly: roundTo(multiplyRatio(unitPrice, quantity.numerator, quantity.denominator)),
    count,
    ...(schedule ? { schedule } : { hoursGiven: String(item.hours) }),
    pricing,
    ...pricingNote(pricing, entry),
    entry,
  });
}

/** Hours a month from `hours`, or from the schedule (24/7 when neither is set); undefined after a problem. */
function monthlyRunningHours(
  run: PricingRun,
  kind: HourlyKind,
  item: HourlyItem,
  index: number,
): { hours: Ratio; schedule?: Schedule } | undefined {
  if (item.schedule !== undefined && item.hours !== undefined) {
    run.problem([kind, index], "set either schedule or hours, not both");
    return undefined;
  }
  if (item.hours !== undefined) {
    const parsedHours = parseAmount(String(item.hours));
    return { hours: { numerator: parsedHours?.amount ?? 0n, denominator: ONE } };
  }
  let schedule: Schedule;
  try {
    schedule = parseSchedule(item.schedule ?? "24/7");
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    run.problem([kind, index, "schedule"], error.message);
    return undefined;
  }
  return { hours: monthlyHours(schedule), schedule };
}

/**
 * The catalog entry an item names, when it is priced in the unit of the item's kind. A type the
 * catalog lacks is an unpriced line; a type priced in another unit is a problem.
 */
function catalogEntryFor(
  run: PricingRun,
  kind: ResourceKind,
  item: { name: string; type: string },
  index: number,
  declared: Omit<UnpricedLine, "kind" | "name" | "type" | "reason">,
): CatalogEntry | undefined {
  const entry = run.catalog.entries.get(item.type);
  if (!entry) {
    run.unpriced.push({
      kind,
      name: item.name,
      type: item.type,
      reason: "not in the pricing catalog",
      ...declared,
    });
    return undefined;
  }
  const unit = KIND_UNIT[kind];
  if (entry.unit !== unit) {
    const kindIs = kind === "storage" ? "storage is" : `${kind} are`;
    run.problem(
      [kind, index, "type"],
      `${item.type} is priced per ${entry.unit} in ${entry.origin}, but ${kindIs} priced per ${unit}`,
    );
    return undefined;
  }
  return entry;
}

/** The catalog price less the entry's estimated commitment discount. */
function committedPrice(entry: CatalogEntry): Amount {
  return multiplyRatio(
    entry.price,
    BigInt(10_000 - Math.round(entry.commitmentDiscount * 100)),
    10_000n,
  );
}

function pricingNote(pricing: PricingModel, entry: CatalogEntry): Pick<PricedLine, "note"> {
  if (pricing === "committed")
    return { note: `committed: catalog price less an estimated ${entry.commitmentDiscount}%` };
  if (pricing === "spot") return { note: "spot: priced at on-demand, an upper bound" };
  return {};
}

function priceStorage(run: PricingRun, item: StorageItem, index: number): void {
  const entry = catalogEntryFor(run, "storage", item, index, { quantityText: `${item.gb} GB` });
  if (!entry) return;
  const gb = parseAmount(String(item.gb))?.amount ?? 0n;
  run.lines.push({
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
}

/** Custom items carry their own unit price; the catalog is not consulted. */
function priceCustom(
  run: PricingRun,
  item: CustomItem,
  index: number,
  defaultCurrency: string,
): void {
  const price = parseAmount(String(item["unit-price"]));
  if (!price || price.amount <= 0n) {
    run.problem(["custom", index, "unit-price"], "expected a positive price");
    return;
  }
  const quantity = parseAmount(String(item.quantity ?? 1))?.amount ?? ONE;
  run.lines.push({
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
}

/** A line is known by its kind and name across base and head, so a name is used once per kind. */
function checkUniqueNames(run: PricingRun, resources: Resources | undefined): void {
  for (const kind of Object.keys(KIND_UNIT) as ResourceKind[]) {
    const seen = new Set<string>();
    (resources?.[kind] ?? []).forEach((item, index) => {
      if (seen.has(item.name))
        run.problem([kind, index, "name"], `"${item.name}" is used twice in resources.${kind}`);
      seen.add(item.name);
    });
  }
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
