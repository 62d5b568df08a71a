// What a resource's attributes and usage come to before any price: cost components, each a catalog
// key and a monthly quantity, or a part that cannot be priced and why.
import type { PriceUnit } from "../catalog.js";
import { amountFromNumber, ONE } from "../money.js";
import { formatRatio } from "../pricing.js";
import { HOURS_PER_MONTH, type Ratio } from "../schedule.js";
import type { ResourceKind } from "../../schema/cost.js";
import { UNKNOWN, type Attributes, type Unknown } from "./attributes.js";
import type { ResourceUsage, UsageFigure } from "./usage.js";

export interface Component {
  /** Which part of the resource: `instance`, `root volume`, `requests`. */
  label: string;
  kind: ResourceKind;
  /** The pricing catalog key. */
  key: string;
  /** The unit the catalog entry must be priced in. */
  unit: PriceUnit;
  /** Units per month, exact. */
  quantity: Ratio;
  quantityText: string;
  /** Instances, for hourly parts (the count the report and recommendations compare). */
  count?: number;
  note?: string;
}

export interface UnpricedPart {
  label: string;
  reason: string;
}

/** How the mapping of one side of a resource reaches the rest of the plan and the usage file. */
export interface MapContext {
  usage: ResourceUsage;
  /**
   * The same side of another resource of `type` this one points at through the attribute at
   * `path` (`launch_template.0.id`): by the attribute's value when known, else by the reference
   * in the plan's configuration.
   */
  related(
    type: string,
    path: readonly (string | number)[],
    matchAttribute: string,
  ): Attributes | undefined;
}

/** Collects a resource's components and unpriced parts. */
export class Mapped {
  readonly components: Component[] = [];
  readonly unpriced: UnpricedPart[] = [];

  /** `count` instances running all month (730 hours each). */
  hourly(label: string, kind: ResourceKind, key: string, count = 1, note?: string): void {
    this.components.push({
      label,
      kind,
      key,
      unit: "hour",
      quantity: { numerator: HOURS_PER_MONTH * BigInt(count), denominator: 1n },
      quantityText: `${count} × ${HOURS_PER_MONTH} h`,
      count,
      ...(note ? { note } : {}),
    });
  }

  /** `count` × `amount` units all month: GB provisioned, IOPS provisioned. */
  perMonth(
    label: string,
    kind: ResourceKind,
    key: string,
    unit: PriceUnit,
    amount: number,
    options: { count?: number; unitText?: string; note?: string } = {},
  ): void {
    const count = options.count ?? 1;
    const perItem = ratioOf(amount);
    const text = `${amount} ${options.unitText ?? unit}`;
    this.components.push({
      label,
      kind,
      key,
      unit,
      quantity: { numerator: perItem.numerator * BigInt(count), denominator: perItem.denominator },
      quantityText: count === 1 ? text : `${count} × ${text}`,
      ...(options.note ? { note: options.note } : {}),
    });
  }

  /** A flat monthly price per item (an Azure disk tier), `count` items. */
  monthly(label: string, kind: ResourceKind, key: string, count = 1, note?: string): void {
    this.components.push({
      label,
      kind,
      key,
      unit: "month",
      quantity: { numerator: BigInt(count), denominator: 1n },
      quantityText: `${count} × 1 month`,
      ...(note ? { note } : {}),
    });
  }

  /** A usage-priced part: a figure of the usage file in the entry's unit. */
  usage(
    label: string,
    kind: ResourceKind,
    key: string,
    unit: PriceUnit,
    figure: UsageFigure,
  ): void {
    this.components.push({
      label,
      kind,
      key,
      unit,
      quantity: { numerator: figure.amount, denominator: ONE },
      quantityText: `${figure.text} ${unit}`,
    });
  }

  /** A part that has a cost shipgate cannot compute. */
  unpricedPart(label: string, reason: string): void {
    this.unpriced.push({ label, reason });
  }

  /**
   * The value when it is known; otherwise records why the part is unpriced and returns undefined.
   */
  need<T>(label: string, attribute: string, value: T | Unknown | undefined): T | undefined {
    if (value === UNKNOWN) this.unpricedPart(label, `${attribute} is known only after apply`);
    else if (value === undefined) this.unpricedPart(label, `${attribute} is not set`);
    else return value;
    return undefined;
  }
}

/** A JSON number as an exact fraction, through its shortest decimal text (`1.5` -> 3/2). */
export function ratioOf(value: number): Ratio {
  return { numerator: amountFromNumber(value) ?? 0n, denominator: ONE };
}

/** A usage figure's text with its unit, for quantities built from several figures. */
export function ratioText(ratio: Ratio, unit: string): string {
  return `${formatRatio(ratio)} ${unit}`;
}

/** The value, or the default when it is not set (null) in the plan; UNKNOWN stays UNKNOWN. */
export function orDefault<T>(value: T | Unknown | undefined, fallback: T): T | Unknown {
  return value === undefined ? fallback : value;
}
