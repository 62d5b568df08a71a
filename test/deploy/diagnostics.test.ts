// What a deploy says when it fails: a failed hook's last lines of output in the timeline, the job
// summary and the deployment status; and a failed first deploy, which had nothing live to roll back
// to, told as what it was (no incident, never "rolled back").
import { describe, expect, it } from "@jest/globals";
import { afterDeploy } from "../../src/deploy/after-deploy.js";
import { deployEvent, deployEventKind } from "../../src/deploy/deploy-event.js";
import { incidentCause } from "../../src/deploy/incident-evidence.js";
import type { HookKind } from "../../src/deploy/hooks.js";
import { DeploymentRecords } from "../../src/deploy/records.js";
import { recorder } from "../../src/deploy/recorder.js";
import { buildReport, renderDeploySummary, type DeployReport } from "../../src/deploy/report.js";
import type { RolloutOutcome, RolloutPlan, RolloutPorts } from "../../src/deploy/rollout.js";
import { runRollout } from "../../src/deploy/strategies.js";
import type { HookRun } from "../../src/deploy/run-hook.js";
import type { DeploySettings } from "../../src/deploy/settings.js";
import type { Delivery } from "../../src/notify/plan.js";
import { notifyPlan } from "../../src/notify/plan.js";
import type { ResolvedNotify } from "../../src/notify/settings.js";
import type { GitHubClient } from "../../src/runtime/github.js";
import { NotifySchema } from "../../src/schema/notify.js";

const settings = (extra: Partial<DeploySettings> = {}): DeploySettings => ({
  strategy: "rolling",
  steps: [100],
  slots: ["blue", "green"],
  slotUrls: {},
  hooks: { deploy: "./deploy.sh {{ version }}" },
  hookTimeoutMs: 600_000,
  switchBufferMs: 0,
  drainMs: 0,
  skipAnalysis: false,
  onInconclusive: "rollback",
  ...extra,
});

const plan = (extra: Partial<RolloutPlan> = {}): RolloutPlan => ({
  environment: "production",
  version: "1.2.0",
  previousVersion: "1.1.0",
  stableSlot: "blue",
  targetSlot: "blue",
  settings: settings(),
  ...extra,
});

const ok: HookRun = { exitCode: 0, timedOut: false, durationMs: 1000, tail: ["done"] };

/** Ports whose hooks answer from `runs` by kind (a list is used up in order), all else fine. */
function ports(runs: Partial<Record<HookKind, HookRun | HookRun[]>>): RolloutPorts {
  let now = Date.UTC(2026, 0, 5, 9);
  return {
    hook: async (kind) => {
      const run = runs[kind];
      return (Array.isArray(run) ? run.shift() : run) ?? ok;
    },
    health: async () => undefined,
    gate: async () => ({ verdict: "promote", score: 100, detail: "every deciding metric passed" }),
    now: () => (now += 500),
    sleep: async () => {},
    log: () => {},
    checkpoint: () => {},
    signal: new AbortController().signal,
  };
}

/** A hook that failed the way real ones do: the reason a few lines above the last line. */
const failed: HookRun = {
  exitCode: 1,
  timedOut: false,
  durationMs: 4200,
  tail: [
    "+ kubectl set image deploy/demo-api app=ghcr.io/octo/demo-api:1.2.0",
    "deployment.apps/demo-api image updated",
    "Waiting for rollout to finish: 0 of 3 updated replicas are available...",
    "",
    'error: pod demo-api-7d9 failed: ImagePullBackOff: manifest for "1.2.0" not found',
    "   ",
    "rollout aborted after 1 attempt(s)",
    "see `kubectl describe pod demo-api-7d9` for *details*",
    "Error: exit status 1",
  ],
};

const LAST_FIVE = [
  "Waiting for rollout to finish: 0 of 3 updated replicas are available...",
  'error: pod demo-api-7d9 failed: ImagePullBackOff: manifest for "1.2.0" not found',
  "rollout aborted after 1 attempt(s)",
  "see `kubectl describe pod demo-api-7d9` for *details*",
  "Error: exit status 1",
];

describe("a failed hook's diagnostics", () => {
  it("carries the last five non-empty lines of output, led by the last one", async () => {
    const outcome = await runRollout(plan(), ports({ deploy: [failed] }));
    const event = outcome.timeline[0];
    expect(event).toMatchObject({ step: "deploy", ok: false });
    expect(event?.detail).toBe(
      ["deploy hook exited 1: Error: exit status 1", ...LAST_FIVE.map((line) => `› ${line}`)].join(
        "\n",
      ),
    );
    // The outcome's reason stays one sentence: the status, annotation and alerts lead with it.
    expect(outcome.reason).toBe("deploy hook exited 1: Error: exit status 1");
    expect(outcome.result).toBe("rolled-back");
  });

  it("keeps a one-line output on one line, and says so when there was none", async () => {
    const single = await runRollout(
      plan(),
      ports({ deploy: { ...failed, tail: ["cannot reach the cluster"] } }),
    );
    expect(single.timeline[0]?.detail).toBe("deploy hook exited 1: cannot reach the cluster");
    const silent = await runRollout(plan(), ports({ deploy: { ...failed, tail: ["", " "] } }));
    expect(silent.timeline[0]?.detail).toBe("deploy hook exited 1");
  });

  it("keeps a timed-out hook's output, and a failed restore's", async () => {
    const timedOut: HookRun = {
      exitCode: 124,
      timedOut: true,
      durationMs: 2000,
      tail: ["waiting for the load balancer", "hook timed out after 2000 ms"],
    };
    const brokenRestore: HookRun = {
      ...failed,
      exitCode: 2,
      tail: ["cannot restore: 1.1.0 image was garbage-collected", "exit 2"],
    };
    const outcome = await runRollout(
      plan({ settings: settings({ hookTimeoutMs: 2000 }) }),
      ports({ deploy: [timedOut, brokenRestore] }),
    );
    expect(outcome.timeline.map((event) => event.detail)).toEqual([
      "deploy hook timed out after 2s\n› waiting for the load balancer\n› hook timed out after 2000 ms",
      "deploy hook exited 2: exit 2\n› cannot restore: 1.1.0 image was garbage-collected\n› exit 2",
    ]);
    expect(outcome.reason).toBe("deploy hook timed out after 2s; restoring 1.1.0 failed too");
  });

  it("bounds each line, cutting between words so no secret is cut in two", async () => {
    const token = "ghp_" + "x".repeat(36);
    // The token starts before the 200th character and ends after it.
    const words = Array.from({ length: 28 }, (_, index) => `word${index}`).join(" ");
    const long = `${words} ${token} trailing`;
    const blob = "y".repeat(500);
    const outcome = await runRollout(
      plan(),
      ports({ deploy: { ...failed, tail: [long, blob, "the last line"] } }),
    );
    const lines = (outcome.timeline[0]?.detail ?? "").split("\n");
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(204);
    expect(lines[1]).toMatch(/^› word0 word1 .* word\d+ …$/);
    expect(lines[2]).toBe("› … (a line of 500 characters)");
    // A token is either whole or absent, never a piece of it.
    for (const line of lines) {
      for (let cut = 4; cut < token.length; cut += 1) {
        if (line.includes(token.slice(0, cut)) && !line.includes(token)) {
          throw new Error(`a piece of the token in: ${line}`);
        }
      }
    }
  });

  it("renders multi-line details in one table row, output as literal text", async () => {
    const outcome = await runRollout(plan(), ports({ deploy: [failed] }));
    const summary = renderDeploySummary(report(outcome));
    const row = summary.split("\n").find((line) => line.includes("✗ deploy"));
    expect(row).toBeDefined();
    expect(row).toContain(
      "deploy hook exited 1: Error: exit status 1<br>› Waiting for rollout to finish",
    );
    expect(row).toContain('manifest for "1.2.0" not found');
    expect(row).toContain("see \\`kubectl describe pod demo-api-7d9\\` for \\*details\\*");
    expect(row?.endsWith("<br>› Error: exit status 1 |")).toBe(true);
    // The sentence above the table is the reason, one line.
    expect(summary).toContain("**Rolled back: deploy hook exited 1: Error: exit status 1.**");
  });

  it("leads the deployment status with the hook's last line, within GitHub's 140 characters", async () => {
    const outcome = await runRollout(plan(), ports({ deploy: [failed] }));
    const bodies: Record<string, unknown>[] = [];
    const client = {
      request: async (_route: string, params: Record<string, unknown>) => {
        bodies.push(params);
        return { status: 201, data: { id: 99 } };
      },
    } as unknown as GitHubClient;
    const records = new DeploymentRecords(client, { owner: "o", repo: "r" });
    const record = recorder(
      {
        environment: "production",
        version: "1.2.0",
        previousVersion: "1.1.0",
        strategy: "rolling",
        stableSlot: "blue",
        targetSlot: "blue",
        ref: "main",
        production: true,
        transient: false,
      },
      records,
    );
    await record.finish(7, outcome);
    const description = String(bodies[0]?.description);
    expect(description.length).toBeLessThanOrEqual(140);
    expect(description).toBe("deploy hook exited 1: Error: exit status 1");
  });
});

function report(outcome: RolloutOutcome, first = false) {
  return buildReport(
    {
      environment: "production",
      version: first ? "1.0.0" : "1.2.0",
      ...(first ? {} : { previousVersion: "1.1.0" }),
      strategy: "rolling",
      deploymentId: 7,
    },
    outcome,
  );
}

describe("a failed first deploy", () => {
  const first = plan({ version: "1.0.0", previousVersion: undefined });
  const failure = { ...failed, tail: ["cannot reach the cluster"] };

  it("says nothing was restored, rather than that restoring failed", async () => {
    const outcome = await runRollout(first, ports({ deploy: failure }));
    expect(outcome).toMatchObject({
      result: "failed",
      reason: "deploy hook exited 1: cannot reach the cluster; no earlier version to restore",
    });
    expect(outcome.liveVersion).toBeUndefined();
  });

  const firstReport = async (): Promise<DeployReport> =>
    report(await runRollout(first, ports({ deploy: failure })), true);

  it("opens no incident, whatever failed", async () => {
    const failedFirst = await firstReport();
    expect(deployEventKind(failedFirst)).toBe("rollback");
    expect(incidentCause(failedFirst)).toBeUndefined();
    const unhealthy: DeployReport = {
      ...failedFirst,
      timeline: [{ at: "", elapsedMs: 1, step: "health", ok: false, detail: "healthz: 503" }],
    };
    expect(deployEventKind(unhealthy)).toBe("verification-failed");
    expect(incidentCause(unhealthy)).toBeUndefined();
    // With a version to return to, the same failures still open one.
    expect(incidentCause({ ...failedFirst, previousVersion: "0.9.0" })).toBe("rollback");
    expect(incidentCause({ ...unhealthy, previousVersion: "0.9.0" })).toBe("verification-failed");
  });

  it("is announced as a failed first deploy with nothing restored, never as rolled back", async () => {
    const failedFirst = await firstReport();
    const options = {
      service: "demo-api",
      severity: () => "critical" as const,
      links: {},
      at: "2026-01-05T09:00:00.000Z",
    };
    const built = deployEvent(failedFirst, options);
    expect(built.title).toBe(
      "first deploy of 1.0.0 to production failed; nothing was live before, nothing restored",
    );
    const unhealthy = deployEvent(
      {
        ...failedFirst,
        timeline: [{ at: "", elapsedMs: 1, step: "health", ok: false, detail: "healthz: 503" }],
      },
      options,
    );
    expect(unhealthy.title).toBe(
      "first deploy of 1.0.0 failed verification on production; nothing was live before, nothing restored",
    );
    for (const text of [built.title, built.text, unhealthy.title, unhealthy.text])
      expect(text).not.toMatch(/rolled back/i);
    // A failed deploy that had a version to return to keeps its wording.
    expect(deployEvent({ ...failedFirst, previousVersion: "0.9.0" }, options).title).toBe(
      "deploy of 1.0.0 to production failed",
    );
  });

  it("sends the notification but touches no issue", async () => {
    const failedFirst = await firstReport();
    const calls: string[] = [];
    const client = {
      request: async (route: string) => {
        calls.push(route);
        throw new Error(`unexpected ${route}`);
      },
      graphql: async () => {
        calls.push("graphql");
        throw new Error("unexpected graphql");
      },
    } as unknown as GitHubClient;
    const sent: Delivery[] = [];
    const info: string[] = [];
    const notify: ResolvedNotify = {
      plan: notifyPlan(
        NotifySchema.parse({ channels: [{ type: "webhook", name: "ops", url: "${secret:OPS}" }] }),
        ["http://127.0.0.1:9/ops"],
      ),
      incidents: true,
      secrets: [],
      problems: [],
    };
    const result = await afterDeploy(
      {
        report: failedFirst,
        repository: { owner: "o", repo: "r" },
        service: "demo-api",
        notify,
        links: {},
        startedAtMs: 0,
      },
      {
        client,
        send: async (delivery) => {
          sent.push(delivery);
          return { status: 200 };
        },
        now: () => 1000,
        info: (line) => info.push(line),
        warn: (line) => {
          throw new Error(`unexpected warning: ${line}`);
        },
      },
    );
    expect(calls).toEqual([]);
    expect(result.incidents).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(sent).toHaveLength(1);
    const body = JSON.parse(sent[0]?.body ?? "{}") as { title: string; text: string };
    expect(body.title).toMatch(/^first deploy of 1\.0\.0 to production failed/);
    expect(JSON.stringify(body)).not.toMatch(/rolled back/i);
    expect(info).toContain(
      "no incident: 1.0.0 was the first deploy to production (nothing was live before)",
    );
  });
});
