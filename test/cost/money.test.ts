// Exact money, schedules and budgets: every figure here is worked out by hand in the comment beside it.
import { describe, expect, it } from "@jest/globals";
import { resolveBudget, standAgainst, breaksBudget } from "../../src/cost/budget.js";
import {
  divideRound,
  formatDecimal,
  formatDelta,
  formatMoney,
  multiplyRatio,
  parseAmount,
  percentChange,
  plainDecimal,
  roundPreservingTotal,
  roundTo,
} from "../../src/cost/money.js";
import { monthlyHours, parseSchedule, ScheduleError } from "../../src/cost/schedule.js";

const usd = (text: string): bigint => parseAmount(text)!.amount;

describe("amounts", () => {
  it("parses decimals exactly in pico-units, with signs, exponents and rounding past 12 places", () => {
    expect(parseAmount("12.5")).toEqual({ amount: 12_500_000_000_000n, rounded: false });
    expect(parseAmount("-0.00000000603")).toEqual({ amount: -6_030n, rounded: false });
    expect(parseAmount("1.2E-5")).toEqual({ amount: 12_000_000n, rounded: false });
    expect(parseAmount(".5")?.amount).toBe(500_000_000_000n);
    // 13th decimal 5 with an even 12th digit: half to even keeps it; odd rounds up.
    expect(parseAmount("0.0000000000025")).toEqual({ amount: 2n, rounded: true });
    expect(parseAmount("0.0000000000035")).toEqual({ amount: 4n, rounded: true });
    for (const bad of ["", "NULL", "1.2.3", "12 USD", "-", "e5"])
      expect(parseAmount(bad)).toBeUndefined();
  });

  it("0.1 + 0.2 is 0.3, unlike floats", () => {
    expect(plainDecimal(usd("0.1") + usd("0.2"))).toBe("0.3");
    expect(0.1 + 0.2).not.toBe(0.3);
  });

  it("rounds half away from zero, like invoices", () => {
    expect(divideRound(5n, 2n)).toBe(3n);
    expect(divideRound(-5n, 2n)).toBe(-3n);
    expect(divideRound(7n, -2n)).toBe(-4n);
    expect(formatDecimal(usd("16.425"))).toBe("16.43"); // $0.0225 × 730 h
    expect(formatDecimal(usd("-16.425"))).toBe("-16.43");
    expect(roundTo(usd("238.272"))).toBe(usd("238.27")); // $0.0816 × 730 × 4
  });

  it("multiplies by exact ratios: weekdays 08-20 of a $0.016 database is $4.17 a month", () => {
    // 3,600 running minutes a week × 730 / 10,080 = 260 5/7 hours; × $0.016 = $4.171428…
    const hours = monthlyHours(parseSchedule("weekdays 08-20"));
    expect(roundTo(multiplyRatio(usd("0.016"), hours.numerator, hours.denominator))).toBe(
      usd("4.17"),
    );
  });

  it("rounds a table so its rows add up to its rounded total (largest remainder)", () => {
    // 1.005 + 1.005 + 1.005 = 3.015 → 3.02 in all; naive rounding gives 1.01 × 3 = 3.03.
    const rows = roundPreservingTotal([usd("1.005"), usd("1.005"), usd("1.005")]);
    expect(rows.map((row) => formatDecimal(row))).toEqual(["1.01", "1.01", "1.00"]);
    // 0.333… thirds of 1: the largest remainders take the cents.
    expect(
      roundPreservingTotal([usd("0.334"), usd("0.333"), usd("0.333")]).map((row) =>
        formatDecimal(row),
      ),
    ).toEqual(["0.34", "0.33", "0.33"]);
    // A negative part (a credit): -0.004 + 0.006 + 0.006 = 0.008 → 0.01.
    const mixed = roundPreservingTotal([usd("-0.004"), usd("0.006"), usd("0.006")]);
    expect(plainDecimal(mixed.reduce((a, b) => a + b, 0n))).toBe("0.01");
  });

  it("formats money for people and differences with a sign", () => {
    expect(formatMoney(usd("1234567.891"), "USD")).toBe("$1,234,567.89");
    expect(formatMoney(usd("-0.10"), "EUR")).toBe("-€0.10");
    expect(formatMoney(usd("12"), "CHF")).toBe("12.00 CHF");
    expect(formatMoney(usd("0.776"), "USD", 3)).toBe("$0.776");
    expect(formatDelta(usd("119.14"), "USD")).toBe("+$119.14");
    expect(formatDelta(usd("-3.5"), "USD")).toBe("-$3.50");
    expect(formatDelta(usd("0.001"), "USD")).toBe("$0.00");
    expect(plainDecimal(usd("-0.00000080000"))).toBe("-0.0000008");
    expect(plainDecimal(0n)).toBe("0");
  });

  it("computes percent changes to a tenth, and none from nothing", () => {
    expect(percentChange(usd("610.09"), usd("729.23"))).toBe(19.5); // 119.14 / 610.09 = 19.53%
    expect(percentChange(usd("100"), usd("50"))).toBe(-50);
    expect(percentChange(0n, usd("5"))).toBeUndefined();
  });
});

describe("schedules", () => {
  it.each([
    ["24/7", 10_080],
    ["always", 10_080],
    ["weekdays 08-20", 3_600], // 5 × 12 h
    ["mon-fri 07:30-19:00", 3_450], // 5 × 11.5 h
    ["daily 22-06", 3_360], // 7 × 8 h across midnight
    ["weekends 10-14", 480],
    ["weekdays 08-20; sat 10-14", 3_840],
    ["weekdays 08-20; mon 10-12", 3_600], // overlap counts once
    ["fri-mon 00-24", 5_760], // a range that wraps the week: 4 days
    ["Mon,Wed,Fri 09-17", 1_440],
  ])("%s runs %d minutes a week", (text, minutes) => {
    expect(parseSchedule(text).minutesPerWeek).toBe(minutes);
  });

  it("turns a week into hours per month on the 730-hour convention", () => {
    expect(monthlyHours(parseSchedule("24/7"))).toEqual({
      numerator: 10_080n * 730n,
      denominator: 10_080n,
    }); // 730 h
    const weekdays = monthlyHours(parseSchedule("weekdays 08-20"));
    expect(Number(weekdays.numerator) / Number(weekdays.denominator)).toBeCloseTo(260.714, 3);
  });

  it.each([
    ["weekdays 08-25", "25:00 is not a time of day"],
    ["someday 08-20", 'unknown day "someday"'],
    ["weekdays", "cannot read"],
    ["daily 08-08", "starts and ends at the same time"],
    ["", "is empty"],
  ])("rejects %j: %s", (text, message) => {
    expect(() => parseSchedule(text)).toThrow(ScheduleError);
    expect(() => parseSchedule(text)).toThrow(message);
  });
});

describe("budgets", () => {
  const budget = resolveBudget({ monthly: 1200, warn: 85 }, "USD").budget!;

  it("defaults warn to 80% and fail to 100%, and checks the order", () => {
    expect(resolveBudget({ monthly: "500" }, "USD").budget).toEqual({
      monthly: usd("500"),
      currency: "USD",
      warnPercent: 80,
      failPercent: 100,
    });
    expect(resolveBudget({ warn: 90 }, "USD").problems).toEqual([
      expect.objectContaining({
        path: "budget.monthly",
        message: expect.stringContaining("is required"),
      }),
    ]);
    expect(resolveBudget({ monthly: 10, warn: 120 }, "USD").problems).toEqual([
      expect.objectContaining({ path: "budget.warn" }),
    ]);
    expect(resolveBudget({ monthly: 0 }, "USD").problems).toEqual([
      expect.objectContaining({ message: "expected a positive amount" }),
    ]);
    expect(resolveBudget(undefined, "USD")).toEqual({ problems: [] });
  });

  it("stands a cost against the thresholds: ok below 85%, warn from $1,020, over from $1,200", () => {
    expect(standAgainst(budget, usd("1019.99"))).toEqual({
      status: "ok",
      usedPercent: 85,
      headroom: usd("180.01"),
    });
    expect(standAgainst(budget, usd("1020")).status).toBe("warn");
    expect(standAgainst(budget, usd("1199.99")).status).toBe("warn");
    expect(standAgainst(budget, usd("1324.91"))).toEqual({
      status: "over",
      usedPercent: 110.4,
      headroom: usd("-124.91"),
    });
  });

  it("a pull request breaks a budget only by raising the cost past it", () => {
    expect(breaksBudget(budget, usd("610.09"), usd("1324.91"))).toBe(true);
    expect(breaksBudget(budget, usd("1300"), usd("1250"))).toBe(false); // over already, but cheaper
    expect(breaksBudget(budget, usd("1000"), usd("1100"))).toBe(false);
  });
});
