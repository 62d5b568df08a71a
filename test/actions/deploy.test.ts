// deploy's bundle against the lab (the demo service in two slots behind a real nginx, watched by a
// real Prometheus) and the GitHub API stand-in: every strategy, its failures, and the exact
// sequence of deployment records and statuses each leaves behind.
import { beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { appendFile, cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Cleanup,
  labLive,
  labStatus,
  seedDeployment,
  startLoad,
  type LoadRun,
} from "../../tools/lab/lab.js";
import { ROOT, runAction, type ActionResult } from "../../tools/runner/run-action.js";
import { useDeployLab } from "../support/deploy-lab.js";
import { startReceiver } from "../support/receivers.js";

const REPOSITORY = "octo-org/demo-api";
const cleanup = new Cleanup();
const lab = useDeployLab(REPOSITORY, cleanup);

interface Live {
  slot: "blue" | "green";
  version: string;
}

const live = (): Promise<Live> => labLive(lab.dir);

async function weights(): Promise<Record<string, number>> {
  return ((await labStatus(lab.dir)) as unknown as { weights: Record<string, number> }).weights;
}

/** A fresh GitHub whose record says what the lab runs now: one successful deployment. */
async function seedRecord(
  state: "success" | "in_progress" = "success",
  version?: string,
): Promise<number> {
  const now = await live();
  return seedDeployment(lab.client, REPOSITORY, {
    version: version ?? now.version,
    slot: now.slot,
    state,
  });
}

/** Every deployment write, in order, named by version and strategy: the record the run left. */
async function recordSequence(): Promise<string[]> {
  const [owner, repo] = REPOSITORY.split("/") as [string, string];
  const { data } = await lab.client.request("GET /repos/{owner}/{repo}/deployments", {
    owner,
    repo,
    per_page: 100,
  });
  const names = new Map(
    data.map((deployment) => {
      const payload = deployment.payload as { version?: string; strategy?: string };
      return [Number(deployment.id), `${payload.version} ${payload.strategy}`];
    }),
  );
  const writes = lab.github.calls.filter(
    (call) => call.method === "POST" && call.operationId?.startsWith("repos/create-deployment"),
  );
  // The seeded record is written by the test itself: leave it out.
  return writes.slice(2).map((call) => {
    if (call.operationId === "repos/create-deployment") {
      const body = call.requestBody as { payload: { version: string; strategy: string } };
      return `create ${body.payload.version} ${body.payload.strategy}`;
    }
    const id = Number(/deployments\/(\d+)\/statuses/.exec(call.path)?.[1]);
    return `${names.get(id)}: ${(call.requestBody as { state: string }).state}`;
  });
}

function deploy(
  inputs: Record<string, string>,
  options: Pick<Parameters<typeof runAction>[0], "env" | "onLine"> = {},
): Promise<ActionResult> {
  return runAction({
    action: "deploy",
    workspace: ROOT,
    repository: REPOSITORY,
    apiUrl: lab.github.url,
    inputs: {
      environment: "production",
      "config-dir": "lab/environments",
      token: "test-token",
      // The lab's addresses as a workflow passes configuration variables.
      vars: JSON.stringify(lab.env),
      ...inputs,
    },
    env: { ...options.env },
    timeoutMs: 240_000,
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
}

/** Steady traffic through nginx for the whole of `body`; returns what it counted. */
async function underLoad<T>(
  body: () => Promise<T>,
): Promise<{ value: T; load: Awaited<ReturnType<LoadRun["stop"]>> }> {
  const load = startLoad({ url: `${lab.env.LAB_URL}/api/work`, rps: 100, durationMs: 300_000 });
  try {
    const value = await body();
    return { value, load: await load.stop() };
  } catch (error) {
    await load.stop();
    throw error;
  }
}

interface Report {
  result: string;
  timeline: { step: string; ok: boolean; weight?: number; verdict?: string; slot?: string }[];
  figures: { secondsToRestore?: number; gateMs: number };
}
const reportOf = (result: ActionResult) => JSON.parse(result.outputs.report ?? "{}") as Report;

beforeEach(() => lab.github.reset());

describe("deploy against the lab", () => {
  it("promotes a good canary through its traffic steps", async () => {
    const before = await live();
    await seedRecord();
    const { value: result, load } = await underLoad(() =>
      deploy({ version: "v1.1.1", steps: "50,100" }),
    );
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      result: "deployed",
      version: "1.1.1",
      "previous-version": before.version,
    });
    expect(await live()).toEqual({
      slot: before.slot === "blue" ? "green" : "blue",
      version: "1.1.1",
    });
    const report = reportOf(result);
    expect(
      report.timeline.map((event) => {
        const weight = event.weight !== undefined ? ` ${event.weight}` : "";
        return `${event.step}${weight}${event.verdict ? ` ${event.verdict}` : ""}`;
      }),
    ).toEqual([
      "deploy",
      "health",
      "traffic 50",
      "gate 50 promote",
      "traffic 100",
      "health",
      "promote",
    ]);
    expect(await recordSequence()).toEqual([
      "create 1.1.1 canary",
      "1.1.1 canary: in_progress",
      "1.1.1 canary: success",
    ]);
    expect(load.failed).toBe(0);
    expect(result.summary).toMatch(/deploy: `1\.1\.1` to `production` \(canary\) — ✅ deployed/);
    expect(lab.github.requestViolations).toEqual([]);
  }, 180_000);

  it("rolls back a canary with 5% errors, caught by the gate at the first step", async () => {
    const before = await live();
    await seedRecord();
    const { value: result } = await underLoad(() => deploy({ version: "1.2.0" }));
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({
      result: "rolled-back",
      "previous-version": before.version,
    });
    expect(await live()).toEqual(before);
    expect((await weights())[before.slot]).toBe(100);
    const report = reportOf(result);
    expect(
      report.timeline
        .filter((event) => event.step === "gate")
        .map((event) => `${event.weight} ${event.verdict}`),
    ).toEqual(["10 rollback"]);
    expect(report.timeline.at(-1)).toMatchObject({ step: "rollback", ok: true, slot: before.slot });
    expect(report.figures.secondsToRestore).toBeGreaterThan(0);
    expect(await recordSequence()).toEqual([
      "create 1.2.0 canary",
      "1.2.0 canary: in_progress",
      "1.2.0 canary: failure",
      `create ${before.version} rollback`,
      `${before.version} rollback: success`,
    ]);
    expect(result.annotations.find((annotation) => annotation.level === "error")?.message).toMatch(
      /was rolled back to .*canary gate said roll back at 10%: errors detected a regression.*anytime-valid interval/,
    );
    expect(lab.github.requestViolations).toEqual([]);
  }, 180_000);

  it("switches blue-green with no request lost, and keeps the old slot until promotion", async () => {
    const before = await live();
    await seedRecord();
    const { value: result, load } = await underLoad(() =>
      deploy({ version: "1.1.2", strategy: "blue-green" }),
    );
    expect(result.exitCode).toBe(0);
    expect(await live()).toEqual({
      slot: before.slot === "blue" ? "green" : "blue",
      version: "1.1.2",
    });
    expect(reportOf(result).timeline.map((event) => event.step)).toEqual([
      "deploy",
      "health",
      "traffic",
      "switch",
      "health",
      "promote",
    ]);
    expect(load.failed).toBe(0);
    expect(await recordSequence()).toEqual([
      "create 1.1.2 blue-green",
      "1.1.2 blue-green: in_progress",
      "1.1.2 blue-green: success",
    ]);
  }, 180_000);

  it("switches blue-green back when the environment does not serve the new version after the switch", async () => {
    const before = await live();
    await seedRecord();
    // A traffic hook that does nothing: the environment still answers with the old version.
    const result = await deploy({
      version: "1.1.3",
      strategy: "blue-green",
      "traffic-command": "echo not switching {{ slot }}",
    });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.result).toBe("rolled-back");
    expect(await live()).toEqual(before);
    const steps = reportOf(result).timeline.map(
      (event) => `${event.step} ${event.ok ? "ok" : "failed"}`,
    );
    expect(steps).toEqual([
      "deploy ok",
      "health ok",
      "traffic ok",
      "switch ok",
      "health failed",
      "rollback ok",
    ]);
    expect(await recordSequence()).toEqual([
      "create 1.1.3 blue-green",
      "1.1.3 blue-green: in_progress",
      "1.1.3 blue-green: failure",
      `create ${before.version} rollback`,
      `${before.version} rollback: success`,
    ]);
  }, 180_000);

  it("rolls back a rolling deploy whose health check fails", async () => {
    const before = await live();
    await seedRecord();
    // The deploy hook "succeeds" without deploying: the expected-version check catches it.
    const result = await deploy({
      version: "1.1.4",
      strategy: "rolling",
      "deploy-command": "echo deployed {{ version }} to {{ slot }}",
    });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.result).toBe("rolled-back");
    const health = reportOf(result).timeline.find((event) => event.step === "health");
    expect(health).toMatchObject({ ok: false });
    expect(
      result.lines.some(
        (line) => line.includes(`version ${before.version}`) || line.includes("1.1.4"),
      ),
    ).toBe(true);
    expect((await recordSequence()).slice(0, 3)).toEqual([
      "create 1.1.4 rolling",
      "1.1.4 rolling: in_progress",
      "1.1.4 rolling: failure",
    ]);
  }, 180_000);

  it("rolls back when a hook fails, and when a hook runs past its timeout", async () => {
    const before = await live();
    await seedRecord();
    const failing = await deploy({
      version: "1.1.5",
      "deploy-command": "echo cannot reach the cluster >&2; exit 3",
    });
    expect(failing.outputs.result).toBe("rolled-back");
    expect(reportOf(failing).timeline[0]).toMatchObject({ step: "deploy", ok: false });
    expect(failing.annotations.find((annotation) => annotation.level === "error")?.message).toMatch(
      /deploy hook exited 3: cannot reach the cluster/,
    );

    lab.github.reset();
    await seedRecord();
    const marker = `shipgate-timeout-${process.pid}`;
    const slow = await deploy({
      version: "1.1.6",
      "deploy-command": `sleep 30 # ${marker}`,
      timeout: "2s",
    });
    expect(slow.outputs.result).toBe("rolled-back");
    expect(reportOf(slow).timeline[0]).toMatchObject({ step: "deploy", ok: false });
    expect(slow.annotations.find((annotation) => annotation.level === "error")?.message).toMatch(
      /deploy hook timed out after 2s/,
    );
    // The hook's whole process group is gone.
    expect(() => execFileSync("pgrep", ["-f", marker])).toThrow();
    expect(await live()).toEqual(before);
  }, 180_000);

  it("refuses to start while another deployment of the environment is in progress", async () => {
    const running = await seedRecord("in_progress", "1.0.9");
    const result = await deploy({ version: "1.1.7" });
    expect(result.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      new RegExp(
        `deployment #${running} of 1\\.0\\.9 to production is still in_progress: wait for it, or set force: true`,
      ),
    );
    expect(lab.github.callsTo("repos/create-deployment")).toHaveLength(1);
  }, 60_000);

  it("restores stable traffic and marks the deployment error when stopped mid-canary", async () => {
    const before = await live();
    await seedRecord();
    let signalled = false;
    const { value: result } = await underLoad(() =>
      deploy(
        { version: "1.1.8" },
        {
          onLine: (line, child) => {
            if (!signalled && line.startsWith("canary gate at 10%")) {
              signalled = true;
              child.kill("SIGTERM");
            }
          },
        },
      ),
    );
    expect(signalled).toBe(true);
    expect(result.exitCode).toBe(1);
    expect(await live()).toEqual(before);
    expect((await weights())[before.slot]).toBe(100);
    const sequence = await recordSequence();
    expect(sequence.slice(0, 3)).toEqual([
      "create 1.1.8 canary",
      "1.1.8 canary: in_progress",
      "1.1.8 canary: error",
    ]);
    expect(reportOf(result).timeline.map((event) => event.step)).toContain("cancel");
  }, 180_000);

  it("has the post step restore traffic when the main step was killed outright", async () => {
    const before = await live();
    await seedRecord();
    let killed = false;
    const main = await deploy(
      { version: "1.1.9" },
      {
        onLine: (line, child) => {
          if (!killed && line.startsWith("canary gate at 10%")) {
            killed = true;
            child.kill("SIGKILL");
          }
        },
      },
    );
    expect(main.annotations.filter((annotation) => annotation.level === "error")).toEqual([]);
    expect(killed).toBe(true);
    expect(main.state).toMatchObject({ isPost: "true", stage: "traffic-moved" });
    expect((await weights())[before.slot]).toBe(90);
    const stateEnv = Object.fromEntries(
      Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]),
    );
    const post = await deploy({ version: "1.1.9" }, { env: stateEnv });
    expect(post.exitCode).toBe(0);
    expect((await weights())[before.slot]).toBe(100);
    expect((await recordSequence()).slice(-1)).toEqual(["1.1.9 canary: error"]);
  }, 180_000);

  it(
    "notifies a channel and keeps an incident issue: " +
      "opened by a failed verification, closed by the next success",
    async () => {
      const before = await live();
      await seedRecord();
      const configDir = await mkdtemp(join(tmpdir(), "shipgate-notify-env-"));
      cleanup.add(() => rm(configDir, { recursive: true, force: true }));
      await cp(join(ROOT, "lab", "environments"), configDir, { recursive: true });
      await appendFile(
        join(configDir, "production.yml"),
        '\nnotify:\n  channels:\n    - { type: webhook, name: ops, url: "${secret:OPS_HOOK}" }\n',
      );
      const receiver = await startReceiver();
      cleanup.add(() => receiver.stop());
      const hook = `${receiver.url}/hooks/T0001/secret-path`;
      receiver.failNext(1);

      // The traffic hook does nothing: the environment keeps answering with the old version.
      const failed = await deploy(
        {
          version: "1.1.10",
          strategy: "blue-green",
          "config-dir": configDir,
          "traffic-command": "echo not switching {{ slot }}",
        },
        { env: { OPS_HOOK: hook } },
      );
      expect(failed.outputs.result).toBe("rolled-back");
      const notified = JSON.parse(failed.outputs.notifications ?? "{}") as {
        deliveries: { channel: string; what: string; ok: boolean; attempts: number }[];
        incidents: { action: string; issue: number }[];
      };
      expect(notified.deliveries).toEqual([
        expect.objectContaining({
          channel: "ops",
          what: "verification-failed (critical)",
          ok: true,
          attempts: 2,
        }),
      ]);
      expect(notified.incidents).toEqual([expect.objectContaining({ action: "opened", issue: 1 })]);
      expect(receiver.received.map((request) => request.status)).toEqual([503, 200]);
      expect(JSON.parse(receiver.received[1]?.body ?? "{}")).toMatchObject({
        event: "verification-failed",
        environment: "production",
        service: "lab-demo",
        facts: { Version: "1.1.10" },
      });
      expect(failed.masked).toContain(hook);
      expect(failed.lines.filter((line) => line.includes("secret-path"))).toEqual([]);
      expect(lab.github.storedIssues(REPOSITORY)[0]).toMatchObject({
        state: "open",
        labels: ["incident", "env:production"],
      });
      expect(await live()).toEqual(before);

      const fixed = await deploy(
        { version: "1.1.11", strategy: "blue-green", "config-dir": configDir },
        { env: { OPS_HOOK: hook } },
      );
      expect(fixed.exitCode).toBe(0);
      expect(JSON.parse(fixed.outputs.notifications ?? "{}").incidents).toEqual([
        expect.objectContaining({ action: "closed", issue: 1 }),
      ]);
      expect(JSON.parse(receiver.received.at(-1)?.body ?? "{}")).toMatchObject({
        event: "deploy-succeeded",
        facts: { Version: "1.1.11" },
      });
      expect(lab.github.storedIssues(REPOSITORY)[0]).toMatchObject({ state: "closed" });
      expect(lab.github.requestViolations).toEqual([]);
    },
    180_000,
  );
});
