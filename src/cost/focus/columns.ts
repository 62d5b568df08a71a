// The FOCUS columns the digest reads, which of them it cannot do without, and tag resolution.
import { ConfigurationError, type SourcePosition } from "../../shared/errors.js";
import type { DigestLedger } from "../digest/ledger.js";

/** Column names (FOCUS 1.0), in the order readers index them. */
export const FOCUS_COLUMNS = [
  "BilledCost",
  "EffectiveCost",
  "BillingCurrency",
  "ChargePeriodStart",
  "ServiceName",
  "SubAccountId",
  "SubAccountName",
  "Tags",
  "ServiceCategory",
  "PricingCategory",
  "CommitmentDiscountId",
] as const;

export type FocusColumn = (typeof FOCUS_COLUMNS)[number];

/** Indexes into FOCUS_COLUMNS, for readers that keep a record's fields in typed arrays. */
export const BILLED = 0;
export const EFFECTIVE = 1;
export const CURRENCY = 2;
export const CHARGE_START = 3;
export const SERVICE = 4;
export const SUB_ACCOUNT_ID = 5;
export const SUB_ACCOUNT_NAME = 6;
export const TAGS = 7;
export const SERVICE_CATEGORY = 8;
export const PRICING_CATEGORY = 9;
export const COMMITMENT_ID = 10;

/** Without these a row cannot be summed or placed in time. */
export const REQUIRED_COLUMNS = FOCUS_COLUMNS.slice(0, 4);

export const UNTAGGED = "(untagged)";
export const UNREADABLE_TAGS = "(unreadable tags)";
export const UNKNOWN = "(unknown)";

/** Where each FOCUS column sits in a file's header (-1 when absent), and what is missing. */
function locateColumns(header: readonly string[]): {
  index: number[];
  missingRequired: string[];
  missingOptional: string[];
} {
  const positions = new Map(header.map((name, position) => [name.trim(), position]));
  const index = FOCUS_COLUMNS.map((name) => positions.get(name) ?? -1);
  return {
    index,
    missingRequired: REQUIRED_COLUMNS.filter((_, code) => index[code] === -1),
    missingOptional: FOCUS_COLUMNS.slice(4).filter((_, offset) => index[offset + 4] === -1),
  };
}

/**
 * Locates the FOCUS columns among a file's column names. Without a required column no row could be
 * used: that is a ConfigurationError at `at`, naming the part of the file that lists the columns.
 */
export function requireFocusColumns(
  names: readonly string[],
  at: SourcePosition,
  listedIn: "header" | "schema",
): { index: number[]; missingOptional: string[] } {
  const located = locateColumns(names);
  if (located.missingRequired.length > 0) {
    throw new ConfigurationError({
      at,
      message:
        "is not a FOCUS export the digest can use: " +
        `column(s) ${located.missingRequired.join(", ")} missing from its ${listedIn}`,
    });
  }
  return { index: located.index, missingOptional: located.missingOptional };
}

/**
 * Interns byte ranges without making a string per row: a hash of the bytes picks a bucket, the
 * bytes are compared natively, and only a value seen for the first time is decoded (by `make`).
 */
export class ByteInterner {
  private readonly buckets = new Map<number, { key: Buffer; value: number }[]>();

  lookup(buf: Buffer, start: number, end: number, make: () => number): number {
    // Every fourth byte and the last eight: enough to spread keys over buckets, and a collision
    // only costs one more comparison.
    let hash = (end - start) | 0;
    for (let i = start; i < end - 8; i += 4) hash = Math.imul(hash ^ buf[i]!, 16_777_619);
    for (let i = Math.max(start, end - 8); i < end; i++)
      hash = Math.imul(hash ^ buf[i]!, 16_777_619);
    let bucket = this.buckets.get(hash);
    if (bucket) {
      for (const entry of bucket) {
        if (
          entry.key.length === end - start &&
          buf.compare(entry.key, 0, entry.key.length, start, end) === 0
        )
          return entry.value;
      }
    } else {
      bucket = [];
      this.buckets.set(hash, bucket);
    }
    const value = make();
    bucket.push({ key: Buffer.from(buf.subarray(start, end)), value });
    return value;
  }
}

/**
 * Maps a row's Tags to an environment id in the ledger. Each distinct Tags text is parsed once
 * (the export repeats a few hundred distinct values across millions of rows).
 */
export class TagResolver {
  private readonly cache = new Map<string, number>();
  /** Distinct Tags values that were not a JSON object. */
  unreadable = 0;

  constructor(
    private readonly key: string,
    private readonly ledger: DigestLedger,
  ) {}

  /** `text` is the raw cell; `escaped` when it still has CSV's doubled quotes. */
  resolve(text: string, escaped: boolean): number {
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const id = this.ledger.environments.id(this.valueOf(escaped ? text.replace(/""/g, '"') : text));
    this.cache.set(text, id);
    return id;
  }

  /** For readers whose tags arrive already parsed (a Parquet MAP or struct). */
  resolveObject(tags: Record<string, unknown> | null | undefined): number {
    return this.ledger.environments.id(tags ? this.pick(tags) : UNTAGGED);
  }

  private valueOf(text: string): string {
    if (text === "" || text === "NULL") return UNTAGGED;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.unreadable++;
      return UNREADABLE_TAGS;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      this.unreadable++;
      return UNREADABLE_TAGS;
    }
    return this.pick(parsed as Record<string, unknown>);
  }

  private pick(tags: Record<string, unknown>): string {
    const value = tags[this.key];
    if (value === undefined || value === null || value === "") return UNTAGGED;
    return typeof value === "string" ? value : JSON.stringify(value);
  }
}
