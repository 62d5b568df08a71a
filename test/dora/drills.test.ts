// Recovery drills in the delivery report: deployments with task deploy:drill never count in the
// DORA keys (nor does a rollback record of one), and each drill is reported against its RTO/RPO.
import { describe, expect, it } from "@jest/globals";
import { drillsOf, readDrill } from "../../src/dora/drills.js";
import {
  changeHistory,
  environmentMetrics,
  type HistoryDeployment,
} from "../../src/dora/metrics.js";
import { drillsSection, formatSeconds, renderSummary } from "../../src/dora/render.js";

const DAY = 86_400_000;
const END = Date.parse("2026-06-29T00:00:00Z");
const window = { startMs: END - 28 * DAY, endMs: END };
const at = (day: number, minutes = 0): string =>
  new Date(window.startMs + day * DAY + minutes * 60_000).toISOString();

const change = (id: number, day: number, state: "success" | "failure"): HistoryDeployment => ({
  id,
  environment: "staging",
  sha: `sha${id}`,
  createdAt: at(day),
  task: "deploy",
  version: `1.${id}.0`,
  strategy: "canary",
  statuses: [{ state, at: at(day, 10) }],
});

const drill = (id: number, day: number, result: Record<string, unknown>): HistoryDeployment => ({
  id,
  environment: "staging",
  sha: "bad",
  createdAt: at(day),
  task: "deploy:drill",
  version: "9.9.9-drill",
  strategy: "canary",
  drill: readDrill(result),
  statuses: [{ state: "failure", at: at(day, 2) }],
});

const history: HistoryDeployment[] = [
  change(1, 1, "success"),
  change(2, 8, "success"),
  // A rollback drill as deploy records it: the faulty deployment with the drill as known at the
  // start, then its rollback (task deploy:drill too) carrying the verdict.
  drill(3, 10, { kind: "rollback", rto_seconds: 300, recovery_seconds: null, passed: false }),
  {
    id: 4,
    environment: "staging",
    sha: "sha2",
    createdAt: at(10, 1),
    task: "deploy:drill",
    version: "1.2.0",
    strategy: "rollback",
    rollbackOf: 3,
    drill: readDrill({ kind: "rollback", rto_seconds: 300, recovery_seconds: 42, passed: true }),
    statuses: [{ state: "success", at: at(10, 2) }],
  },
  // A drill that never rolled back: its own record is the verdict.
  drill(5, 17, { kind: "rollback", rto_seconds: 60, recovery_seconds: null, passed: false }),
  drill(6, 20, {
    kind: "restore",
    rto_seconds: 900,
    recovery_seconds: 610,
    rpo_seconds: 3600,
    backup_age_seconds: 5400,
    passed: false,
  }),
  // A drill before the window is left out.
  drill(7, -3, { kind: "rollback", rto_seconds: 300, recovery_seconds: 30, passed: true }),
];

describe("drills and the DORA keys", () => {
  it("counts only task deploy: 2 changes, no failure, no restore, whatever the drills did", () => {
    const metrics = environmentMetrics("staging", history, new Map(), window);
    expect(metrics).toMatchObject({
      deployments: 2,
      successful: 2,
      failed: 0,
      changeFailureRate: 0,
      restoreSamples: 0,
      unrestored: 0,
    });
    expect(changeHistory(history).map((deployment) => deployment.id)).toEqual([1, 2]);
  });

  it("the same history with the drills as task deploy would count them: the filter is what keeps them out", () => {
    const asChanges = history.map((deployment) => ({ ...deployment, task: "deploy" }));
    const metrics = environmentMetrics("staging", asChanges, new Map(), window);
    expect(metrics.deployments).toBe(5);
    expect(metrics.failed).toBe(3);
  });

  it("reads each drill in the window against its objectives", () => {
    const drills = drillsOf(history, window);
    expect(
      drills.map((item) => [item.id, item.kind, item.withinRto, item.withinRpo, item.passed]),
    ).toEqual([
      [3, "rollback", true, null, true],
      [5, "rollback", false, null, false],
      [6, "restore", true, false, false],
    ]);
  });

  it("refuses a drill payload that is not what a drill writes", () => {
    expect(readDrill({ kind: "rollback", rto_seconds: 300, passed: true })).toBeUndefined();
    expect(
      readDrill({ kind: "chaos", rto_seconds: 1, recovery_seconds: 1, passed: true }),
    ).toBeUndefined();
    expect(readDrill("nonsense")).toBeUndefined();
  });

  it("reports drills in the summary and the dashboard", () => {
    const drills = drillsOf(history, window);
    const summary = renderSummary({
      repository: "o/r",
      window: { text: "28d", start: at(0), end: new Date(END).toISOString() },
      environments: [environmentMetrics("staging", history, new Map(), window)],
      drills,
    });
    expect(summary).toContain("#### Recovery drills");
    expect(summary).toContain("1 of 3 passed");
    expect(summary).toContain("| staging | rollback | 42 s / 5 min | — | passed |");
    expect(summary).toContain("| staging | rollback | not restored / 1 min (over) | — | failed |");
    expect(summary).toContain(
      "| staging | restore | 10 min 10 s / 15 min | 1 h 30 min / 1 h (over) | failed |",
    );
    const html = drillsSection(drills);
    expect(html.match(/<tr class="bad">/g)).toHaveLength(2);
    expect(drillsSection([])).toBe("");
    expect([formatSeconds(59.6), formatSeconds(3600), formatSeconds(3725)]).toEqual([
      "1 min",
      "1 h",
      "1 h 2 min",
    ]);
  });
});
