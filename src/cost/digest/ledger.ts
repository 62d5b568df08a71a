// The digest's running sums, one row at a time: exact money without a bigint per row.
//
// Each cost arrives as a whole part and a fraction in pico-units (both integers, same sign). Sums
// are kept as two float64 integers per figure, carried whenever the fraction passes one unit, so
// every addition is exact while the whole part stays below 2^53 (nine quadrillion). They become
// bigint amounts only when read.
import { ONE, type Amount } from "../money.js";
import { weekday, type Period } from "./period.js";

const UNIT = 1e12;
/** Slots per figure pair: billed whole, billed fraction, effective whole, effective fraction. */
const WIDTH = 4;

export interface Totals {
  billed: Amount;
  effective: Amount;
}

/** A growable table of figure pairs, addressed by slot. */
export class Sums {
  private data: Float64Array;

  constructor(slots = 16) {
    this.data = new Float64Array(slots * WIDTH);
  }

  add(
    slot: number,
    billedUnits: number,
    billedFraction: number,
    effectiveUnits: number,
    effectiveFraction: number,
  ): void {
    const at = slot * WIDTH;
    if (at >= this.data.length) this.grow(at);
    const data = this.data;
    data[at] = data[at]! + billedUnits;
    let fraction = data[at + 1]! + billedFraction;
    if (fraction >= UNIT || fraction <= -UNIT) {
      const carry = Math.trunc(fraction / UNIT);
      fraction -= carry * UNIT;
      data[at] = data[at]! + carry;
    }
    data[at + 1] = fraction;
    data[at + 2] = data[at + 2]! + effectiveUnits;
    fraction = data[at + 3]! + effectiveFraction;
    if (fraction >= UNIT || fraction <= -UNIT) {
      const carry = Math.trunc(fraction / UNIT);
      fraction -= carry * UNIT;
      data[at + 2] = data[at + 2]! + carry;
    }
    data[at + 3] = fraction;
  }

  get(slot: number): Totals {
    const at = slot * WIDTH;
    if (at >= this.data.length) return { billed: 0n, effective: 0n };
    return {
      billed: BigInt(this.data[at]!) * ONE + BigInt(this.data[at + 1]!),
      effective: BigInt(this.data[at + 2]!) * ONE + BigInt(this.data[at + 3]!),
    };
  }

  private grow(at: number): void {
    let length = this.data.length * 2;
    while (length <= at + WIDTH) length *= 2;
    const bigger = new Float64Array(length);
    bigger.set(this.data);
    this.data = bigger;
  }
}

/** Interns names to small integers, keeping the first-seen order. */
export class Names {
  readonly ids = new Map<string, number>();
  readonly list: string[] = [];

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(name, id);
      this.list.push(name);
    }
    return id;
  }
}

export const PERIOD_CURRENT = 0;
export const PERIOD_PREVIOUS = 1;

/** Row flags the readers compute from the columns that drive recommendations. */
export const FLAG_COMPUTE = 1;
export const FLAG_ON_DEMAND = 2;

/** Why rows could not be used, with counts and the first few record numbers. */
export class RowProblems {
  readonly counts = new Map<string, { count: number; records: number[] }>();

  add(reason: string, record: number): void {
    let entry = this.counts.get(reason);
    if (!entry) {
      entry = { count: 0, records: [] };
      this.counts.set(reason, entry);
    }
    entry.count++;
    if (entry.records.length < 3) entry.records.push(record);
  }

  get total(): number {
    let total = 0;
    for (const entry of this.counts.values()) total += entry.count;
    return total;
  }
}

/**
 * Everything a digest adds up. Days outside the window (the period, the previous one and the
 * anomaly baseline before them) are counted, not summed.
 */
export class DigestLedger {
  readonly environments = new Names();
  readonly services = new Names();
  readonly subAccounts = new Names();
  readonly subAccountNames = new Map<string, string>();
  /** Per environment: one slot per day of the window. */
  readonly environmentDays: Sums[] = [];
  /** Per period (current, previous): one slot per service, per sub-account. */
  readonly serviceSums = [new Sums(), new Sums()];
  readonly subAccountSums = [new Sums(), new Sums()];
  /** Current period, per environment: compute cost, the part outside weekdays 08-20, and on-demand compute. */
  readonly compute = new Sums();
  readonly computeOffHours = new Sums();
  readonly onDemandCompute = new Sums();
  readonly problems = new RowProblems();
  /** Rows per day of the window: a day without rows has no data, which is not a zero cost. */
  readonly dayRows: Uint32Array;
  currency: string | undefined;
  rows = 0;
  used = 0;
  outsideWindow = 0;
  readonly windowStart: number;
  readonly windowDays: number;

  constructor(
    readonly period: Period,
    readonly previous: Period,
    /** Days before the period kept for the anomaly baseline. */
    baselineDays: number,
  ) {
    this.windowStart = Math.min(previous.start, period.start - baselineDays);
    this.windowDays = period.end - this.windowStart;
    this.dayRows = new Uint32Array(this.windowDays);
  }

  /**
   * A digest sums one currency, the first a row brings. A row with none, or with another, is not
   * added but counted as a problem (false).
   */
  acceptCurrency(currency: string | undefined, record: number): boolean {
    if (currency === undefined) {
      this.problems.add("BillingCurrency is empty", record);
      return false;
    }
    this.currency ??= currency;
    if (currency === this.currency) return true;
    this.problems.add(`BillingCurrency is ${currency}, not ${this.currency}`, record);
    return false;
  }

  /** Adds one usable row; `environment` is already resolved from the row's tags. */
  add(
    day: number,
    hour: number,
    billedUnits: number,
    billedFraction: number,
    effectiveUnits: number,
    effectiveFraction: number,
    environment: number,
    /** Ids from `services` and `subAccounts`. */
    service: number,
    subAccount: number,
    flags: number,
  ): void {
    this.used++;
    const offset = day - this.windowStart;
    if (offset < 0 || offset >= this.windowDays) {
      this.outsideWindow++;
      return;
    }
    this.dayRows[offset] = this.dayRows[offset]! + 1;
    let days = this.environmentDays[environment];
    if (!days) {
      days = new Sums(this.windowDays);
      this.environmentDays[environment] = days;
    }
    days.add(offset, billedUnits, billedFraction, effectiveUnits, effectiveFraction);
    const which =
      day >= this.period.start
        ? PERIOD_CURRENT
        : day >= this.previous.start && day < this.previous.end
          ? PERIOD_PREVIOUS
          : -1;
    if (which < 0) return;
    this.serviceSums[which]!.add(
      service,
      billedUnits,
      billedFraction,
      effectiveUnits,
      effectiveFraction,
    );
    this.subAccountSums[which]!.add(
      subAccount,
      billedUnits,
      billedFraction,
      effectiveUnits,
      effectiveFraction,
    );
    if (which === PERIOD_CURRENT && (flags & FLAG_COMPUTE) !== 0) {
      this.compute.add(environment, billedUnits, billedFraction, effectiveUnits, effectiveFraction);
      const weekdayIndex = weekday(day);
      if (weekdayIndex >= 5 || hour < 8 || hour >= 20) {
        this.computeOffHours.add(
          environment,
          billedUnits,
          billedFraction,
          effectiveUnits,
          effectiveFraction,
        );
      }
      if ((flags & FLAG_ON_DEMAND) !== 0)
        this.onDemandCompute.add(
          environment,
          billedUnits,
          billedFraction,
          effectiveUnits,
          effectiveFraction,
        );
    }
  }

  /** Sum of an environment's days in [from, to). */
  environmentTotal(environment: number, from: number, to: number): Totals {
    const days = this.environmentDays[environment];
    let billed = 0n;
    let effective = 0n;
    if (days) {
      for (let day = Math.max(from, this.windowStart); day < Math.min(to, this.period.end); day++) {
        const totals = days.get(day - this.windowStart);
        billed += totals.billed;
        effective += totals.effective;
      }
    }
    return { billed, effective };
  }

  /** Whether any row fell on `day`. */
  hasData(day: number): boolean {
    const offset = day - this.windowStart;
    return offset >= 0 && offset < this.windowDays && this.dayRows[offset]! > 0;
  }

  /** Daily totals over all environments for days in [from, to). */
  dailyTotals(from: number, to: number, environment?: number): Totals[] {
    const result: Totals[] = [];
    for (let day = from; day < to; day++) {
      let billed = 0n;
      let effective = 0n;
      const offset = day - this.windowStart;
      const sources =
        environment === undefined ? this.environmentDays : [this.environmentDays[environment]];
      if (offset >= 0 && offset < this.windowDays) {
        for (const days of sources) {
          if (!days) continue;
          const totals = days.get(offset);
          billed += totals.billed;
          effective += totals.effective;
        }
      }
      result.push({ billed, effective });
    }
    return result;
  }
}
