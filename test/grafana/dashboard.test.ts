// The Grafana dashboard: the committed JSON is what the SDK code builds, every panel reads the
// data source variable, and every query answers, with the expected figures, on a real Prometheus
// scraping a real Pushgateway that holds exactly what the actions push.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Dashboard, Panel, RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drillMetricsDelivery, type DrillPayload } from "../../src/deploy/drill.js";
import { deployMetricsText, deployPushUrl } from "../../src/deploy/pushgateway-metrics.js";
import type { DeployReport } from "../../src/deploy/report.js";
import { DORA_PUSH_JOB, doraMetricsText } from "../../src/dora/pushgateway-metrics.js";
import type { EnvironmentMetrics } from "../../src/dora/metrics.js";
import { pushUrl } from "../../src/notify/pushgateway.js";
import { Cleanup, startPrometheus } from "../../tools/lab/lab.js";
import {
  dashboardJson,
  QUERIES,
  shipgateDashboard,
  type PanelTitle,
} from "../../tools/grafana/dashboard.js";
import { canaryReport } from "../support/deploy-report.js";
import { startPushgateway } from "../support/receivers.js";

const committed = JSON.parse(
  await readFile(new URL("../../grafana/shipgate.json", import.meta.url), "utf8"),
) as Dashboard;
const panels = (committed.panels ?? []).filter(
  (panel): panel is Panel => (panel as Panel | RowPanel).type !== "row",
);

describe("the committed dashboard", () => {
  it("is what tools/grafana/dashboard.ts builds with the SDK (npm run grafana)", async () => {
    const text = await readFile(new URL("../../grafana/shipgate.json", import.meta.url), "utf8");
    expect(text).toBe(dashboardJson());
    expect(committed).toEqual(JSON.parse(JSON.stringify(shipgateDashboard())));
  });

  it("has one panel per query, each on the data source variable, laid out without overlaps", () => {
    expect(panels.map((panel) => panel.title).sort()).toEqual(Object.keys(QUERIES).sort());
    for (const panel of panels) {
      const expected: readonly string[] = [QUERIES[panel.title as PanelTitle]].flat();
      const targets = (panel.targets ?? []) as { expr?: string; datasource?: { uid?: string } }[];
      expect(targets.map((target) => target.expr)).toEqual(expected);
      for (const target of targets) expect(target.datasource?.uid).toBe("${datasource}");
      expect(panel.datasource?.uid).toBe("${datasource}");
    }
    const cells = new Set<string>();
    for (const panel of committed.panels ?? []) {
      const { x = 0, y = 0, w = 0, h = 0 } = panel.gridPos ?? {};
      expect(x + w).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row += 1)
        for (let column = x; column < x + w; column += 1) {
          const cell = `${row}:${column}`;
          expect(cells.has(cell)).toBe(false);
          cells.add(cell);
        }
    }
  });

  it("uses no variable it does not define", () => {
    const defined = new Set((committed.templating?.list ?? []).map((variable) => variable.name));
    const builtIn = new Set(["__range", "__rate_interval", "__interval"]);
    const used = JSON.stringify(committed).matchAll(/\$\{?(\w+)/g);
    for (const [, name] of used) expect(defined.has(name!) || builtIn.has(name!)).toBe(true);
  });
});

const report = (result: DeployReport["result"], version: string): DeployReport =>
  canaryReport(result, version, {
    environment: "staging",
    score: { promoted: 100, rolledBack: 20 },
  });

const dora: EnvironmentMetrics = {
  environment: "staging",
  deployments: 10,
  successful: 8,
  failed: 2,
  deploymentsPerDay: 0.5,
  leadTimeHours: 3.5,
  leadTimeSamples: 8,
  changeFailureRate: 0.2,
  timeToRestoreHours: 0.25,
  restoreSamples: 2,
  unrestored: 0,
  weeks: [],
  leadTimes: [],
};

describe("every panel's query on a real Prometheus scraping a real Pushgateway", () => {
  const cleanup = new Cleanup();
  let dir: string;
  let answers: Map<PanelTitle, { metric: Record<string, string>; value: [number, string] }[][]>;

  async function push(url: string, text: string): Promise<void> {
    const response = await fetch(url, { method: "PUT", body: text });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "shipgate-grafana-"));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    const pushgateway = cleanup.track(await startPushgateway(join(dir, "pushgateway")));
    const prometheus = cleanup.track(
      await startPrometheus({
        dir: join(dir, "prometheus"),
        targets: [{ target: pushgateway.url, job: "pushgateway" }],
        scrapeInterval: "1s",
      }),
    );
    const group = deployPushUrl(pushgateway.url, "staging", "orders");
    const deploy = async (result: DeployReport["result"], version: string) => {
      const finishedAtMs = Date.now();
      await push(
        group,
        await deployMetricsText({
          environment: "staging",
          service: "orders",
          report: report(result, version),
          durationSeconds: 42,
          finishedAtMs,
        }),
      );
      // Seen by Prometheus, and a scrape later, so the next deploy is a change of its own.
      await prometheus.waitFor(`shipgate_deploy_timestamp_seconds == ${finishedAtMs / 1000}`);
      await new Promise((done) => setTimeout(done, 2500));
    };
    await deploy("deployed", "1.1.0");
    await deploy("rolled-back", "1.2.0");
    const generatedAt = Date.now();
    await push(
      pushUrl(pushgateway.url, DORA_PUSH_JOB, [["repository", "octo/orders"]]),
      await doraMetricsText(
        {
          repository: "octo/orders",
          window: { text: "30d", start: "2026-11-01T00:00:00Z", end: "2026-12-01T00:00:00Z" },
          environments: [dora],
        },
        generatedAt,
      ),
    );
    await prometheus.waitFor(`shipgate_dora_timestamp_seconds == ${generatedAt / 1000}`);
    const drills: DrillPayload[] = [
      { kind: "rollback", rto_seconds: 300, recovery_seconds: 9.3, passed: true },
      {
        kind: "restore",
        rto_seconds: 600,
        recovery_seconds: 42,
        rpo_seconds: 86_400,
        backup_age_seconds: 3600,
        passed: true,
      },
    ];
    const drilledAt = Date.now();
    for (const drill of drills) {
      const delivery = await drillMetricsDelivery(pushgateway.url, {
        environment: "staging",
        service: "orders",
        drill,
        finishedAtMs: drilledAt,
      });
      await push(delivery.url, delivery.body);
    }
    await prometheus.waitFor(`count(shipgate_drill_timestamp_seconds == ${drilledAt / 1000}) == 2`);

    const resolve = (expr: string) =>
      expr
        .replaceAll("$environment", "staging")
        .replaceAll("$service", "orders")
        .replaceAll("$change_step", "1s")
        .replaceAll("$__range", "5m");
    answers = new Map();
    for (const [title, queries] of Object.entries(QUERIES) as [PanelTitle, string | string[]][]) {
      const results = [];
      for (const expr of [queries].flat()) results.push(await prometheus.query(resolve(expr)));
      answers.set(title, results as never);
    }
  }, 90_000);

  afterAll(() => cleanup.run());

  const value = (title: PanelTitle, index = 0): number[] =>
    (answers.get(title)?.[index] ?? []).map((sample) => Number(sample.value[1]));
  const labels = (title: PanelTitle, name: string): string[] =>
    (answers.get(title)?.[0] ?? []).map((sample) => sample.metric[name] ?? "");

  it("shows the last deploy: its version, result, score and time to restore", () => {
    expect(labels("Last deploy's version", "version")).toEqual(["1.2.0"]);
    expect(labels("Last result", "result")).toEqual(["rolled-back"]);
    expect(value("Canary score (last gate)")).toEqual([20]);
    expect(value("Time to restore (last rollback)")).toEqual([10.5]);
    expect(value("Deploy duration")).toEqual([42]);
    expect(value("Time in the canary gate")).toEqual([9]);
  });

  it("counts each deploy in Prometheus history once, and the rolled back one", () => {
    expect(value("Deploys in range")).toEqual([2]);
    expect(value("Rolled back in range")).toEqual([1]);
  });

  it("shows the delivery report's DORA figures", () => {
    expect(value("Deployment frequency (per day)")).toEqual([0.5]);
    expect(value("Lead time for changes (median)")).toEqual([3.5]);
    expect(value("Change failure rate")).toEqual([0.2]);
    expect(value("Time to restore (median)")).toEqual([0.25]);
  });

  it("shows each kind of drill against its objectives", () => {
    const byKind = (title: PanelTitle, index = 0) =>
      Object.fromEntries(
        (answers.get(title)?.[index] ?? []).map((sample) => [
          sample.metric.kind,
          Number(sample.value[1]),
        ]),
      );
    expect(byKind("Drill recovery time vs RTO")).toEqual({ rollback: 9.3, restore: 42 });
    expect(byKind("Drill recovery time vs RTO", 1)).toEqual({ rollback: 300, restore: 600 });
    expect(byKind("Restore drill: backup age vs RPO")).toEqual({ restore: 3600 });
    expect(byKind("Restore drill: backup age vs RPO", 1)).toEqual({ restore: 86_400 });
    expect(byKind("Last drill passed")).toEqual({ rollback: 1, restore: 1 });
  });
});
