// The sticky comment's decisions: marker, late runs, identical bodies, thresholds, behaviours, size.
import { describe, expect, it } from "@jest/globals";
import {
  COMMENT_LIMIT,
  findMarked,
  fitComment,
  isMaterial,
  marker,
  parseThreshold,
  planComment,
  type MarkedComment,
} from "../../src/cost/comment-plan.js";
import { compareEnvironment } from "../../src/cost/compare.js";
import { parseAmount } from "../../src/cost/money.js";
import {
  buildPullRequestReport,
  headline,
  renderPullRequestReport,
} from "../../src/cost/pr-report.js";

const usd = (text: string): bigint => parseAmount(text)!.amount;

const ours = (id: number, runTime: string, content: string): MarkedComment => ({
  id,
  nodeId: `n${id}`,
  url: `u${id}`,
  runTime,
  content,
});

describe("finding our comments", () => {
  it("keeps only comments that start with the marker, with their run time and content", () => {
    const found = findMarked([
      { id: 1, node_id: "a", html_url: "h1", body: "LGTM" },
      {
        id: 2,
        node_id: "b",
        html_url: "h2",
        body: `${marker("2026-03-02T10:00:00.000Z")}report one`,
      },
      {
        id: 3,
        node_id: "c",
        html_url: "h3",
        body: `quoting ${marker("2026-03-02T10:00:00.000Z")}`,
      },
      { id: 4, node_id: "d", html_url: "h4", body: null },
    ]);
    expect(found).toEqual([
      { id: 2, nodeId: "b", url: "h2", runTime: "2026-03-02T10:00:00.000Z", content: "report one" },
    ]);
  });
});

describe("tags", () => {
  it("keys the sticky comment by tag: each step finds only its own comments", () => {
    const run = "2026-03-02T10:00:00.000Z";
    expect(marker(run, "infra")).toBe(
      `<!-- shipgate:cost-report tag="infra" run-time="${run}" -->\n`,
    );
    expect(marker(run)).toBe(`<!-- shipgate:cost-report run-time="${run}" -->\n`);
    const comments = [
      { id: 1, node_id: "a", html_url: "h1", body: `${marker(run)}untagged` },
      { id: 2, node_id: "b", html_url: "h2", body: `${marker(run, "infra")}infra` },
      { id: 3, node_id: "c", html_url: "h3", body: `${marker(run, "apps")}apps` },
    ];
    expect(findMarked(comments).map((comment) => comment.id)).toEqual([1]);
    expect(findMarked(comments, "infra").map((comment) => [comment.id, comment.content])).toEqual([
      [2, "infra"],
    ]);
    expect(findMarked(comments, "apps").map((comment) => comment.id)).toEqual([3]);
    expect(findMarked(comments, "other")).toEqual([]);
  });
});

describe("planning", () => {
  const base = { content: "new", runTime: "2026-03-02T11:00:00.000Z", material: true };

  it.each([
    ["update", { action: "update", target: expect.objectContaining({ id: 2 }) }],
    ["new", { action: "create", hide: [], remove: [] }],
    [
      "hide-and-new",
      {
        action: "create",
        hide: [expect.objectContaining({ id: 1 }), expect.objectContaining({ id: 2 })],
        remove: [],
      },
    ],
    [
      "delete-and-new",
      {
        action: "create",
        hide: [],
        remove: [expect.objectContaining({ id: 1 }), expect.objectContaining({ id: 2 })],
      },
    ],
  ] as const)("%s", (behavior, plan) => {
    const existing = [
      ours(1, "2026-03-02T09:00:00.000Z", "a"),
      ours(2, "2026-03-02T10:00:00.000Z", "b"),
    ];
    expect(planComment({ ...base, existing, behavior })).toEqual(plan);
  });

  it("hides only the comments that are not hidden yet under hide-and-new", () => {
    const existing = [
      { ...ours(1, "2026-03-02T08:00:00.000Z", "a"), minimized: true },
      { ...ours(2, "2026-03-02T09:00:00.000Z", "b"), minimized: true },
      { ...ours(3, "2026-03-02T10:00:00.000Z", "c"), minimized: false },
    ];
    expect(planComment({ ...base, existing, behavior: "hide-and-new" })).toEqual({
      action: "create",
      hide: [expect.objectContaining({ id: 3 })],
      remove: [],
    });
  });

  it("never leaves a posted comment stale below comment-threshold: the threshold only holds back a first one", () => {
    const existing = [ours(2, "2026-03-02T10:00:00.000Z", "old")];
    const below = { ...base, material: false };
    expect(planComment({ ...below, existing, behavior: "update" })).toEqual({
      action: "update",
      target: expect.objectContaining({ id: 2 }),
    });
    expect(planComment({ ...below, existing, behavior: "delete-and-new" })).toEqual({
      action: "create",
      hide: [],
      remove: [expect.objectContaining({ id: 2 })],
    });
    expect(planComment({ ...below, existing: [], behavior: "update" })).toMatchObject({
      action: "skip",
      reason: expect.stringContaining("comment-threshold"),
    });
  });

  it("creates the first comment under update", () => {
    expect(planComment({ ...base, existing: [], behavior: "update" })).toEqual({
      action: "create",
      hide: [],
      remove: [],
    });
  });

  it("skips when a newer run already reported, when the body is identical, or when nothing material changed", () => {
    const newer = [ours(2, "2026-03-02T12:00:00.000Z", "b")];
    expect(planComment({ ...base, existing: newer, behavior: "update" })).toMatchObject({
      action: "skip",
      reason: expect.stringContaining("a newer run (2026-03-02T12:00:00.000Z)"),
    });
    expect(
      planComment({
        ...base,
        existing: [ours(2, "2026-03-02T10:00:00.000Z", "new")],
        behavior: "new",
      }),
    ).toMatchObject({ action: "skip", reason: expect.stringContaining("identical") });
    expect(planComment({ ...base, existing: [], behavior: "new", material: false })).toMatchObject({
      action: "skip",
      reason: expect.stringContaining("comment-threshold"),
    });
    // The same run re-run (same time) may update its own report.
    expect(
      planComment({
        ...base,
        runTime: "2026-03-02T10:00:00.000Z",
        existing: [ours(2, "2026-03-02T10:00:00.000Z", "old")],
        behavior: "update",
      }).action,
    ).toBe("update");
  });
});

describe("thresholds", () => {
  const report = (beforeText: string, afterText: string) => {
    const side = (total: string) => ({
      priced: { lines: [], unpriced: [], currency: "USD", total: usd(total) },
      production: false,
    });
    return buildPullRequestReport(
      [
        compareEnvironment("staging", side(beforeText), side(afterText)),
        compareEnvironment("dev", side("50"), side("50")),
      ],
      [],
      undefined,
      [],
    );
  };

  it("parses amounts and percentages", () => {
    expect(parseThreshold("25")).toEqual({ kind: "amount", amount: usd("25") });
    expect(parseThreshold("2.5%")).toEqual({ kind: "percent", percent: 2.5 });
    expect(parseThreshold("5 %")).toEqual({ kind: "percent", percent: 5 });
    for (const bad of ["", "-5", "five", "5$"]) expect(parseThreshold(bad)).toBeUndefined();
  });

  it("is material when some environment moves by the amount or the percentage, in either direction", () => {
    // staging 200 → 190: -10, -5%.
    expect(isMaterial(report("200", "190"), parseThreshold("10"))).toBe(true);
    expect(isMaterial(report("200", "190"), parseThreshold("10.01"))).toBe(false);
    expect(isMaterial(report("200", "190"), parseThreshold("5%"))).toBe(true);
    expect(isMaterial(report("200", "190"), parseThreshold("5.1%"))).toBe(false);
    expect(isMaterial(report("200", "190"), undefined)).toBe(true);
    expect(isMaterial(report("0", "1"), parseThreshold("50%"))).toBe(true); // new cost: no percentage to compare
  });
});

describe("wording", () => {
  const side = (total: string, production = false) => ({
    priced: {
      lines: [
        {
          kind: "custom" as const,
          name: "box",
          type: "custom",
          quantity: { numerator: 1n, denominator: 1n },
          quantityText: "1 unit",
          unitPrice: usd(total),
          unit: "unit",
          currency: "USD",
          monthly: usd(total),
        },
      ],
      unpriced: [],
      currency: "USD",
      total: usd(total),
    },
    production,
  });
  const render = (...environments: ReturnType<typeof compareEnvironment>[]) =>
    renderPullRequestReport(buildPullRequestReport(environments, [], undefined, []));

  it("says how much a pull request lowers the cost, not 'lowers by -$'", () => {
    const report = buildPullRequestReport(
      [compareEnvironment("staging", side("200"), side("174.19"))],
      [],
      undefined,
      [],
    );
    expect(headline(report)).toBe(
      "This pull request lowers the monthly cost by **$25.81** (-12.9%): staging -$25.81.",
    );
  });

  it("does not repeat production after an environment named production", () => {
    const markdown = render(
      compareEnvironment("production", side("100", true), side("120", true)),
      compareEnvironment("eu-live", side("100", true), side("120", true)),
    );
    expect(markdown).toContain("#### production\n");
    expect(markdown).not.toContain("production · production");
    expect(markdown).toContain("#### eu-live · production\n");
  });

  it("has no 'the 0 environments' when nothing declares a cost", () => {
    const sentence = headline(buildPullRequestReport([], [], undefined, []));
    expect(sentence).not.toContain("0 environments");
    expect(sentence).toBe(
      "This pull request has no monthly cost to compare: no environment declares resources or a budget.",
    );
  });

  it("collapses unchanged environments into one line", () => {
    const markdown = render(
      compareEnvironment("development", side("30.37"), side("30.37")),
      compareEnvironment("production", side("100", true), side("120", true)),
      compareEnvironment("staging", side("49.64"), side("49.64")),
    );
    expect(markdown).not.toContain("#### development");
    expect(markdown).not.toContain("#### staging");
    expect(markdown).toContain(
      "Unchanged: development ($30.37 a month), staging ($49.64 a month).",
    );
    expect(markdown).toContain("#### production\n");
  });
});

describe("links", () => {
  const entry = (verified: boolean | string) => ({
    key: "aws.ec2.t3.medium",
    price: usd("0.0416"),
    unit: "hour" as const,
    currency: "USD",
    source: "https://aws.amazon.com/ec2/pricing/on-demand/",
    verified,
    commitmentDiscount: 25,
    origin: "default.yml",
  });
  const line = (name: string, verified: boolean | string) => ({
    kind: "compute" as const,
    name,
    type: "aws.ec2.t3.medium",
    quantity: { numerator: 730n * 10n ** 12n, denominator: 10n ** 12n },
    quantityText: "1 × 730 h",
    unitPrice: usd("0.0416"),
    unit: "hour",
    currency: "USD",
    monthly: usd("30.37"),
    entry: entry(verified),
  });
  const side = (lines: ReturnType<typeof line>[]) => ({
    priced: { lines, unpriced: [], currency: "USD", total: usd("30.37") * BigInt(lines.length) },
    production: false,
  });

  it("link the run and each price's source, and flag verified: false prices", () => {
    const report = buildPullRequestReport(
      [compareEnvironment("dev", side([]), side([line("api", false), line("web", true)]))],
      [],
      undefined,
      ["default.yml"],
      { runUrl: "https://github.com/o/r/actions/runs/7" },
    );
    const markdown = renderPullRequestReport(report);
    expect(markdown).toContain(
      "| dev | `compute/api` | `aws.ec2.t3.medium` | 1 × 730 h | " +
        "[$0.0416/hour](https://aws.amazon.com/ec2/pricing/on-demand/) ⚠ unverified |",
    );
    expect(markdown).toContain(
      "| dev | `compute/web` | `aws.ec2.t3.medium` | 1 × 730 h | " +
        "[$0.0416/hour](https://aws.amazon.com/ec2/pricing/on-demand/) |",
    );
    expect(markdown).toContain("⚠ unverified: marked `verified: false`");
    expect(markdown).toContain("[this workflow run](https://github.com/o/r/actions/runs/7)");
  });
});

describe("unpriced changes", () => {
  const unpricedAdded = () => {
    const before = {
      priced: { lines: [], unpriced: [], currency: "USD", total: usd("50") },
      production: false,
    };
    const after = {
      priced: {
        lines: [],
        unpriced: [
          {
            kind: "compute" as const,
            name: "worker",
            type: "acme.vm.huge",
            reason: "not in the pricing catalog",
          },
        ],
        currency: "USD",
        total: usd("50"),
      },
      production: false,
    };
    return buildPullRequestReport(
      [compareEnvironment("development", before, after)],
      [],
      undefined,
      [],
    );
  };

  it("always count as significant, whatever the comment-threshold", () => {
    expect(isMaterial(unpricedAdded(), parseThreshold("10"))).toBe(true);
    expect(isMaterial(unpricedAdded(), parseThreshold("5%"))).toBe(true);
  });

  it("are named in the headline", () => {
    expect(headline(unpricedAdded())).toBe(
      "This pull request does not change the priced monthly cost of the environment " +
        "($50.00 a month in all), but adds 1 unpriced item, not counted: " +
        "development `compute/worker` (acme.vm.huge, added).",
    );
  });
});

describe("size", () => {
  it("cuts a body over GitHub's limit at a line, closes open details and says where the rest is", () => {
    const body = `head\n<details><summary>x</summary>\n\n${"| row | 1 |\n".repeat(10_000)}\n</details>`;
    const fitted = fitComment(body);
    expect(fitted.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(fitted).toMatch(/\| row \| 1 \|\n\n<\/details>\n\n> \[!NOTE\]\n> This report was cut/);
    expect(fitComment("short")).toBe("short");
  });
});
