// The digest engine without a runner: periods, exact sums, the CSV reader against csv-parse,
// anomalies (worked by hand), forecasts, budget burn and recommendations from the data.
import { describe, expect, it } from "@jest/globals";
import { parse as parseCsv } from "csv-parse/sync";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectAnomalies, median, modifiedZScore } from "../../src/cost/digest/anomalies.js";
import { DigestLedger, FLAG_COMPUTE, FLAG_ON_DEMAND, Sums } from "../../src/cost/digest/ledger.js";
import {
  dayNumber,
  dayText,
  previousPeriod,
  resolvePeriod,
  PeriodError,
  weekday,
} from "../../src/cost/digest/period.js";
import { buildDigestReport, productionByName } from "../../src/cost/digest/report.js";
import { TagResolver } from "../../src/cost/focus/columns.js";
import { readFocusCsv } from "../../src/cost/focus/csv.js";
import { parseAmount, plainDecimal } from "../../src/cost/money.js";
import { ConfigurationError } from "../../src/shared/errors.js";

const usd = (text: string): bigint => parseAmount(text)!.amount;
const split = (text: string): [number, number] => {
  const amount = usd(text);
  const one = 10n ** 12n;
  return [Number(amount / one), Number(amount % one)];
};

describe("periods", () => {
  const now = new Date("2026-03-04T09:00:00Z"); // a Wednesday

  it("resolves week, month, a named month and explicit dates", () => {
    const week = resolvePeriod("week", now);
    expect([dayText(week.start), dayText(week.end - 1)]).toEqual(["2026-02-23", "2026-03-01"]); // last Monday-Sunday
    const month = resolvePeriod("month", now);
    expect([dayText(month.start), dayText(month.end - 1), month.label]).toEqual([
      "2026-02-01",
      "2026-02-28",
      "2026-02",
    ]);
    expect(resolvePeriod("month", new Date("2026-01-15T00:00:00Z")).label).toBe("2025-12");
    const leap = resolvePeriod("2024-02", now);
    expect(leap.end - leap.start).toBe(29);
    const range = resolvePeriod("2024-09-10..2024-09-16", now);
    expect(range.end - range.start).toBe(7);
    expect([dayText(previousPeriod(range).start), dayText(previousPeriod(range).end - 1)]).toEqual([
      "2024-09-03",
      "2024-09-09",
    ]);
    expect(previousPeriod(resolvePeriod("2024-03", now)).label).toBe("2024-02");
    expect(previousPeriod(resolvePeriod("2024-01", now)).label).toBe("2023-12");
    expect(weekday(dayNumber(2026, 3, 4))).toBe(2); // Wednesday
  });

  it.each(["fortnight", "2024-13", "2024-02-30..2024-03-01", "2024-09-10..2024-09-01"])(
    "rejects %j",
    (spec) => {
      expect(() => resolvePeriod(spec, now)).toThrow(PeriodError);
    },
  );
});

describe("exact sums without a bigint per row", () => {
  it("carries fractions into whole units and keeps credits exact", () => {
    const sums = new Sums(1);
    for (let i = 0; i < 1_000; i++) sums.add(0, ...split("0.999999999999"), ...split("0.1"));
    sums.add(0, ...split("-0.000000000001"), ...split("-100.05"));
    sums.add(3, ...split("5"), ...split("5")); // grows
    // 1,000 × 0.999999999999 - 0.000000000001 = 999.999999998999; 1,000 × 0.1 - 100.05 = -0.05.
    expect(plainDecimal(sums.get(0).billed)).toBe("999.999999998999");
    expect(plainDecimal(sums.get(0).effective)).toBe("-0.05");
    expect(plainDecimal(sums.get(3).billed)).toBe("5");
    expect(sums.get(9)).toEqual({ billed: 0n, effective: 0n });
  });
});

async function withCsv<T>(text: string, body: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "cost-csv-"));
  try {
    const path = join(dir, "export.csv");
    await writeFile(path, text);
    return await body(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const september = () => {
  const period = resolvePeriod("2024-09", new Date());
  return new DigestLedger(period, previousPeriod(period), 14);
};

describe("the CSV reader", () => {
  const header =
    "Id,BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart," +
    "ServiceName,SubAccountId,SubAccountName,Tags,ServiceCategory";
  const awkward = [
    `1,"1.50",1.25,USD,2024-09-03 10:00:00,"Amazon ""Elastic"" Compute",` +
      `"111","Team, A","{""environment"": ""prod"", ""note"": ""a,b""}",Compute`,
    `2,0.00000080000,0,USD,2024-09-03T11:00:00Z,"Multi\nline service",222,"B",NULL,Storage`,
    `3,2.5E-3,1,USD,2024-09-04T00:00:00+00:00,S3,222,B,"{""environment"": ""dév""}",Storage`,
    `4,-0.00000000603,-0.00000000603,USD,2024-09-05 00:00:00,S3,222,B,,Storage`,
  ];

  it(
    "agrees with csv-parse on quotes, escaped quotes, commas and line breaks inside fields, " +
      "CRLF and a BOM",
    async () => {
      const text = `\uFEFF${header}\r\n${awkward.join("\r\n")}`; // no final line break either
      const reference = parseCsv(text, { bom: true, columns: true }) as Record<string, string>[];
      const ledger = september();
      const tags = new TagResolver("environment", ledger);
      const summary = await withCsv(text, (path) => readFocusCsv(path, "export.csv", ledger, tags));
      expect(summary).toEqual({
        file: "export.csv",
        records: 4,
        missingOptional: ["PricingCategory", "CommitmentDiscountId"],
      });
      expect(ledger.problems.total).toBe(0);
      expect(ledger.services.list).toEqual(
        reference
          .map((row) => row.ServiceName)
          .filter((name, index, all) => all.indexOf(name) === index),
      );
      expect(ledger.services.list).toEqual([
        'Amazon "Elastic" Compute',
        "Multi\nline service",
        "S3",
      ]);
      expect(ledger.environments.list).toEqual(["prod", "(untagged)", "dév"]);
      expect(ledger.subAccountNames.get("111")).toBe(reference[0]!.SubAccountName);
      const billed = reference.reduce((sum, row) => sum + usd(row.BilledCost!), 0n);
      const report = buildDigestReport(ledger, {
        tagKey: "environment",
        files: [summary],
        budgets: new Map(),
        isProduction: productionByName,
        commitmentDiscount: 25,
      });
      expect(report.total.billed).toBe(billed);
      expect(plainDecimal(report.total.billed)).toBe("1.50250079397"); // 1.5 + 0.0000008 + 0.0025 - 0.00000000603
    },
  );

  it("reads across chunk boundaries: a 3 MB file gives the same sums as its rows added one by one", async () => {
    const rows: string[] = [];
    let expected = 0n;
    for (let i = 0; i < 12_000; i++) {
      const cost = `${i % 7}.${String(i).padStart(11, "0")}`;
      expected += usd(cost);
      rows.push(
        `${i},${cost},0,USD,2024-09-${String((i % 30) + 1).padStart(2, "0")} 00:00:00,` +
          `"Service ${i % 13}",${i % 5},"Name",` +
          `"{""environment"": ""e${i % 3}"", ""padding"": ""${"x".repeat(200)}""}",Other`,
      );
    }
    const ledger = september();
    await withCsv(`${header}\n${rows.join("\n")}\n`, (path) =>
      readFocusCsv(path, "big.csv", ledger, new TagResolver("environment", ledger)),
    );
    expect(ledger.rows).toBe(12_000);
    expect(
      ledger
        .dailyTotals(ledger.period.start, ledger.period.end)
        .reduce((sum, day) => sum + day.billed, 0n),
    ).toBe(expected);
    expect(ledger.environments.list.sort()).toEqual(["e0", "e1", "e2"]);
  });

  it("refuses an export without the columns it needs, naming them", async () => {
    const ledger = september();
    await expect(
      withCsv("BilledCost,Tags\n1,NULL\n", (path) =>
        readFocusCsv(path, "x.csv", ledger, new TagResolver("environment", ledger)),
      ),
    ).rejects.toThrow(
      "x.csv:1: is not a FOCUS export the digest can use: " +
        "column(s) EffectiveCost, BillingCurrency, ChargePeriodStart missing from its header",
    );
    await expect(
      withCsv("", (path) =>
        readFocusCsv(path, "empty.csv", ledger, new TagResolver("environment", ledger)),
      ),
    ).rejects.toThrow(ConfigurationError);
  });

  it("parses each distinct Tags text once", async () => {
    const ledger = september();
    const tags = new TagResolver("environment", ledger);
    let parses = 0;
    const original = JSON.parse;
    JSON.parse = ((
      text: string,
      reviver?: (this: unknown, key: string, value: unknown) => unknown,
    ) => {
      parses++;
      return original(text, reviver);
    }) as typeof JSON.parse;
    try {
      const rows = Array.from(
        { length: 500 },
        (_, i) => `${i},1,1,USD,2024-09-01 00:00:00,S,1,N,"{""environment"": ""e${i % 4}""}",Other`,
      );
      await withCsv(`${header}\n${rows.join("\n")}\n`, (path) =>
        readFocusCsv(path, "t.csv", ledger, tags),
      );
    } finally {
      JSON.parse = original;
    }
    expect(parses).toBe(4);
  });
});

describe("anomalies", () => {
  it("computes the modified z-score by hand", () => {
    // Baseline 10, 12, 11, 13, 9, 10, 12: median 11; deviations 1,1,0,2,2,1,1 → MAD 1.
    // Value 20: 0.6745 × 9 / 1 = 6.0705.
    const baseline = [10, 12, 11, 13, 9, 10, 12];
    expect(median(baseline)).toBe(11);
    expect(modifiedZScore(20, baseline).score).toBeCloseTo(6.0705, 4);
    expect(modifiedZScore(13, baseline).score).toBeCloseTo(1.349, 3);
    // MAD 0 (most days equal): the mean absolute deviation, 2/7, scaled by 1.253314 stands in.
    // (14 - 10) / (1.253314 × 2/7) = 11.1705.
    expect(modifiedZScore(14, [10, 10, 10, 10, 10, 11, 9]).score).toBeCloseTo(11.1705, 3);
    expect(modifiedZScore(10, [10, 10, 10, 10, 10, 10, 10]).score).toBe(0);
    expect(modifiedZScore(10.5, [10, 10, 10, 10, 10, 10, 10]).score).toBe(Infinity);
  });

  it(
    "flags a day far outside its trailing two weeks, skips days without data, " +
      "and waits for seven days of baseline",
    () => {
      const values = [10, 12, 11, 13, 9, 10, 12, 11, 10, 12, 30, 11, 2, 11];
      const series = values.map((value, index) => ({
        day: 100 + index,
        value: index === 3 ? undefined : value,
      }));
      const found = detectAnomalies(series, 100);
      // Day 110 (30): baseline 10,12,11,9,10,12,11,10,12 (day 103 has no data) → median 11, MAD 1 → z = 12.8.
      // Day 112 (2): baseline adds 30 and 11 → median 11, MAD 1 → z = -6.07. Days before 108 lack 7 baseline days.
      expect(
        found.map((anomaly) => [
          anomaly.day,
          anomaly.direction,
          Math.round(anomaly.score * 100) / 100,
        ]),
      ).toEqual([
        [110, "spike", 12.82],
        [112, "drop", -6.07],
      ]);
    },
  );
});

describe("the digest report", () => {
  function ledgerWith(
    rows: [
      day: string,
      hour: number,
      billed: string,
      environment: string,
      service: string,
      flags: number,
    ][],
  ): DigestLedger {
    const ledger = september();
    ledger.currency = "USD";
    for (const [day, hour, billed, environment, service, flags] of rows) {
      const [y, m, d] = day.split("-").map(Number) as [number, number, number];
      ledger.add(
        dayNumber(y, m, d),
        hour,
        ...split(billed),
        ...split(billed),
        ledger.environments.id(environment),
        ledger.services.id(service),
        ledger.subAccounts.id("acct"),
        flags,
      );
    }
    return ledger;
  }

  it("forecasts the month from the days with data, burns budgets, and finds scheduling and commitment savings", () => {
    const compute = FLAG_COMPUTE;
    const rows: [string, number, string, string, string, number][] = [];
    for (let day = 1; day <= 10; day++) {
      const date = `2024-09-${String(day).padStart(2, "0")}`;
      rows.push([date, 3, "2", "dev", "EC2", compute]); // 03:00: outside weekdays 08-20
      rows.push([date, 12, "1", "dev", "EC2", compute]); // noon: inside on weekdays, outside on weekends
      rows.push([date, 12, "5", "prod", "EC2", compute | FLAG_ON_DEMAND]);
    }
    rows.push(["2024-08-20", 12, "7", "prod", "EC2", compute]); // previous month
    const ledger = ledgerWith(rows);
    const report = buildDigestReport(ledger, {
      tagKey: "environment",
      files: [],
      budgets: new Map([
        ["prod", { monthly: usd("100"), currency: "USD", warnPercent: 80, failPercent: 100 }],
      ]),
      isProduction: productionByName,
      commitmentDiscount: 25,
    });
    expect(plainDecimal(report.total.billed)).toBe("80"); // 10 × (2 + 1 + 5)
    expect(plainDecimal(report.previousTotal.billed)).toBe("7");
    expect(report.percent).toBe(1042.9); // (80 - 7) / 7
    const prod = report.environments.find((environment) => environment.name === "prod")!;
    const dev = report.environments.find((environment) => environment.name === "dev")!;
    // Ten of thirty days have data: prod 50 × 30 / 10 = 150, dev 30 × 3 = 90; forecast 240.
    expect([
      plainDecimal(prod.forecast!),
      plainDecimal(dev.forecast!),
      plainDecimal(report.forecast!.billed),
    ]).toEqual(["150", "90", "240"]);
    expect(report.forecast).toMatchObject({ elapsedDays: 10, periodDays: 30, complete: false });
    expect(prod.budget?.standing).toMatchObject({ status: "ok", usedPercent: 50 });
    expect(prod.budget?.forecastStanding).toMatchObject({ status: "over", usedPercent: 150 });
    // dev compute 30, off-hours: every 03:00 row (20) plus the noon rows of Sun 1, Sat 7 and Sun 8
    // (3) = 23. Month-scaled: 23 × 730 / (24 × 30) = 23.3194 → 23.32. prod on-demand 50 → 50.69 a
    // month, 25% of it = 12.67.
    expect(
      report.recommendations.map((item) => [
        item.kind,
        item.environment,
        plainDecimal(item.monthlySaving),
      ]),
    ).toEqual([
      ["schedule-non-production", "dev", "23.32"],
      ["commit-production", "prod", "12.67"],
    ]);
    expect(report.recommendations[0]!.message).toContain("77% of its compute cost"); // 23 / 30
    expect(report.movers.map((mover) => [mover.name, plainDecimal(mover.delta)])).toEqual([
      ["EC2", "73"],
    ]);
    expect(report.daily.filter((day) => day.hasData)).toHaveLength(10);
  });
});
