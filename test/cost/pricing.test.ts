// Catalogs, pricing, comparison, recommendations and CI minutes, with hand-checked figures.
import { describe, expect, it } from "@jest/globals";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import { mergeCatalogs, parseCatalog, type Catalog } from "../../src/cost/catalog.js";
import {
  billableMinutes,
  parseRateCard,
  parseRateOverlay,
  priceJobs,
  rateCardFor,
  skuForLabels,
  type JobRecord,
} from "../../src/cost/ci-cost.js";
import { compareEnvironment, type EnvironmentSide } from "../../src/cost/compare.js";
import { loadDefaultCatalog, loadRateCards } from "../../src/cost/defaults.js";
import { formatDecimal, parseAmount, plainDecimal } from "../../src/cost/money.js";
import { priceResources } from "../../src/cost/pricing.js";
import {
  commitmentSaving,
  recommendForPullRequest,
  schedulingSaving,
} from "../../src/cost/recommendations.js";
import type { Resources } from "../../src/schema/cost.js";
import { ConfigurationError } from "../../src/shared/errors.js";

const usd = (text: string): bigint => parseAmount(text)!.amount;
const catalogOf = (yaml: string, file = "catalog.yml"): Catalog =>
  parseCatalog(parseYamlSource(file, yaml));

const CATALOG = catalogOf(`
currency: USD
commitment-discount: 30
prices:
  vm.small: { price: "0.0416", unit: hour }
  vm.large: { price: "0.0832", unit: hour, commitment-discount: 40 }
  disk.ssd: { price: "0.08", unit: GB-month }
  lb.app: { price: "0.0225", unit: hour }
  db.small: { price: "0.016", unit: hour }
`);

function price(resources: Resources) {
  return priceResources(resources, CATALOG, "USD");
}

describe("pricing catalogs", () => {
  it(
    "the bundled catalog has a few dozen AWS, Google Cloud and Azure prices, " +
      "each with its source and date",
    async () => {
      const catalog = await loadDefaultCatalog();
      const keys = [...catalog.entries.keys()];
      expect(keys.length).toBeGreaterThanOrEqual(36);
      for (const provider of ["aws.", "gcp.", "azure."])
        expect(keys.filter((key) => key.startsWith(provider)).length).toBeGreaterThanOrEqual(8);
      for (const entry of catalog.entries.values()) {
        expect({
          key: entry.key,
          source: entry.source?.startsWith("https://"),
          checked: entry.checked,
          currency: entry.currency,
        }).toEqual({
          key: entry.key,
          source: true,
          checked: expect.stringMatching(/^2026-(11-23|12-01)$/),
          currency: "USD",
        });
      }
      expect(catalog.entries.get("aws.ec2.m7g.large")).toMatchObject({
        price: usd("0.0816"),
        unit: "hour",
      });
    },
  );

  it("a user catalog overrides same keys and adds new ones", async () => {
    const user = catalogOf(
      "currency: USD\nprices:\n  aws.ec2.m7g.large: { price: '0.07', unit: hour }\n" +
        "  acme.box: { price: '1', unit: month }\n",
      "prices.yml",
    );
    const merged = mergeCatalogs([await loadDefaultCatalog(), user]);
    expect(merged.entries.get("aws.ec2.m7g.large")).toMatchObject({
      price: usd("0.07"),
      origin: "prices.yml",
    });
    expect(merged.entries.get("acme.box")).toMatchObject({ unit: "month" });
    expect(merged.entries.get("aws.ebs.gp3")?.origin).toContain("default");
  });

  it("a bad catalog names each problem with its file and line", () => {
    const attempt = () =>
      catalogOf(
        "prices:\n  ok: { price: '1', unit: hour, currency: USD }\n  bad:\n    price: lots\n    unit: week\n",
        "mine.yml",
      );
    expect(attempt).toThrow(ConfigurationError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigurationError).problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            path: "prices.bad.price",
            at: expect.objectContaining({ file: "mine.yml", line: 4 }),
          }),
          expect.objectContaining({
            path: "prices.bad.unit",
            at: expect.objectContaining({ file: "mine.yml", line: 5 }),
          }),
        ]),
      );
    }
  });

  it("refuses negative and zero prices however they are written, with file and line", () => {
    const problems = (yaml: string): string[] => {
      try {
        catalogOf(yaml, "mine.yml");
      } catch (error) {
        return (error as ConfigurationError).problems.map(
          (problem) => `${problem.path}@${problem.at?.line}`,
        );
      }
      return [];
    };
    const catalog = (price: string) =>
      `currency: USD\nprices:\n  ok: { price: "0.01", unit: hour }\n  bad: { price: ${price}, unit: hour }\n`;
    // A negative price once priced a production environment at -$121.57.
    for (const price of ["-0.0416", "0", "0.0", "-1", '"0"', '"0.000"', '"-0.0416"'])
      expect([price, problems(catalog(price))]).toEqual([price, ["prices.bad.price@4"]]);
    expect(problems(catalog('"0.0416"'))).toEqual([]);
  });

  it("refuses negative and zero runner prices in rate cards and the rates overlay", () => {
    const card = (price: string) =>
      "effective: '2026-01-01'\ncurrency: USD\nsource: x\nchecked: '2026-01-01'\n" +
      `skus:\n  a: { price: ${price} }\n`;
    for (const price of ["-0.006", "0", '"0"'])
      expect(() => parseRateCard(parseYamlSource("r.yml", card(price)))).toThrow(
        /r\.yml:6 skus\.a\.price: /,
      );
    expect(() =>
      parseRateOverlay(parseYamlSource("o.yml", "skus:\n  a: { price: -0.05, labels: [gpu] }\n")),
    ).toThrow(/o\.yml:2 skus\.a\.price: /);
  });

  it("refuses a negative or zero custom unit price", () => {
    const { problems } = price({
      custom: [
        { name: "credit", "unit-price": -121.57 },
        { name: "free", "unit-price": 0, quantity: 3 },
        { name: "seats", "unit-price": "15", quantity: 4 },
      ],
    });
    expect(problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      "resources.custom[0].unit-price: expected a positive price",
      "resources.custom[1].unit-price: expected a positive price",
    ]);
  });
});

describe("pricing resources", () => {
  it("prices hourly, scheduled, storage and custom lines; totals are sums of cents", () => {
    const { priced, problems } = price({
      compute: [
        { name: "api", type: "vm.small", count: 3 }, // 0.0416 × 730 × 3 = 91.104 → 91.10
        { name: "batch", type: "vm.large", schedule: "weekdays 08-20" }, // 0.0832 × 260 5/7 = 21.6914 → 21.69
        { name: "spiky", type: "vm.small", hours: 100 }, // 0.0416 × 100 = 4.16
        { name: "reserved", type: "vm.large", pricing: "committed" }, // 0.0832 × 0.6 × 730 = 36.4416 → 36.44
      ],
      "load-balancers": [{ name: "lb", type: "lb.app" }], // 0.0225 × 730 = 16.425 → 16.43
      storage: [{ name: "data", type: "disk.ssd", gb: 250 }], // 0.08 × 250 = 20.00
      custom: [{ name: "seats", "unit-price": 15, quantity: 4, unit: "seat" }], // 60.00
    });
    expect(problems).toEqual([]);
    expect(
      priced.lines.map((line) => [line.name, formatDecimal(line.monthly), line.quantityText]),
    ).toEqual([
      ["api", "91.10", "3 × 730 h"],
      ["batch", "21.69", "1 × 260.71 h"],
      ["spiky", "4.16", "1 × 100 h"],
      ["reserved", "36.44", "1 × 730 h"],
      ["lb", "16.43", "1 × 730 h"],
      ["data", "20.00", "250 GB"],
      ["seats", "60.00", "4 seat"],
    ]);
    expect(formatDecimal(priced.total)).toBe("249.82");
    expect(priced.unpriced).toEqual([]);
  });

  it("lists unknown types as unpriced instead of zero, and reports what the user must fix", () => {
    const { priced, problems } = price({
      compute: [
        { name: "x", type: "nowhere.vm" },
        { name: "bad", type: "vm.small", schedule: "weekdays 9-5pm" },
        { name: "both", type: "vm.small", schedule: "24/7", hours: 10 },
        { name: "disk", type: "disk.ssd" },
        { name: "x", type: "vm.small" },
      ],
    });
    expect(priced.unpriced).toEqual([
      {
        kind: "compute",
        name: "x",
        type: "nowhere.vm",
        reason: "not in the pricing catalog",
        // What was declared, so a later change to the unpriced item shows.
        count: 1,
        scheduleText: "24/7",
        quantityText: "1 × 730 h",
        pricing: "on-demand",
      },
    ]);
    expect(problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      expect.stringMatching(/^resources\.compute\[1\]\.schedule: cannot read "weekdays 9-5pm"/),
      "resources.compute[2]: set either schedule or hours, not both",
      expect.stringMatching(/^resources\.compute\[3\]\.type: disk\.ssd is priced per GB-month/),
      'resources.compute[4].name: "x" is used twice in resources.compute',
    ]);
  });
});

const side = (resources: Resources, production = false): EnvironmentSide => ({
  priced: price(resources).priced,
  production,
});

describe("comparing base and head", () => {
  it("reports each changed, added and removed line, and totals that are the sums of the rows", () => {
    const base = side({
      compute: [{ name: "api", type: "vm.small", count: 2 }],
      storage: [{ name: "old", type: "disk.ssd", gb: 10 }],
    });
    const head = side({
      compute: [{ name: "api", type: "vm.small", count: 3 }],
      "load-balancers": [{ name: "lb", type: "lb.app" }],
    });
    const comparison = compareEnvironment("staging", base, head);
    // api 60.74 → 91.10 (+30.36); lb +16.43; old -0.80.
    expect(
      comparison.changes.map((change) => [change.key, change.change, formatDecimal(change.delta)]),
    ).toEqual([
      ["compute/api", "changed", "30.36"],
      ["load-balancers/lb", "added", "16.43"],
      ["storage/old", "removed", "-0.80"],
    ]);
    expect([
      formatDecimal(comparison.beforeTotal),
      formatDecimal(comparison.afterTotal),
      formatDecimal(comparison.delta),
    ]).toEqual(["61.54", "107.53", "45.99"]);
    expect(comparison.changes.reduce((sum, change) => sum + change.delta, 0n)).toBe(
      comparison.delta,
    );
    expect(comparison.percent).toBe(74.7); // 45.99 / 61.54
  });

  it("says what changed on each line, before -> after: type, count, schedule, size, pricing, unit price", () => {
    const base = side({
      compute: [
        { name: "api", type: "vm.small", count: 2, schedule: "weekdays 07-21" },
        { name: "batch", type: "vm.small", hours: 100 },
        { name: "web", type: "vm.small" },
      ],
      storage: [{ name: "data", type: "disk.ssd", gb: 100 }],
      custom: [{ name: "seats", "unit-price": 15, quantity: 4, unit: "seat" }],
    });
    const head = side({
      compute: [
        { name: "api", type: "vm.large", count: 3 },
        { name: "batch", type: "vm.small", hours: 200 },
        { name: "web", type: "vm.small", pricing: "committed" },
      ],
      storage: [{ name: "data", type: "disk.ssd", gb: 500 }],
      custom: [{ name: "seats", "unit-price": 20, quantity: 5, unit: "seat" }],
    });
    const details = Object.fromEntries(
      compareEnvironment("staging", base, head).changes.map((change) => [
        change.key,
        change.details,
      ]),
    );
    expect(details).toEqual({
      "compute/api": ["type vm.small → vm.large", "count 2 → 3", "schedule weekdays 07-21 → 24/7"],
      "compute/batch": ["hours 100 → 200 a month"],
      "compute/web": ["pricing on-demand → committed"],
      "storage/data": ["size 100 GB → 500 GB"],
      "custom/seats": ["quantity 4 seat → 5 seat", "unit price $15.00 → $20.00"],
    });
  });

  it("counts unpriced items the pull request adds, removes or changes, never as zero", () => {
    const base = side({
      compute: [
        { name: "kept", type: "nowhere.vm" },
        { name: "grown", type: "nowhere.vm", count: 1 },
        { name: "gone", type: "nowhere.db" },
      ],
    });
    const head = side({
      compute: [
        { name: "kept", type: "nowhere.vm" },
        { name: "grown", type: "nowhere.vm", count: 4 },
        { name: "new", type: "acme.vm.huge" },
      ],
    });
    const comparison = compareEnvironment("development", base, head);
    expect(comparison.delta).toBe(0n);
    expect(
      comparison.unpricedChanges.map((change) => [change.key, change.change, change.details]),
    ).toEqual([
      ["compute/grown", "changed", ["count 1 → 4"]],
      ["compute/new", "added", []],
      ["compute/gone", "removed", []],
    ]);
  });

  it("a new environment has no base and no percentage", () => {
    const comparison = compareEnvironment(
      "preview",
      undefined,
      side({ compute: [{ name: "api", type: "vm.small" }] }),
    );
    expect(comparison.before).toBeUndefined();
    expect(comparison.percent).toBeUndefined();
    expect(formatDecimal(comparison.delta)).toBe("30.37");
  });
});

describe("recommendations", () => {
  it("computes the savings by hand: 9/14 for scheduling, the discount for a commitment", () => {
    expect(formatDecimal(schedulingSaving(usd("30.37")))).toBe("19.52"); // 30.37 × 6,480 / 10,080 = 19.5236
    expect(formatDecimal(commitmentSaving(usd("238.27"), 25))).toBe("59.57"); // 59.5675
  });

  it(
    "advises on what the pull request adds or changes: scheduling 24/7 non-production, " +
      "committing steady production, double-checking jumps; untouched lines are the digest's",
    () => {
      const comparisons = [
        compareEnvironment(
          "dev",
          side({
            compute: [
              { name: "api", type: "vm.small" },
              { name: "night", type: "vm.small", schedule: "weekdays 08-20" },
            ],
          }),
          side({
            compute: [
              { name: "api", type: "vm.small" }, // untouched, 24/7: advised in the digest, not here
              { name: "night", type: "vm.small", schedule: "weekdays 08-20" },
              { name: "worker", type: "vm.small" }, // added, 24/7
            ],
          }),
        ),
        compareEnvironment(
          "prod",
          side(
            {
              compute: [
                { name: "web", type: "vm.small", count: 2 },
                { name: "grow", type: "vm.small", count: 2 },
                { name: "steady", type: "vm.large", count: 2 },
              ],
              storage: [{ name: "db", type: "disk.ssd", gb: 100 }],
            },
            true,
          ),
          side(
            {
              compute: [
                { name: "web", type: "vm.large", count: 2 },
                { name: "grow", type: "vm.small", count: 5 },
                { name: "steady", type: "vm.large", count: 2 }, // untouched
              ],
              storage: [{ name: "db", type: "disk.ssd", gb: 300 }],
            },
            true,
          ),
        ),
      ];
      expect(
        recommendForPullRequest(comparisons).map((item) => [
          item.kind,
          item.environment,
          item.subject,
          formatDecimal(item.monthlySaving),
        ]),
      ).toEqual([
        // grow: 0.0416 × 730 × 5 = 151.84 vs 60.74: +91.10 (count 2 → 5).
        ["double-check-jump", "prod", "compute/grow", "91.10"],
        // web: vm.small → vm.large (unit price ×2.0): 121.47 vs 60.74, +60.73.
        ["double-check-jump", "prod", "compute/web", "60.73"],
        // web: 0.0832 × 730 × 2 = 121.47, at vm.large's own 40% discount = 48.588 → 48.59.
        ["commit-production", "prod", "compute/web", "48.59"],
        // dev worker 24/7: 30.37 × 9/14 = 19.52; the untouched api and the scheduled night are left alone.
        ["schedule-non-production", "dev", "compute/worker", "19.52"],
        // db: 100 → 300 GB, 8.00 → 24.00.
        ["double-check-jump", "prod", "storage/db", "16.00"],
      ]);
    },
  );
});

describe("CI minutes", () => {
  const job = (
    id: number,
    labels: string[],
    startedAt: string,
    completedAt: string | null,
  ): JobRecord => ({
    id,
    runId: 1,
    name: `job${id}`,
    labels,
    startedAt,
    completedAt,
    conclusion: "success",
  });

  it("rounds each job up to whole minutes", () => {
    expect(billableMinutes("2026-01-05T10:00:00Z", "2026-01-05T10:00:01Z")).toBe(1);
    expect(billableMinutes("2026-01-05T10:00:00Z", "2026-01-05T10:02:00Z")).toBe(2);
    expect(billableMinutes("2026-01-05T10:00:00Z", "2026-01-05T10:02:00.001Z")).toBe(3);
    expect(billableMinutes("2026-01-05T10:00:00Z", "2026-01-05T10:00:00Z")).toBe(0);
  });

  it("uses the rate card in effect on the job's day: 2026 prices no longer follow 1:2:10", async () => {
    const cards = await loadRateCards();
    expect(cards.map((card) => card.effective)).toEqual(["2023-01-01", "2026-01-01"]);
    expect(rateCardFor(cards, "2025-12-31")?.effective).toBe("2023-01-01");
    expect(rateCardFor(cards, "2026-01-01")?.effective).toBe("2026-01-01");
    expect(rateCardFor(cards, "2022-06-01")).toBeUndefined();
    const now = rateCardFor(cards, "2026-06-01")!;
    const perMinute = (sku: string) => plainDecimal(now.skus.get(sku)!.pricePerMinute);
    expect([
      perMinute("actions_linux"),
      perMinute("actions_windows"),
      perMinute("actions_macos"),
    ]).toEqual(["0.006", "0.01", "0.062"]);
  });

  it("maps labels through the user's overlay first, then GitHub's standard labels", async () => {
    const cards = await loadRateCards();
    const overlay = parseRateOverlay(
      parseYamlSource(
        "rates.yml",
        "skus:\n  mine: { price: '0.001', labels: [self-hosted] }\nlabels:\n  big-runner: actions_linux_8_core\n",
      ),
    );
    const card = rateCardFor(cards, "2026-02-01")!;
    expect(skuForLabels(["ubuntu-24.04"], card, overlay)?.sku).toBe("actions_linux");
    expect(skuForLabels(["self-hosted", "linux"], card, overlay)?.sku).toBe("mine");
    expect(skuForLabels(["big-runner"], card, overlay)?.sku).toBe("actions_linux_8_core");
    expect(skuForLabels(["who-knows"], card, overlay)).toBeUndefined();

    const cost = priceJobs(
      1,
      [
        job(1, ["ubuntu-latest"], "2026-02-01T10:00:00Z", "2026-02-01T10:09:01Z"), // 10 × 0.006 = 0.06
        job(2, ["macos-15"], "2026-02-01T10:00:00Z", "2026-02-01T10:03:00Z"), // 3 × 0.062 = 0.186
        job(3, ["self-hosted"], "2026-02-01T10:00:00Z", "2026-02-01T11:00:00Z"), // 60 × 0.001 = 0.06
        job(4, ["windows-latest"], "2025-11-01T10:00:00Z", "2025-11-01T10:10:00Z"), // 10 × 0.016 = 0.16 (2025)
        job(5, ["gpu-runner"], "2026-02-01T10:00:00Z", "2026-02-01T10:01:00Z"),
        job(6, ["ubuntu-latest"], "2026-02-01T10:00:00Z", null),
      ],
      cards,
      overlay,
    );
    expect(plainDecimal(cost.total)).toBe("0.466");
    expect(cost.minutes).toBe(83);
    expect(cost.unpriced.map((item) => item.job.id)).toEqual([5]);
    expect(cost.inProgress.map((item) => item.id)).toEqual([6]);
  });

  it("prices GitHub's 2026 Windows arm64, macOS 12-core and GPU runners from its reference", async () => {
    const card = rateCardFor(await loadRateCards(), "2026-06-01")!;
    const none = { skus: new Map(), labels: new Map() };
    const perMinute = (labels: string[]) => {
      const sku = skuForLabels(labels, card, none);
      return sku && [sku.sku, plainDecimal(sku.pricePerMinute)];
    };
    // docs.github.com/en/billing/reference/actions-runner-pricing: windows_2_core_arm $0.008,
    // macos_l (macOS 12-core) $0.077, linux_4_core_gpu $0.052, windows_4_core_gpu $0.102.
    expect(perMinute(["windows-11-arm"])).toEqual(["actions_windows_arm", "0.008"]);
    expect(perMinute(["macos-15-large"])).toEqual(["actions_macos_large", "0.077"]);
    expect(perMinute(["macos-latest-large"])).toEqual(["actions_macos_large", "0.077"]);
    const gpu = (sku: string) => plainDecimal(card.skus.get(sku)!.pricePerMinute);
    expect([gpu("actions_linux_4_core_gpu"), gpu("actions_windows_4_core_gpu")]).toEqual([
      "0.052",
      "0.102",
    ]);
  });

  it("validates a rate card with file and line", () => {
    expect(() =>
      parseRateCard(
        parseYamlSource(
          "r.yml",
          "effective: 2026-1-1\ncurrency: USD\nsource: x\nchecked: '2026-01-01'\nskus: {}\n",
        ),
      ),
    ).toThrow(/r\.yml:1 effective: expected a date/);
  });
});
