// One side of a resource in a plan: its attribute values, and which are known only after apply.

/** An attribute Terraform will only know after apply (`after_unknown` marks it `true`). */
export const UNKNOWN: unique symbol = Symbol("known after apply");
export type Unknown = typeof UNKNOWN;

type Segment = string | number;

function step(node: unknown, segment: Segment): unknown {
  if (Array.isArray(node)) return typeof segment === "number" ? node[segment] : undefined;
  if (typeof node === "object" && node !== null)
    return (node as Record<string, unknown>)[String(segment)];
  return undefined;
}

export class Attributes {
  /**
   * @param values `change.before` or `change.after`
   * @param unknown `change.after_unknown`: the same shape, `true` where a value is known only
   *   after apply (a whole block or list may be `true`)
   */
  constructor(
    readonly values: unknown,
    readonly unknown: unknown = undefined,
  ) {}

  /** The value at `path`; UNKNOWN when Terraform knows it only after apply; undefined when unset. */
  read(...path: Segment[]): unknown {
    let value = this.values;
    let unknown = this.unknown;
    for (const segment of path) {
      if (unknown === true) return UNKNOWN;
      value = step(value, segment);
      unknown = step(unknown, segment);
    }
    if (unknown === true && (value === null || value === undefined)) return UNKNOWN;
    return value ?? undefined;
  }

  /** A string attribute; anything else that is set reads as undefined. */
  text(...path: Segment[]): string | Unknown | undefined {
    const value = this.read(...path);
    return typeof value === "string" || value === UNKNOWN ? value : undefined;
  }

  /** A number attribute (Terraform writes numbers as JSON numbers). */
  number(...path: Segment[]): number | Unknown | undefined {
    const value = this.read(...path);
    return typeof value === "number" || value === UNKNOWN ? value : undefined;
  }

  boolean(...path: Segment[]): boolean | Unknown | undefined {
    const value = this.read(...path);
    return typeof value === "boolean" || value === UNKNOWN ? value : undefined;
  }

  /** How many items a list (or block list) holds; 0 when unset, UNKNOWN when not yet known. */
  count(...path: Segment[]): number | Unknown {
    const value = this.read(...path);
    if (value === UNKNOWN) return UNKNOWN;
    return Array.isArray(value) ? value.length : 0;
  }

  /** The attributes under one block (`root_block_device`, 0). */
  at(...path: Segment[]): Attributes {
    let value = this.values;
    let unknown = this.unknown;
    for (const segment of path) {
      value = step(value, segment);
      unknown = unknown === true ? true : step(unknown, segment);
    }
    return new Attributes(value, unknown);
  }
}
