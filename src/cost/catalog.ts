// Pricing catalogs: what one unit of each resource type costs, validated, with user overrides on top.
import * as z from "zod/mini";
import { throwIfProblems, type Problem } from "../shared/errors.js";
import { issuesToProblems } from "../shared/validation.js";
import { formatKeyPath, type YamlSource } from "../config/yaml-source.js";
import { isPositivePrice, parseAmount, type Amount } from "./money.js";

/** hour, GB-month and month price environments' resources; the others price Terraform plans' usage. */
export const PRICE_UNITS = [
  "hour",
  "GB-month",
  "month",
  "GB",
  "request",
  "GB-second",
  "IOPS-month",
] as const;
export type PriceUnit = (typeof PRICE_UNITS)[number];

/** A price above zero, as a number or decimal text: a negative or zero price is a mistake, not a discount. */
export const positivePrice = (example: string) =>
  z
    .union([z.number(), z.string()])
    .check(
      z.refine(
        (value) =>
          (typeof value === "number" || /^\d+(\.\d+)?$/.test(value)) && isPositivePrice(value),
        { error: `expected a positive decimal price such as ${example}` },
      ),
    );
const currency = z
  .string()
  .check(z.regex(/^[A-Z]{3}$/, { error: "expected an ISO 4217 code such as USD" }));
const percent = z.number().check(z.gte(0), z.lt(100));

const EntrySchema = z.strictObject({
  price: positivePrice("0.0416"),
  unit: z.enum(PRICE_UNITS),
  currency: z.optional(currency),
  description: z.optional(z.string()),
  source: z.optional(z.string()),
  checked: z.optional(z.string()),
  verified: z.optional(z.union([z.boolean(), z.string()])),
  "commitment-discount": z.optional(percent),
});

const CatalogSchema = z.strictObject({
  currency: z.optional(currency),
  checked: z.optional(z.string()),
  "commitment-discount": z.optional(percent),
  prices: z.record(
    z.string().check(z.regex(/^[\w.+-]+$/, { error: "expected a key such as aws.ec2.m7i.large" })),
    EntrySchema,
  ),
});

export interface CatalogEntry {
  key: string;
  /** Price of one unit, exact. */
  price: Amount;
  unit: PriceUnit;
  currency: string;
  description?: string;
  source?: string;
  checked?: string;
  /** How far the price was confirmed: true, false (not confirmed), or where a secondary source is. */
  verified?: boolean | string;
  /** Percentage a 1-year commitment typically saves on this price (for recommendations). */
  commitmentDiscount: number;
  /** Which file the price came from. */
  origin: string;
}

export interface Catalog {
  entries: ReadonlyMap<string, CatalogEntry>;
  /** The files read, lowest first. */
  origins: readonly string[];
  /** The catalog-wide commitment discount, in percent (the last file that sets one wins). */
  commitmentDiscount: number;
}

/** Used when neither the catalog nor the entry says: a conservative 1-year no-upfront figure. */
export const DEFAULT_COMMITMENT_DISCOUNT = 25;

/** Validates one catalog file; every problem carries its file and line. */
export function parseCatalog(source: YamlSource): Catalog {
  const parsed = CatalogSchema.safeParse(source.data);
  if (!parsed.success) {
    throwIfProblems(
      issuesToProblems(parsed.error.issues, formatKeyPath, (path) => source.locate(path)),
    );
    throw new Error("unreachable");
  }
  const problems: Problem[] = [];
  const entries = new Map<string, CatalogEntry>();
  for (const [key, entry] of Object.entries(parsed.data.prices)) {
    const price = parseAmount(String(entry.price));
    if (!price) {
      problems.push({
        path: formatKeyPath(["prices", key, "price"]),
        message: "is not a decimal number",
        at: source.locate(["prices", key, "price"]),
      });
      continue;
    }
    const resolvedCurrency = entry.currency ?? parsed.data.currency;
    if (!resolvedCurrency) {
      problems.push({
        path: formatKeyPath(["prices", key]),
        message: "has no currency: set currency on the entry or at the top of the file",
        at: source.locate(["prices", key]),
      });
      continue;
    }
    entries.set(key, {
      key,
      price: price.amount,
      unit: entry.unit,
      currency: resolvedCurrency,
      ...(entry.description === undefined ? {} : { description: entry.description }),
      ...(entry.source === undefined ? {} : { source: entry.source }),
      ...(entry.verified === undefined ? {} : { verified: entry.verified }),
      ...((entry.checked ?? parsed.data.checked)
        ? { checked: entry.checked ?? parsed.data.checked }
        : {}),
      commitmentDiscount:
        entry["commitment-discount"] ??
        parsed.data["commitment-discount"] ??
        DEFAULT_COMMITMENT_DISCOUNT,
      origin: source.file,
    });
  }
  throwIfProblems(problems);
  return {
    entries,
    origins: [source.file],
    commitmentDiscount: parsed.data["commitment-discount"] ?? DEFAULT_COMMITMENT_DISCOUNT,
  };
}

/** Layers catalogs: a later one overrides an earlier one's entries key by key and adds new keys. */
export function mergeCatalogs(catalogs: readonly Catalog[]): Catalog {
  const entries = new Map<string, CatalogEntry>();
  for (const catalog of catalogs)
    for (const [key, entry] of catalog.entries) entries.set(key, entry);
  return {
    entries,
    origins: catalogs.flatMap((catalog) => catalog.origins),
    commitmentDiscount: catalogs.at(-1)?.commitmentDiscount ?? DEFAULT_COMMITMENT_DISCOUNT,
  };
}
