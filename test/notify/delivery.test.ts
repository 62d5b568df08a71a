// The notifier against real receivers: a Prometheus Alertmanager (Debian) that fires and then
// resolves the alert, webhook receivers that are down for a while, and a real Pushgateway.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeployReport } from "../../src/deploy/report.js";
import { deliverAll, deliverWithRetry, type RetryPolicy } from "../../src/notify/deliver.js";
import { deployEvent } from "../../src/deploy/deploy-event.js";
import { sendHttp } from "../../src/notify/http.js";
import { notifyPlan, planDeliveries } from "../../src/notify/plan.js";
import { deployMetricsDelivery } from "../../src/deploy/pushgateway-metrics.js";
import { NotifySchema } from "../../src/schema/notify.js";
import { waitUntil } from "../../lab/lib/processes.mjs";
import { Cleanup } from "../../tools/lab/lab.js";
import {
  startAlertmanager,
  startPushgateway,
  startReceiver,
  type RealServer,
  type Receiver,
} from "../support/receivers.js";
import { canaryReport } from "../support/deploy-report.js";

const cleanup = new Cleanup();
let dir: string;
let alertmanager: RealServer;
let amHook: Receiver;
let chat: Receiver;
let pushgateway: RealServer;

const fast: RetryPolicy = { attempts: 4, baseDelayMs: 50, maxDelayMs: 400, timeoutMs: 2000 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shipgate-notify-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  amHook = await startReceiver();
  cleanup.add(() => amHook.stop());
  chat = await startReceiver();
  cleanup.add(() => chat.stop());
  [alertmanager, pushgateway] = await Promise.all([
    startAlertmanager(join(dir, "am"), `${amHook.url}/alertmanager`),
    startPushgateway(join(dir, "pg")),
  ]);
  cleanup.track(alertmanager);
  cleanup.track(pushgateway);
}, 60_000);

afterAll(() => cleanup.run(), 30_000);

const report = (result: DeployReport["result"], version: string): DeployReport =>
  canaryReport(result, version);

const settings = NotifySchema.parse({
  channels: [
    { type: "alertmanager", url: "${env:AM}" },
    { type: "webhook", name: "chat", url: "${secret:CHAT}" },
  ],
});
const event = (r: DeployReport) =>
  deployEvent(r, {
    service: "demo-api",
    severity: (kind) => notifyPlan(settings, []).severity[kind],
    links: { runUrl: "https://github.com/octo-org/demo-api/actions/runs/1" },
    at: new Date().toISOString(),
  });

interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
}
const activeAlerts = async (): Promise<ApiAlert[]> =>
  (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as ApiAlert[];

describe("Alertmanager", () => {
  it("fires the rollback alert with its labels, then a later success resolves it", async () => {
    const plan = notifyPlan(settings, [alertmanager.url, `${chat.url}/hook`]);
    const fired = await deliverAll(planDeliveries(plan, event(report("rolled-back", "1.2.0"))), {
      send: sendHttp,
      policy: fast,
    });
    expect(fired.map((result) => `${result.channel} ${result.ok} ${result.status}`)).toEqual([
      "alertmanager#1 true 200",
      "chat true 200",
    ]);

    const active = await waitUntil("the alert to be active", async () => {
      const alerts = (await activeAlerts()).filter(
        (alert) => alert.labels.alertname === "ShipgateDeployRolledBack",
      );
      return alerts.length > 0 ? alerts : undefined;
    });
    expect(active).toHaveLength(1);
    expect(active[0]?.labels).toEqual({
      alertname: "ShipgateDeployRolledBack",
      environment: "production",
      service: "demo-api",
      severity: "critical",
    });
    expect(active[0]?.annotations).toMatchObject({
      version: "1.2.0",
      previous_version: "1.1.0",
      summary: "1.2.0 was rolled back on production to 1.1.0",
    });
    expect(active[0]?.status.state).toBe("active");
    // Alertmanager's own notification (its webhook receiver) says firing.
    const firing = await waitUntil(
      "Alertmanager to notify firing",
      () => amHook.received.find((request) => JSON.parse(request.body).status === "firing"),
      { timeoutMs: 15_000 },
    );
    expect(JSON.parse(firing.body).alerts[0].labels.alertname).toBe("ShipgateDeployRolledBack");

    const resolved = await deliverAll(planDeliveries(plan, event(report("deployed", "1.2.1"))), {
      send: sendHttp,
      policy: fast,
    });
    expect(resolved.map((result) => `${result.channel} ${result.what} ${result.ok}`)).toEqual([
      "alertmanager#1 resolve rollback, verification-failed, gate-inconclusive true",
      "chat deploy-succeeded (info) true",
    ]);
    await waitUntil("the alert to be resolved", async () =>
      (await activeAlerts()).some((alert) => alert.labels.alertname === "ShipgateDeployRolledBack")
        ? undefined
        : true,
    );
    const notice = await waitUntil(
      "Alertmanager to notify resolved",
      () => amHook.received.find((request) => JSON.parse(request.body).status === "resolved"),
      { timeoutMs: 15_000 },
    );
    expect(
      JSON.parse(notice.body).alerts.map(
        (alert: ApiAlert) => `${alert.labels.alertname} ${alert.status}`,
      ),
    ).toEqual(["ShipgateDeployRolledBack resolved"]);
    // What the chat webhook got, the second time: the success.
    expect(chat.received.map((request) => JSON.parse(request.body).event)).toEqual([
      "rollback",
      "deploy-succeeded",
    ]);
  }, 60_000);
});

describe("webhook receivers", () => {
  const delivery = {
    channel: "chat",
    type: "webhook" as const,
    what: "rollback (critical)",
    method: "POST" as const,
    contentType: "application/json",
    body: '{"event":"rollback"}',
  };

  it("retries with back-off through an outage and is delivered once the receiver is back", async () => {
    const receiver = await startReceiver();
    cleanup.add(() => receiver.stop());
    receiver.failNext(2);
    const started = Date.now();
    const result = await deliverWithRetry(
      { ...delivery, url: `${receiver.url}/hook` },
      { send: sendHttp, policy: fast },
    );
    expect(result).toEqual({
      channel: "chat",
      type: "webhook",
      what: "rollback (critical)",
      ok: true,
      attempts: 3,
      status: 200,
    });
    expect(receiver.received.map((request) => request.status)).toEqual([503, 503, 200]);
    expect(new Set(receiver.received.map((request) => request.body))).toEqual(
      new Set(['{"event":"rollback"}']),
    );
    // Waits of 50 and 100 ms between the tries.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("gives up after the bounded attempts and reports it, without throwing", async () => {
    const receiver = await startReceiver();
    cleanup.add(() => receiver.stop());
    receiver.failNext(100, 500);
    const result = await deliverWithRetry(
      { ...delivery, url: `${receiver.url}/hook` },
      { send: sendHttp, policy: fast },
    );
    expect(result).toMatchObject({ ok: false, attempts: 4, status: 500, error: "HTTP 500" });
    expect(receiver.received).toHaveLength(4);
  });

  it("reports a refused connection by its code, never the URL", async () => {
    const receiver = await startReceiver();
    const url = `${receiver.url}/T000/B000/secret-token`;
    await receiver.stop();
    const result = await deliverWithRetry(
      { ...delivery, url },
      { send: sendHttp, policy: { ...fast, attempts: 2 } },
    );
    expect(result).toMatchObject({ ok: false, attempts: 2, error: "ECONNREFUSED" });
    expect(JSON.stringify(result)).not.toContain("secret-token");
  });
});

describe("Pushgateway", () => {
  it("holds the last deploy's figures under job, environment and service", async () => {
    const figures = {
      environment: "production",
      service: "demo-api",
      durationSeconds: 42.5,
      finishedAtMs: Date.parse("2025-03-01T10:00:00Z"),
    };
    const first = await deliverWithRetry(
      await deployMetricsDelivery(pushgateway.url, {
        ...figures,
        report: report("rolled-back", "1.2.0"),
      }),
      { send: sendHttp, policy: fast },
    );
    expect(first).toMatchObject({ ok: true, status: 200 });
    const second = await deliverWithRetry(
      await deployMetricsDelivery(pushgateway.url, {
        ...figures,
        report: report("deployed", "1.2.1"),
      }),
      { send: sendHttp, policy: fast },
    );
    expect(second).toMatchObject({ ok: true });

    const text = await (await fetch(`${pushgateway.url}/metrics`)).text();
    const ours = text.split("\n").filter((line) => line.startsWith("shipgate_deploy_"));
    // The Pushgateway prints labels sorted by name.
    const group = 'environment="production",instance="",job="shipgate_deploy",service="demo-api"';
    expect(ours).toEqual(
      expect.arrayContaining([
        `shipgate_deploy_duration_seconds{${group}} 42.5`,
        `shipgate_deploy_result{environment="production",instance="",job="shipgate_deploy",` +
          `result="deployed",service="demo-api"} 1`,
        `shipgate_deploy_result{environment="production",instance="",job="shipgate_deploy",` +
          `result="rolled-back",service="demo-api"} 0`,
        `shipgate_deploy_rollbacks{${group}} 0`,
        `shipgate_deploy_canary_score{${group}} 100`,
        `shipgate_deploy_gate_seconds{${group}} 9`,
        `shipgate_deploy_timestamp_seconds{${group}} 1.7408232e+09`,
        `shipgate_deploy_info{environment="production",instance="",job="shipgate_deploy",` +
          `previous_version="1.1.0",service="demo-api",strategy="canary",version="1.2.1"} 1`,
      ]),
    );
    // A PUT replaces the group: the first push's time to restore is gone with it.
    expect(ours.some((line) => line.startsWith("shipgate_deploy_time_to_restore_seconds"))).toBe(
      false,
    );
  });
});
