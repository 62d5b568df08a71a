// GitHub Actions minutes priced per runner SKU: versioned rate files, label mapping, whole-minute rounding.
import * as z from "zod/mini";
import { throwIfProblems } from "../shared/errors.js";
import { issuesToProblems } from "../shared/validation.js";
import { formatKeyPath, type YamlSource } from "../config/yaml-source.js";
import { positivePrice } from "./catalog.js";
import { parseAmount, plainDecimal, type Amount } from "./money.js";

const date = z
  .string()
  .check(z.regex(/^\d{4}-\d{2}-\d{2}$/, { error: "expected a date such as 2026-01-01" }));

const SkuSchema = z.strictObject({
  price: positivePrice("0.006"),
  description: z.optional(z.string()),
  labels: z.optional(z.array(z.string())),
  verified: z.optional(z.union([z.boolean(), z.string()])),
  source: z.optional(z.string()),
});

const RatesSchema = z.strictObject({
  effective: date,
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  source: z.string(),
  checked: date,
  rounding: z.optional(z.string()),
  note: z.optional(z.string()),
  skus: z.record(z.string(), SkuSchema),
});

/** The user's additions: prices for self-hosted or custom larger runners, and label mappings. */
const OverlaySchema = z.strictObject({
  skus: z.optional(z.record(z.string(), SkuSchema)),
  labels: z.optional(z.record(z.string(), z.string())),
});

export interface RunnerSku {
  sku: string;
  pricePerMinute: Amount;
  description?: string;
  labels: string[];
  /** Where the price comes from: the SKU's own source, else its rate card's. */
  source?: string;
  verified?: boolean | string;
}

export interface RateCard {
  /** First day (UTC) these prices apply. */
  effective: string;
  currency: string;
  source: string;
  checked: string;
  skus: Map<string, RunnerSku>;
}

export interface RateOverlay {
  skus: Map<string, RunnerSku>;
  /** Runner label → SKU name (of the overlay or of the rate card). */
  labels: Map<string, string>;
}

function parseSkus(
  skus: Record<string, z.infer<typeof SkuSchema>>,
  cardSource?: string,
): Map<string, RunnerSku> {
  return new Map(
    Object.entries(skus).map(([sku, entry]) => {
      const source = entry.source ?? cardSource;
      return [
        sku,
        {
          sku,
          pricePerMinute: parseAmount(String(entry.price))?.amount ?? 0n,
          ...(entry.description ? { description: entry.description } : {}),
          labels: entry.labels ?? [],
          ...(source ? { source } : {}),
          ...(entry.verified === undefined ? {} : { verified: entry.verified }),
        },
      ];
    }),
  );
}

export function parseRateCard(source: YamlSource): RateCard {
  const parsed = RatesSchema.safeParse(source.data);
  if (!parsed.success)
    throwIfProblems(
      issuesToProblems(parsed.error.issues, formatKeyPath, (path) => source.locate(path)),
    );
  const data = parsed.data!;
  return {
    effective: data.effective,
    currency: data.currency,
    source: data.source,
    checked: data.checked,
    skus: parseSkus(data.skus, data.source),
  };
}

export function parseRateOverlay(source: YamlSource): RateOverlay {
  const parsed = OverlaySchema.safeParse(source.data ?? {});
  if (!parsed.success)
    throwIfProblems(
      issuesToProblems(parsed.error.issues, formatKeyPath, (path) => source.locate(path)),
    );
  const data = parsed.data!;
  return { skus: parseSkus(data.skus ?? {}), labels: new Map(Object.entries(data.labels ?? {})) };
}

/** The card in effect on `day` (YYYY-MM-DD): the latest whose effective date is not after it. */
export function rateCardFor(cards: readonly RateCard[], day: string): RateCard | undefined {
  return [...cards]
    .sort((a, b) => b.effective.localeCompare(a.effective))
    .find((card) => card.effective <= day);
}

/** What the jobs API says about a job, reduced to what pricing needs. */
export interface JobRecord {
  id: number;
  runId: number;
  name: string;
  labels: string[];
  startedAt: string;
  completedAt: string | null;
  conclusion: string | null;
}

export interface PricedJob {
  job: JobRecord;
  minutes: number;
  sku: string;
  cost: Amount;
  /** The price's source and how far it was verified, from the SKU. */
  source?: string;
  verified?: boolean | string;
}

export interface UnpricedJob {
  job: JobRecord;
  minutes: number;
  reason: string;
}

export interface CiCost {
  runs: number;
  priced: PricedJob[];
  unpriced: UnpricedJob[];
  /** Jobs still running, left out of the sums. */
  inProgress: JobRecord[];
  minutes: number;
  total: Amount;
  currency: string;
  /** Effective dates of the rate cards used. */
  rateCards: string[];
}

/** Whole minutes billed for a job: its duration rounded up, as GitHub bills. */
export function billableMinutes(startedAt: string, completedAt: string): number {
  const milliseconds = Date.parse(completedAt) - Date.parse(startedAt);
  return milliseconds <= 0 ? 0 : Math.ceil(milliseconds / 60_000);
}

/** The SKU for a job's labels: the user's mapping first, then the user's SKUs, then GitHub's labels. */
export function skuForLabels(
  labels: readonly string[],
  card: RateCard,
  overlay: RateOverlay,
): RunnerSku | undefined {
  const lookup = (sku: string): RunnerSku | undefined =>
    overlay.skus.get(sku) ?? card.skus.get(sku);
  for (const label of labels) {
    const mapped = overlay.labels.get(label);
    if (mapped) return lookup(mapped);
  }
  for (const skus of [overlay.skus, card.skus]) {
    for (const sku of skus.values())
      if (labels.some((label) => sku.labels.includes(label))) return sku;
  }
  return undefined;
}

/** Prices each finished job with the card in effect on its start day. */
export function priceJobs(
  runs: number,
  jobs: readonly JobRecord[],
  cards: readonly RateCard[],
  overlay: RateOverlay,
): CiCost {
  const priced: PricedJob[] = [];
  const unpriced: UnpricedJob[] = [];
  const inProgress: JobRecord[] = [];
  const used = new Set<string>();
  let currency = cards[0]?.currency ?? "USD";
  const ordered = [...jobs].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id - b.id);
  for (const job of ordered) {
    if (!job.completedAt) {
      inProgress.push(job);
      continue;
    }
    const minutes = billableMinutes(job.startedAt, job.completedAt);
    const card = rateCardFor(cards, job.startedAt.slice(0, 10));
    if (!card) {
      unpriced.push({
        job,
        minutes,
        reason: `no rate card in effect on ${job.startedAt.slice(0, 10)}`,
      });
      continue;
    }
    const sku = skuForLabels(job.labels, card, overlay);
    if (!sku) {
      const runner = job.labels.includes("self-hosted") ? "self-hosted runner" : "runner";
      const labels = job.labels.join(", ") || "(none)";
      unpriced.push({
        job,
        minutes,
        reason: `${runner} labels ${labels} map to no price; add them to the rates input`,
      });
      continue;
    }
    used.add(card.effective);
    currency = card.currency;
    priced.push({
      job,
      minutes,
      sku: sku.sku,
      cost: sku.pricePerMinute * BigInt(minutes),
      ...(sku.source ? { source: sku.source } : {}),
      ...(sku.verified === undefined ? {} : { verified: sku.verified }),
    });
  }
  return {
    runs,
    priced,
    unpriced,
    inProgress,
    minutes: priced.reduce((sum, job) => sum + job.minutes, 0),
    total: priced.reduce((sum, job) => sum + job.cost, 0n),
    currency,
    rateCards: [...used].sort(),
  };
}

/** The figures every report's JSON gives for CI, money as an exact decimal string. */
export function ciTotalsJson(ci: CiCost) {
  return {
    runs: ci.runs,
    minutes: ci.minutes,
    total: plainDecimal(ci.total),
    currency: ci.currency,
  };
}
