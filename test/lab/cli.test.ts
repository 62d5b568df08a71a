// The lab CLI end to end, as the deploy action's hooks call it: up, deploy, traffic, rollback,
// promote, stop, load and down over one temporary state directory, against the real servers.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  httpGet,
  isAlive,
  killLabProcesses,
  queryPrometheus,
  readState,
  runLabCli,
  startLoad,
  waitUntil,
  type LabCliResult,
  type LabState,
} from "../../tools/lab/lab.js";

let dir: string;
const lab = (args: string[], env?: Record<string, string>): Promise<LabCliResult> =>
  runLabCli(args, { dir, env });
const state = async (): Promise<LabState> => {
  const current = await readState(dir);
  if (!current) throw new Error("no state file");
  return current;
};
/** Which slot answered each of `count` requests through the router. */
const split = async (count: number) =>
  (
    await startLoad({
      url: `${(await state()).url}/api/work`,
      rps: 500,
      durationMs: 10_000,
      maxRequests: count,
    }).done
  ).bySlot;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shipgate-lab-cli-"));
});
afterAll(async () => {
  await lab(["down"]);
  await killLabProcesses(dir);
  await rm(dir, { recursive: true, force: true });
});

describe("lab CLI, bad use", () => {
  it("explains usage and exits 2", async () => {
    const none = await lab([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain("usage: node lab/lab.mjs <command>");
    expect(await lab(["launch"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command "launch"'),
    });
    expect(await lab(["traffic", "--slot", "blue", "--wieght", "5"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Unknown option '--wieght'"),
    });
    expect(await lab(["traffic", "--slot", "blue", "--version", "1.0.0"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("traffic: no option --version"),
    });
    expect(await lab(["deploy", "--slot", "green", "--version", "1.1.0"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("the lab is not up"),
    });
  });
});

describe("lab CLI, a release from blue to green", () => {
  let up: LabCliResult;
  beforeAll(async () => {
    up = await lab(["up", "--version", "1.0.0"]);
  });

  it("up starts nginx, Prometheus and blue with all traffic", async () => {
    expect(up.stderr).toMatch(/^lab: lab up in /);
    expect(up.code).toBe(0);
    expect(up.json).toMatchObject({
      live: "blue",
      weights: { blue: 100, green: 0 },
      slots: {
        blue: { version: "1.0.0", running: true },
        green: { version: null, running: false },
      },
    });
    const current = await state();
    expect(
      [current.nginx.pid, current.prometheus.pid, current.instances.blue?.pid].every((pid) =>
        isAlive(pid),
      ),
    ).toBe(true);
    expect(
      new Set([
        current.nginx.port,
        current.prometheus.port,
        current.instances.blue?.port,
        current.instances.green?.port,
      ]).size,
    ).toBe(4);
    expect(await split(20)).toEqual({ blue: 20 });
    expect((await lab(["up"])).json).toMatchObject({ alreadyUp: true, url: current.url });
  });

  it("instances and weights print the slots' addresses and the weights in force", async () => {
    const current = await state();
    expect(await lab(["instances"])).toMatchObject({
      code: 0,
      stdout:
        `blue http://127.0.0.1:${current.instances.blue?.port}\n` +
        `green http://127.0.0.1:${current.instances.green?.port}\n`,
    });
    expect(await lab(["weights"])).toMatchObject({ code: 0, stdout: '{"blue":100,"green":0}\n' });
  });

  it("deploy refuses the slot that carries traffic, and a version that is not semver", async () => {
    expect(await lab(["deploy", "--slot", "blue", "--version", "1.1.0"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("slot blue carries 100% of traffic"),
    });
    expect(
      await lab(["deploy", "--slot", "green", "--version", "1.1.0; touch /tmp/pwned"]),
    ).toMatchObject({ code: 2, stderr: expect.stringContaining("is not a semantic version") });
    expect(await lab(["deploy", "--slot", "purple", "--version", "1.1.0"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("expected blue or green"),
    });
  });

  it("deploy takes the slot and version from SHIPGATE_* and waits for /healthz", async () => {
    const deployed = await lab(["deploy"], {
      SHIPGATE_SLOT: "green",
      SHIPGATE_VERSION: "v1.1.0",
      SHIPGATE_ENVIRONMENT: "staging",
    });
    expect(deployed.code).toBe(0);
    expect(deployed.json).toMatchObject({
      slot: "green",
      version: "1.1.0",
      previousVersion: null,
      weights: { blue: 100, green: 0 },
    });
    const current = await state();
    expect(current.environment).toBe("staging");
    const health = await httpGet(`http://127.0.0.1:${current.instances.green?.port}/healthz`);
    expect(JSON.parse(health.body)).toEqual({ status: "UP", version: "1.1.0" });
  });

  it("traffic moves a percentage to the slot and the rest to the other", async () => {
    const moved = await lab(["traffic", "--slot", "green", "--weight", "10"]);
    expect(moved.code).toBe(0);
    expect(moved.stderr).toBe("lab: traffic blue 90% / green 10%\n");
    expect(moved.json).toMatchObject({ weights: { blue: 90, green: 10 }, live: "blue" });
    expect(await split(100)).toEqual({ blue: 90, green: 10 });
    const asWeights = await lab(["traffic"], { SHIPGATE_WEIGHTS: '{"blue":90,"green":10}' });
    expect(asWeights).toMatchObject({ code: 0, json: { weights: { blue: 90, green: 10 } } });
  });

  it("rollback returns all traffic to the live slot, and again is a no-op", async () => {
    for (let i = 0; i < 2; i++) {
      const rolledBack = await lab(["rollback"], { SHIPGATE_PREVIOUS_VERSION: "1.0.0" });
      expect(rolledBack.code).toBe(0);
      expect(rolledBack.json).toMatchObject({
        rolledBackTo: "blue",
        version: "1.0.0",
        redeployed: false,
        weights: { blue: 100, green: 0 },
      });
    }
    expect(await split(20)).toEqual({ blue: 20 });
  });

  it("promote makes green live with all traffic and stops blue", async () => {
    expect(
      (await lab(["traffic"], { SHIPGATE_SLOT: "green", SHIPGATE_WEIGHT: "50" })).json,
    ).toMatchObject({ weights: { blue: 50, green: 50 } });
    const bluePid = (await state()).instances.blue?.pid;
    const promoted = await lab(["promote", "--slot", "green", "--stop-other"]);
    expect(promoted.code).toBe(0);
    expect(promoted.json).toMatchObject({
      live: "green",
      promoted: "green",
      stopped: "blue",
      weights: { blue: 0, green: 100 },
      slots: { blue: { running: false } },
    });
    expect(isAlive(bluePid)).toBe(false);
    expect(await split(30)).toEqual({ green: 30 });
    const status = await lab(["status"]);
    expect(status.json).toMatchObject({
      up: true,
      live: "green",
      running: { nginx: true, prometheus: true, blue: false, green: true },
    });
  });

  it("stop and traffic refuse what would drop requests", async () => {
    expect(await lab(["stop", "--slot", "green"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("slot green carries 100% of traffic"),
    });
    expect(await lab(["traffic", "--slot", "blue", "--weight", "10"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("slot blue has no running instance"),
    });
    expect(await lab(["traffic", "--slot", "blue", "--weight", "101"])).toMatchObject({ code: 2 });
  });

  it("load runs the load generator through the router", async () => {
    const load = await lab(["load", "--rps", "50", "--duration", "1s"]);
    expect(load.code).toBe(0);
    expect(load.json).toMatchObject({
      sent: 50,
      ok: 50,
      failed: 0,
      bySlot: { green: 50 },
      byVersion: { "1.1.0": 50 },
    });
  });

  it("Prometheus scrapes both slot ports: green's series by version, the idle blue as up == 0", async () => {
    const { prometheus } = await state();
    // Each target's first scrape has its own offset within the interval: wait for both.
    const up = await waitUntil(
      "both slots' scrapes and green's requests in Prometheus",
      async () => {
        const requests = await queryPrometheus(
          prometheus.url,
          'sum by (slot, version) (http_requests_total{route="/api/work"})',
        );
        const targets = await queryPrometheus(prometheus.url, 'up{job="demo"}');
        const greenSeen = requests.some(
          (sample) => sample.metric.slot === "green" && sample.metric.version === "1.1.0",
        );
        return greenSeen && targets.length === 2 ? targets : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(Object.fromEntries(up.map((sample) => [sample.metric.slot, sample.value[1]]))).toEqual({
      blue: "0",
      green: "1",
    });
  }, 40_000);

  it("rollback with a previous version the live slot no longer runs redeploys it in place", async () => {
    const rolledBack = await lab(["rollback", "--version", "1.0.0"]);
    expect(rolledBack.json).toMatchObject({
      rolledBackTo: "green",
      version: "1.0.0",
      redeployed: true,
      slots: { green: { version: "1.0.0", running: true } },
    });
    expect(await split(10)).toEqual({ green: 10 });
  });

  it("down stops every process and leaves the ports closed", async () => {
    const before = await state();
    const down = await lab(["down"]);
    expect(down.code).toBe(0);
    expect(down.json).toMatchObject({
      wasUp: true,
      stopped: { nginx: "stopped", prometheus: "stopped", green: "stopped", blue: "not running" },
    });
    for (const pid of [before.nginx.pid, before.prometheus.pid, before.instances.green?.pid])
      expect(isAlive(pid)).toBe(false);
    await expect(httpGet(`${before.url}/api/work`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await expect(httpGet(`${before.prometheus.url}/-/ready`)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    const after = await state();
    expect([
      after.nginx.pid,
      after.prometheus.pid,
      after.instances.blue?.pid,
      after.instances.green?.pid,
    ]).toEqual([null, null, null, null]);
    expect((await lab(["status"])).json).toMatchObject({ up: false });
  });
});
