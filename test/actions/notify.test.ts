// health-verify and canary-gate send their events to the environment's notify channels: a failed
// verification, an inconclusive gate. Through the bundles, to a receiver the test runs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { json, startHttpServer, type FixtureServer } from "../support/http-fixtures.js";
import { runAction } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";
import { startReceiver, type Receiver } from "../support/receivers.js";

let receiver: Receiver;
let metrics: FixtureServer;
let ws: Workspace;

beforeAll(async () => {
  receiver = await startReceiver();
  // A JSON metrics endpoint with nothing in it: the gate gets no data.
  metrics = await startHttpServer({ "/errors": json(200, { data: [] }) });
  ws = await createWorkspace({ withExamples: false });
  await ws.write(
    "envs/base.yml",
    `service: notify-demo
health:
  checks:
    - name: api
      url: http://127.0.0.1:9/healthz
      failure-threshold: 1
      deadline: 2s
analysis:
  interval: 1s
  metrics:
    - name: errors
      provider: http
      query: ${metrics.url}/errors
      path: data
      max: 0.01
notify:
  channels:
    - type: webhook
      url: \${secret:HOOK_URL}
`,
  );
  await ws.write("envs/staging.yml", "description: staging\n");
});

afterAll(async () => {
  await receiver.stop();
  await metrics.close();
  await ws.remove();
});

beforeEach(() => {
  receiver.received.length = 0;
});

const HOOK = () => `${receiver.url}/hooks/secret-path-4f1e`;

describe("events from health-verify and canary-gate", () => {
  it("health-verify sends verification-failed, retrying a receiver that is down, with the URL masked", async () => {
    receiver.failNext(1);
    const result = await runAction({
      action: "health-verify",
      workspace: ws.dir,
      inputs: { environment: "staging", "config-dir": "envs" },
      env: { HOOK_URL: HOOK() },
    });
    expect(result.exitCode).toBe(1);
    expect(receiver.received.map((request) => request.status)).toEqual([503, 200]);
    const event = JSON.parse(receiver.received[1]?.body ?? "{}") as Record<string, unknown>;
    expect(JSON.stringify(event)).toContain("verification-failed");
    expect(JSON.stringify(event)).toContain("staging");
    expect(result.masked).toContain(HOOK());
    expect(result.lines.join("\n")).not.toContain("secret-path-4f1e");
  });

  it("canary-gate sends gate-inconclusive when it cannot judge, and nothing when told not to", async () => {
    const result = await runAction({
      action: "canary-gate",
      workspace: ws.dir,
      inputs: { environment: "staging", "config-dir": "envs", canary: "1.2.0" },
      env: { HOOK_URL: HOOK() },
    });
    expect(result.outputs.verdict).toBe("inconclusive");
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.body).toContain("gate-inconclusive");
    expect(result.masked).toContain(HOOK());

    receiver.received.length = 0;
    const quiet = await runAction({
      action: "canary-gate",
      workspace: ws.dir,
      inputs: { environment: "staging", "config-dir": "envs", canary: "1.2.0", notify: "false" },
      env: { HOOK_URL: HOOK() },
    });
    expect(quiet.outputs.verdict).toBe("inconclusive");
    expect(receiver.received).toHaveLength(0);
  });

  it("a notification that cannot be delivered is a warning, never a change of result", async () => {
    const result = await runAction({
      action: "canary-gate",
      workspace: ws.dir,
      inputs: { environment: "staging", "config-dir": "envs", canary: "1.2.0" },
      env: { HOOK_URL: "http://127.0.0.1:9/closed" },
    });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.verdict).toBe("inconclusive");
    expect(
      result.annotations.some(
        (annotation) => annotation.level === "warning" && /NOT delivered/.test(annotation.message),
      ),
    ).toBe(true);
  }, 60_000);
});
