// The notifier's pure parts: messages per channel, the plan (filters, severity, quiet, resolve),
// the retry policy, the deploy event and the metrics text.
import { describe, expect, it } from "@jest/globals";
import type { DeployReport } from "../../src/deploy/report.js";
import {
  backoffDelay,
  deliverAll,
  deliverWithRetry,
  isRetryable,
  type Attempt,
  type RetryPolicy,
} from "../../src/notify/deliver.js";
import { deployEvent, deployEventKind } from "../../src/deploy/deploy-event.js";
import type { NotifyEvent } from "../../src/notify/events.js";
import {
  ALERT_LIFETIME_MS,
  firingAlert,
  slackMessage,
  teamsMessage,
  webhookMessage,
} from "../../src/notify/messages.js";
import {
  alertsEndpoint,
  notifyPlan,
  planDeliveries,
  type Delivery,
} from "../../src/notify/plan.js";
import { deployMetricsText, deployPushUrl } from "../../src/deploy/pushgateway-metrics.js";
import { NotifySchema } from "../../src/schema/notify.js";

const rolledBack: DeployReport = {
  environment: "production",
  version: "1.2.0",
  previousVersion: "1.1.0",
  strategy: "canary",
  deploymentId: 41,
  rollbackDeploymentId: 42,
  result: "rolled-back",
  reason: "the canary gate said roll back at 10%: error-rate broke its threshold",
  cancelled: false,
  timeline: [
    {
      at: "2025-03-01T10:00:05Z",
      elapsedMs: 5000,
      step: "deploy",
      ok: true,
      slot: "green",
      detail: "deploy hook done in 5.0s",
    },
    {
      at: "2025-03-01T10:00:06Z",
      elapsedMs: 6000,
      step: "traffic",
      ok: true,
      slot: "green",
      weight: 10,
      detail: "traffic hook done",
    },
    {
      at: "2025-03-01T10:00:16Z",
      elapsedMs: 16000,
      step: "gate",
      ok: false,
      slot: "green",
      weight: 10,
      verdict: "rollback",
      score: 12.5,
      detail: "error-rate broke its threshold",
    },
    {
      at: "2025-03-01T10:00:17Z",
      elapsedMs: 17000,
      step: "rollback",
      ok: true,
      slot: "blue",
      weight: 100,
      detail: "stable restored",
    },
  ],
  figures: { badTrafficAtMs: 6000, restoredAtMs: 17000, secondsToRestore: 11, gateMs: 10000 },
};
const deployed: DeployReport = {
  ...rolledBack,
  result: "deployed",
  reason: "1.2.0 is live on production",
  rollbackDeploymentId: undefined,
  timeline: rolledBack.timeline.slice(0, 2),
  figures: { gateMs: 0 },
} as DeployReport;

const severity = notifyPlan(undefined, []).severity;
const event = (report: DeployReport): NotifyEvent =>
  deployEvent(report, {
    service: "demo-api",
    severity: (kind) => severity[kind],
    links: {
      runUrl: "https://github.com/o/r/actions/runs/1",
      deploymentsUrl: "https://github.com/o/r/deployments/production",
    },
    at: "2025-03-01T10:00:17.000Z",
    durationSeconds: 17,
  });

describe("deploy events", () => {
  it("names the event by what ended the deploy", () => {
    expect(deployEventKind(rolledBack)).toBe("rollback");
    expect(deployEventKind(deployed)).toBe("deploy-succeeded");
    const health = {
      ...rolledBack,
      timeline: [
        { at: "", elapsedMs: 1, step: "health" as const, ok: false, detail: "healthz: 503" },
      ],
    };
    expect(deployEventKind(health)).toBe("verification-failed");
    const inconclusive = {
      ...rolledBack,
      timeline: [{ ...rolledBack.timeline[2]!, verdict: "inconclusive" }],
    };
    expect(deployEventKind(inconclusive)).toBe("gate-inconclusive");
  });

  it("carries versions, score, deployment and links as facts", () => {
    const built = event(rolledBack);
    expect(built).toMatchObject({
      kind: "rollback",
      severity: "critical",
      title: "1.2.0 was rolled back on production to 1.1.0",
    });
    expect(Object.fromEntries(built.facts.map((fact) => [fact.name, fact.value]))).toEqual({
      Version: "1.2.0",
      "Previous version": "1.1.0",
      Strategy: "canary",
      Result: "rolled-back",
      "Canary score": "12.5",
      Deployment: "#41 (rollback #42)",
      Duration: "17.0s",
      "Time to restore": "11.0s",
    });
  });
});

describe("messages", () => {
  const rollback = event(rolledBack);

  it("Slack: fallback text, header, escaped mrkdwn, fields and link buttons", () => {
    const message = slackMessage({ ...rollback, text: "a <b> & c" }) as {
      text: string;
      blocks: {
        type: string;
        text?: { text: string };
        fields?: unknown[];
        elements?: { url?: string }[];
      }[];
    };
    expect(message.text).toBe("↩️ 1.2.0 was rolled back on production to 1.1.0");
    expect(message.blocks.map((block) => block.type)).toEqual([
      "header",
      "section",
      "section",
      "context",
      "actions",
    ]);
    expect(message.blocks[1]?.text?.text).toBe("a &lt;b&gt; &amp; c");
    expect(message.blocks[2]?.fields).toHaveLength(8);
    expect(message.blocks[4]?.elements?.map((element) => element.url)).toEqual([
      "https://github.com/o/r/actions/runs/1",
      "https://github.com/o/r/deployments/production",
    ]);
  });

  it("Teams: one Adaptive Card with a fact set and open-URL actions", () => {
    const message = teamsMessage(rollback) as {
      type: string;
      attachments: {
        contentType: string;
        content: {
          type: string;
          version: string;
          body: { type: string; color?: string }[];
          actions: { type: string }[];
        };
      }[];
    };
    expect(message.type).toBe("message");
    const card = message.attachments[0]!;
    expect(card.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.content).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(card.content.body.map((block) => block.type)).toEqual([
      "TextBlock",
      "TextBlock",
      "FactSet",
      "TextBlock",
    ]);
    expect(card.content.body[0]?.color).toBe("Attention");
    expect(card.content.actions.map((action) => action.type)).toEqual([
      "Action.OpenUrl",
      "Action.OpenUrl",
    ]);
  });

  it("generic webhook: a flat, versioned document", () => {
    expect(webhookMessage(rollback)).toMatchObject({
      schema: "shipgate.notify/v1",
      event: "rollback",
      severity: "critical",
      environment: "production",
      service: "demo-api",
      facts: { Version: "1.2.0" },
    });
  });

  it("Alertmanager: labels identify the alert (no version), the rest are annotations", () => {
    const alert = firingAlert(rollback);
    expect(alert.labels).toEqual({
      alertname: "ShipgateDeployRolledBack",
      environment: "production",
      service: "demo-api",
      severity: "critical",
    });
    expect(alert.annotations).toMatchObject({
      summary: rollback.title,
      version: "1.2.0",
      previous_version: "1.1.0",
      canary_score: "12.5",
    });
    expect(Date.parse(alert.endsAt) - Date.parse(alert.startsAt)).toBe(ALERT_LIFETIME_MS);
    expect(alert.generatorURL).toBe("https://github.com/o/r/actions/runs/1");
  });
});

describe("the plan", () => {
  const settings = NotifySchema.parse({
    severity: { "gate-inconclusive": "critical" },
    channels: [
      { type: "slack", url: "${secret:SLACK}", "min-severity": "warning" },
      { type: "teams", name: "ops-teams", url: "${secret:TEAMS}", events: ["deploy-succeeded"] },
      { type: "webhook", url: "${secret:HOOK}" },
      { type: "alertmanager", url: "http://am:9093/" },
    ],
  });
  const plan = notifyPlan(settings, [
    "https://hooks.slack/x",
    "https://teams/y",
    "https://hook/z",
    "http://am:9093/",
  ]);
  const summary = (deliveries: Delivery[]) =>
    deliveries.map((delivery) => `${delivery.channel} ${delivery.what} ${delivery.url}`);

  it("a rollback goes to every channel that takes it", () => {
    expect(summary(planDeliveries(plan, event(rolledBack)))).toEqual([
      "slack#1 rollback (critical) https://hooks.slack/x",
      "webhook#3 rollback (critical) https://hook/z",
      "alertmanager#4 rollback (critical) alert http://am:9093/api/v2/alerts",
    ]);
  });

  it("a success is sent where subscribed, and resolves Alertmanager's deploy alerts with the same labels", () => {
    const deliveries = planDeliveries(plan, event(deployed));
    expect(summary(deliveries)).toEqual([
      "ops-teams deploy-succeeded (info) https://teams/y",
      "webhook#3 deploy-succeeded (info) https://hook/z",
      "alertmanager#4 resolve rollback, verification-failed, gate-inconclusive http://am:9093/api/v2/alerts",
    ]);
    const alerts = JSON.parse(deliveries[2]!.body) as {
      labels: Record<string, string>;
      startsAt: string;
      endsAt: string;
    }[];
    expect(alerts.map((alert) => `${alert.labels.alertname} ${alert.labels.severity}`)).toEqual([
      "ShipgateDeployRolledBack critical",
      "ShipgateVerificationFailed critical",
      "ShipgateCanaryGateInconclusive critical",
    ]);
    expect(alerts[0]?.endsAt).toBe(alerts[0]?.startsAt);
    expect(alerts[0]?.labels).toEqual(firingAlert(event(rolledBack)).labels);
  });

  it("webhook URLs must be secret references; Alertmanager may be a plain URL", () => {
    expect(
      NotifySchema.safeParse({
        channels: [{ type: "slack", url: "https://hooks.slack.com/services/T/B/X" }],
      }).success,
    ).toBe(false);
    expect(
      NotifySchema.safeParse({ channels: [{ type: "alertmanager", url: "${env:AM_URL}" }] })
        .success,
    ).toBe(true);
    expect(
      NotifySchema.safeParse({ channels: [{ type: "pager", url: "${secret:X}" }] }).success,
    ).toBe(false);
    expect(NotifySchema.safeParse({ severity: { rollback: "loud" } }).success).toBe(false);
    expect(alertsEndpoint("http://am:9093/api/v2/alerts/")).toBe("http://am:9093/api/v2/alerts");
  });

  it("quiet mode sends nothing and says so", async () => {
    const results = await deliverAll(planDeliveries(plan, event(rolledBack)), {
      quiet: true,
      send: () => Promise.reject(new Error("must not send")),
    });
    expect(
      results.map((result) => `${result.channel} ${result.skipped} ${result.attempts}`),
    ).toEqual(["slack#1 quiet 0", "webhook#3 quiet 0", "alertmanager#4 quiet 0"]);
  });
});

describe("the retry policy", () => {
  const policy: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300, timeoutMs: 1000 };
  const delivery: Delivery = {
    channel: "hook",
    type: "webhook",
    what: "rollback",
    method: "POST",
    url: "https://secret.example/x",
    contentType: "application/json",
    body: "{}",
  };

  it("doubles the wait from the base, capped, and honours Retry-After up to the cap", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt))).toEqual([
      100, 200, 300, 300,
    ]);
    expect(backoffDelay(policy, 1, 250)).toBe(250);
    expect(backoffDelay(policy, 1, 60_000)).toBe(300);
  });

  it("retries network errors, 408, 429 and 5xx; not other 4xx", () => {
    expect(
      [{ error: "ECONNREFUSED" }, { status: 408 }, { status: 429 }, { status: 503 }].every(
        isRetryable,
      ),
    ).toBe(true);
    expect([{ status: 400 }, { status: 404 }, { status: 410 }].some(isRetryable)).toBe(false);
  });

  it("stops at the first success, after the waits the policy gives", async () => {
    const answers: Attempt[] = [{ error: "ECONNREFUSED" }, { status: 502 }, { status: 200 }];
    const waits: number[] = [];
    const result = await deliverWithRetry(delivery, {
      policy,
      send: async () => answers.shift()!,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(result).toEqual({
      channel: "hook",
      type: "webhook",
      what: "rollback",
      ok: true,
      attempts: 3,
      status: 200,
    });
    expect(waits).toEqual([100, 200]);
  });

  it("gives up after the bounded attempts, or at once on a 4xx, without the URL in the error", async () => {
    const down = await deliverWithRetry(delivery, {
      policy,
      send: async () => ({ status: 503 }),
      sleep: async () => {},
    });
    expect(down).toMatchObject({ ok: false, attempts: 4, status: 503, error: "HTTP 503" });
    const gone = await deliverWithRetry(delivery, {
      policy,
      send: async () => ({ status: 404 }),
      sleep: async () => {},
    });
    expect(gone).toMatchObject({ ok: false, attempts: 1, status: 404 });
    const thrown = await deliverWithRetry(delivery, {
      policy,
      send: async () =>
        Promise.reject(
          Object.assign(new Error("connect https://secret.example/x"), { code: "ENOTFOUND" }),
        ),
      sleep: async () => {},
    });
    expect(thrown.error).toBe("ENOTFOUND");
    expect(JSON.stringify([down, gone, thrown])).not.toContain("secret.example");
  });
});

describe("pipeline metrics", () => {
  it("names each figure by the documented scheme", async () => {
    const text = await deployMetricsText({
      environment: "production",
      service: "demo-api",
      report: rolledBack,
      durationSeconds: 17.5,
      finishedAtMs: 1_740_823_217_000,
    });
    const samples = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(samples).toEqual([
      "shipgate_deploy_duration_seconds 17.5",
      'shipgate_deploy_result{result="deployed"} 0',
      'shipgate_deploy_result{result="rolled-back"} 1',
      'shipgate_deploy_result{result="failed"} 0',
      "shipgate_deploy_rollbacks 1",
      "shipgate_deploy_gate_seconds 10",
      "shipgate_deploy_canary_score 12.5",
      "shipgate_deploy_time_to_restore_seconds 11",
      "shipgate_deploy_timestamp_seconds 1740823217",
      'shipgate_deploy_info{version="1.2.0",previous_version="1.1.0",strategy="canary"} 1',
    ]);
  });

  it("puts the grouping key in the path, base64 when a value has a slash", () => {
    expect(deployPushUrl("http://pg:9091/", "production", "demo-api")).toBe(
      "http://pg:9091/metrics/job/shipgate_deploy/environment/production/service/demo-api",
    );
    expect(deployPushUrl("http://pg:9091", "pr/12", "api")).toBe(
      "http://pg:9091/metrics/job/shipgate_deploy/environment@base64/" +
        `${Buffer.from("pr/12").toString("base64url")}/service/api`,
    );
  });
});
