// Exact money: amounts are bigints in pico-units (10^-12 of a currency unit), never floats summed.

/** An amount of money in pico-units of its currency: `1_000_000_000_000n` is one dollar. */
export type Amount = bigint;

/** Decimal places kept: enough for FOCUS exports (11 places) and per-request unit prices. */
export const SCALE = 12;
export const ONE: Amount = 10n ** BigInt(SCALE);
export const ZERO: Amount = 0n;

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses decimal text (`12.5`, `-0.00000080000`, `1.2E-5`) exactly. Digits beyond 12 decimal
 * places are rounded half to even, which `rounded` reports. Returns undefined for anything else.
 */
export function parseAmount(text: string): { amount: Amount; rounded: boolean } | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, sign, whole = "", fraction = "", exponentText] = match;
  if (whole === "" && fraction === "") return undefined;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return undefined;
  // digits × 10^(exponent - fraction.length), rescaled to SCALE decimal places.
  const digits = BigInt(`${whole}${fraction}` || "0");
  const shift = SCALE + exponent - fraction.length;
  let amount: Amount;
  let rounded = false;
  if (shift >= 0) {
    amount = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    amount = divideRoundHalfEven(digits, divisor);
    rounded = amount * divisor !== digits;
  }
  return { amount: sign === "-" ? -amount : amount, rounded };
}

/** Whether a price written as a number or as decimal text is above zero (a price never is zero or less). */
export function isPositivePrice(value: number | string): boolean {
  const parsed = parseAmount(String(value));
  return parsed !== undefined && parsed.amount > 0n;
}

/** Exact conversion of a JavaScript number through its shortest round-trip decimal text. */
export function amountFromNumber(value: number): Amount | undefined {
  if (!Number.isFinite(value)) return undefined;
  return parseAmount(String(value))?.amount;
}

function divideRoundHalfEven(numerator: bigint, divisor: bigint): bigint {
  const quotient = numerator / divisor;
  const remainder = numerator % divisor;
  const twice = 2n * (remainder < 0n ? -remainder : remainder);
  if (twice < divisor) return quotient;
  const away = numerator < 0n ? quotient - 1n : quotient + 1n;
  if (twice > divisor) return away;
  return quotient % 2n === 0n ? quotient : away;
}

/** Divides, rounding half away from zero (the way invoices round). */
export function divideRound(numerator: bigint, divisor: bigint): bigint {
  if (divisor === 0n) throw new RangeError("division by zero");
  if (divisor < 0n) return divideRound(-numerator, -divisor);
  const quotient = numerator / divisor;
  const remainder = numerator % divisor;
  const twice = 2n * (remainder < 0n ? -remainder : remainder);
  if (twice < divisor) return quotient;
  return numerator < 0n ? quotient - 1n : quotient + 1n;
}

/** `amount × numerator / denominator`, rounded half away from zero to a pico-unit. */
export function multiplyRatio(amount: Amount, numerator: bigint, denominator: bigint): Amount {
  return divideRound(amount * numerator, denominator);
}

/** Rounds to `places` decimal places (2 for cents), half away from zero; still in pico-units. */
export function roundTo(amount: Amount, places = 2): Amount {
  const step = 10n ** BigInt(SCALE - places);
  return divideRound(amount, step) * step;
}

/**
 * Rounds each amount to `places` so that the rounded parts add up to the rounded whole (largest
 * remainder method): a table's rows then always sum to its total row.
 */
export function roundPreservingTotal(amounts: readonly Amount[], places = 2): Amount[] {
  const step = 10n ** BigInt(SCALE - places);
  const total = amounts.reduce((sum, amount) => sum + amount, 0n);
  const floors = amounts.map((amount) => floorDiv(amount, step));
  let missing = divideRound(total, step) - floors.reduce((sum, value) => sum + value, 0n);
  const order = amounts
    .map((amount, index) => ({ index, remainder: amount - floors[index]! * step }))
    .sort((a, b) =>
      a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
    );
  const result = [...floors];
  for (const { index } of order) {
    if (missing <= 0n) break;
    result[index] = result[index]! + 1n;
    missing -= 1n;
  }
  // A negative total can need fewer units than the floors give: take them from the smallest remainders.
  for (const { index } of [...order].reverse()) {
    if (missing >= 0n) break;
    result[index] = result[index]! - 1n;
    missing += 1n;
  }
  return result.map((units) => units * step);
}

function floorDiv(numerator: bigint, divisor: bigint): bigint {
  const quotient = numerator / divisor;
  return numerator % divisor !== 0n && numerator < 0n ? quotient - 1n : quotient;
}

/** Fixed-point text with `places` decimals, rounded half away from zero: `1234.57`, `-0.10`. */
export function formatDecimal(amount: Amount, places = 2): string {
  const units = divideRound(amount, 10n ** BigInt(SCALE - places));
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const fraction = places > 0 ? `.${digits.slice(digits.length - places)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** Every decimal the amount has, trailing zeros dropped: `1234.5`, `0.0000008`, `-3`. */
export function plainDecimal(amount: Amount): string {
  return formatDecimal(amount, SCALE)
    .replace(/\.?0+$/, "")
    .replace(/^-0$/, "0");
}

const SYMBOLS: Record<string, string> = { USD: "$", EUR: "€", GBP: "£", JPY: "¥" };

/** Money for people: `$1,234.57`, `-$0.10`, `1,234.57 CHF`. */
export function formatMoney(amount: Amount, currency: string, places = 2): string {
  const text = formatDecimal(amount, places);
  const negative = text.startsWith("-");
  const [whole = "0", fraction] = (negative ? text.slice(1) : text).split(".");
  const grouped = `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${fraction === undefined ? "" : `.${fraction}`}`;
  const symbol = SYMBOLS[currency];
  const body = symbol ? `${symbol}${grouped}` : `${grouped} ${currency}`;
  return negative ? `-${body}` : body;
}

/** A signed difference for tables: `+$12.00`, `-$3.50`, `$0.00`. */
export function formatDelta(amount: Amount, currency: string): string {
  const text = formatMoney(amount, currency);
  return amount > 0n && formatDecimal(amount) !== "0.00" ? `+${text}` : text;
}

/** Percent change from `before` to `after`, one decimal; undefined when there is no base to compare. */
export function percentChange(before: Amount, after: Amount): number | undefined {
  if (before === 0n) return undefined;
  // Tenths of a percent, exactly, then one division for display.
  return Number(divideRound((after - before) * 1000n, before < 0n ? -before : before)) / 10;
}

export function formatPercent(value: number | undefined): string {
  if (value === undefined) return "n/a";
  return `${value > 0 ? "+" : ""}${value.toFixed(1)}%`;
}

/** An amount as a float for statistics (anomaly detection), never for sums. */
export function toNumber(amount: Amount): number {
  return Number(amount) / Number(ONE);
}

export function absolute(amount: Amount): Amount {
  return amount < 0n ? -amount : amount;
}
