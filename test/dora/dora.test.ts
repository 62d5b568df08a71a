// The DORA keys on a fabricated history (test/fixtures/dora/history.ts) read back through the
// GitHub API stand-in, against answers worked out by hand; and the pure helpers.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { fetchChanges, fetchHistory } from "../../src/dora/github.js";
import {
  classify,
  environmentMetrics,
  median,
  parseWindow,
  type EnvironmentMetrics,
} from "../../src/dora/metrics.js";
import { formatFrequency, formatHours, renderHtml, renderSummary } from "../../src/dora/render.js";
import { niceMax } from "../../src/dora/svg.js";
import { createGitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { seedHistory, WINDOW_DAYS } from "../fixtures/dora/history.js";

const REPOSITORY = "octo-org/demo-api";
const repository = { owner: "octo-org", repo: "demo-api" };
const DAY = 86_400_000;
const END = Date.parse("2025-03-29T00:00:00Z");
const window = { startMs: END - WINDOW_DAYS * DAY, endMs: END };
let github: GitHubStandIn;
let production: EnvironmentMetrics;
let staging: EnvironmentMetrics;
let ids: Record<string, number>;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  ids = seedHistory(github, REPOSITORY, END);
  const client = createGitHubClient({ token: "t", baseUrl: github.url, secondMs: 1 });
  const history = await fetchHistory(client, repository, {
    sinceMs: window.startMs - WINDOW_DAYS * DAY,
  });
  const changes = await fetchChanges(client, repository, history, window.startMs);
  production = environmentMetrics("production", history, changes, window);
  staging = environmentMetrics("staging", history, changes, window);
  expect(github.requestViolations).toEqual([]);
  expect(github.responseViolations).toEqual([]);
});
afterAll(() => github.stop());

describe("DORA keys on a known history", () => {
  it(
    "counts change deployments in the window: " +
      "D1-D7 (D0 is before it, D8 still running, R2 and R4 are rollback records)",
    () => {
      expect(production).toMatchObject({ deployments: 7, successful: 4, failed: 3 });
    },
  );

  it("deployment frequency: 4 good deployments over 28 days", () => {
    expect(production.deploymentsPerDay).toBeCloseTo(4 / 28, 10);
    expect(formatFrequency(production.deploymentsPerDay)).toBe("1 per week");
  });

  it("change failure rate: D2 (failed, rolled back), D4 (rolled back after success), D5 (error) of 7", () => {
    expect(production.changeFailureRate).toBeCloseTo(3 / 7, 10);
  });

  it("lead time: median of the 8 commits' times to their good deployment", () => {
    // D1 (c0...c2): 24 h, 2 h. D3 (c2...c4, D2 rolled back): 21.5 h, 2 h.
    // D6 (c4...c7, D4 rolled back, D5 failed): 55.25 h, 32.5 h, 1 h. D7 (c7...c8): 1 h.
    // Sorted 1, 1, 2, 2, 21.5, 24, 32.5, 55.25: median (2 + 21.5) / 2.
    expect(production.leadTimeHours).toBeCloseTo(11.75, 10);
    expect(production.leadTimeSamples).toBe(8);
    expect(production.leadTimes.map((item) => `${item.version} ${item.hours}`)).toEqual([
      "1.1.0 13",
      "1.2.1 11.75",
      "1.3.2 32.5",
      "1.4.0 1",
    ]);
  });

  it("time to restore: 2 min (R2), 5 min (R4), 30 h (D5 until D6): median 5 min", () => {
    expect(production.timeToRestoreHours).toBeCloseTo(5 / 60, 10);
    expect(production).toMatchObject({ restoreSamples: 3, unrestored: 0 });
  });

  it("weekly counts, oldest week first", () => {
    expect(
      production.weeks.map((week) => [week.start.slice(0, 10), week.successful, week.failed]),
    ).toEqual([
      ["2025-03-01", 2, 1],
      ["2025-03-08", 1, 2],
      ["2025-03-15", 1, 0],
      ["2025-03-22", 0, 0],
    ]);
  });

  it("keeps environments apart: staging's first deployment has no predecessor to compare with", () => {
    expect(staging).toMatchObject({
      deployments: 2,
      successful: 2,
      failed: 0,
      changeFailureRate: 0,
      timeToRestoreHours: null,
      leadTimeSamples: 6,
    });
    // S2 (c2...c8) went live on day 20 at 09:40: c3 357.67 h, c4 338.17 h, c5 192.42 h, c6 169.67 h,
    // c7 138.17 h, c8 0.5 h after their commits; median (169.67 + 192.42) / 2 = 181.04 h.
    expect(staging.leadTimeHours).toBeCloseTo((169 + 40 / 60 + 192 + 25 / 60) / 2, 10);
  });

  it("classifies outcomes, rollback records aside", () => {
    const outcomes = Object.fromEntries(
      classify([
        {
          id: 1,
          environment: "p",
          sha: "a",
          createdAt: "2025-01-01T00:00:00Z",
          statuses: [
            { state: "success", at: "2025-01-01T00:01:00Z" },
            { state: "inactive", at: "2025-01-02T00:00:00Z" },
          ],
        },
        {
          id: 2,
          environment: "p",
          sha: "b",
          createdAt: "2025-01-03T00:00:00Z",
          statuses: [{ state: "in_progress", at: "2025-01-03T00:00:00Z" }],
        },
        {
          id: 3,
          environment: "p",
          sha: "a",
          createdAt: "2025-01-04T00:00:00Z",
          strategy: "rollback",
          statuses: [],
        },
      ]).map((item) => [item.id, item.outcome]),
    );
    expect(outcomes).toEqual({ 1: "success", 2: "running" });
    expect(ids.D0).toBeDefined();
  });
});

describe("helpers", () => {
  it("parses windows, formats durations, picks nice axes", () => {
    expect([
      parseWindow("30d"),
      parseWindow("12w"),
      parseWindow("48h"),
      parseWindow("0d"),
      parseWindow("1y"),
    ]).toEqual([30 * DAY, 84 * DAY, 2 * DAY, undefined, undefined]);
    expect([formatHours(5 / 60), formatHours(11.75), formatHours(72), formatHours(null)]).toEqual([
      "5 min",
      "11.8 h",
      "3 d",
      "—",
    ]);
    expect([niceMax(0), niceMax(3), niceMax(7), niceMax(12), niceMax(0.3)]).toEqual([
      1, 5, 10, 20, 0.5,
    ]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNull();
  });

  it("renders a summary with Mermaid charts and an HTML page with inline SVG only", () => {
    const report = {
      repository: REPOSITORY,
      window: {
        text: "28d",
        start: new Date(window.startMs).toISOString(),
        end: new Date(END).toISOString(),
      },
      environments: [production, staging],
      drills: [],
    };
    const summary = renderSummary(report);
    expect(summary).toContain(
      "| production | 1 per week (4 of 7) | 11.8 h (8 commits) | 42.9% (3 of 7) | 5 min |",
    );
    expect(summary).toContain("```mermaid\nxychart-beta");
    expect(summary).toContain("  bar [3, 3, 1, 0]");
    const html = renderHtml(report);
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`,
    );
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });
});
