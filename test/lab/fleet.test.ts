// The lab in fleet mode, end to end through its CLI as deploy's fleet hooks call it: three named
// instances that all serve traffic behind nginx, weights set per instance, an instance drained,
// redeployed and put back under load without a failed request, and the event log that proves
// capacity and "never deploy into live traffic" afterwards.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Cleanup,
  equalWeights,
  httpGet,
  isAlive,
  killLabProcesses,
  minServing,
  parseWeights,
  queryPrometheus,
  readLabEvents,
  readState,
  runLabCli,
  startFleetLab,
  startLoad,
  waitUntil,
  type DeployEvent,
  type LabCliResult,
  type LabEvent,
  type LabState,
} from "../../tools/lab/lab.js";

const FLEET = ["vm1", "vm2", "vm3"];
const cleanup = new Cleanup();
let dir: string;
const lab = (args: string[], env?: Record<string, string>): Promise<LabCliResult> =>
  runLabCli(args, { dir, env });
const state = async (): Promise<LabState> => {
  const current = await readState(dir);
  if (!current) throw new Error("no state file");
  return current;
};
const instanceUrl = async (name: string): Promise<string> =>
  `http://127.0.0.1:${(await state()).instances[name]?.port}`;
/** Which instance answered each of `count` requests through the router. */
const split = async (count: number) =>
  (
    await startLoad({
      url: `${(await state()).url}/api/work`,
      rps: 500,
      durationMs: 10_000,
      maxRequests: count,
    }).done
  ).bySlot;
/** The version each instance reports over HTTP, asked directly. */
const versions = async (): Promise<Record<string, string>> => {
  const entries = await Promise.all(
    FLEET.map(async (name) => {
      const response = await httpGet(`${await instanceUrl(name)}/version`);
      return [name, (JSON.parse(response.body) as { version: string }).version] as const;
    }),
  );
  return Object.fromEntries(entries);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shipgate-lab-fleet-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  cleanup.add(() => killLabProcesses(dir));
  cleanup.add(() => lab(["down"]));
});
afterAll(() => cleanup.run(), 30_000);

describe("fleet rules", () => {
  it("shares 100 equally by largest remainder", () => {
    expect(equalWeights(FLEET)).toEqual({ vm1: 34, vm2: 33, vm3: 33 });
    expect(Object.values(equalWeights(["a", "b", "c", "d", "e", "f", "g"]))).toEqual([
      15, 15, 14, 14, 14, 14, 14,
    ]);
    expect(equalWeights(["solo"])).toEqual({ solo: 100 });
  });

  it("reads weights as name=weight pairs or a JSON object", () => {
    expect(parseWeights("vm1=0, vm2=50,vm3=50", "--weights")).toEqual({ vm1: 0, vm2: 50, vm3: 50 });
    expect(parseWeights('{"vm1":0,"vm2":100}', "SHIPGATE_WEIGHTS")).toEqual({ vm1: 0, vm2: 100 });
    for (const bad of ["vm1", "vm1=1.5", "vm1=-1", "vm1=101", "vm1=1,vm1=2", "{", "[1]", ""])
      expect(() => parseWeights(bad, "--weights")).toThrow(/^--weights: /);
  });

  it("counts the fewest instances serving over the weights events", () => {
    const at = "2026-01-01T00:00:00.000Z";
    const events: LabEvent[] = [
      { at, type: "deploy", instance: "vm1", version: "1.0.0", weightAtDeploy: 0 },
      { at, type: "weights", weights: { vm1: 34, vm2: 33, vm3: 33 } },
      { at, type: "weights", weights: { vm1: 0, vm2: 50, vm3: 50 } },
      { at, type: "weights", weights: { vm1: 50, vm2: 50, vm3: 0 } },
    ];
    expect(minServing(events)).toBe(2);
    expect(minServing(events.slice(0, 2))).toBe(3);
    expect(minServing([])).toBe(0);
  });
});

describe("lab CLI, a fleet of three", () => {
  let up: LabCliResult;
  beforeAll(async () => {
    up = await lab(["up", "--instances", FLEET.join(","), "--version", "1.0.0"]);
  }, 30_000);

  it("up starts one process per instance, all serving, weights 34/33/33", async () => {
    expect(up.stderr).toMatch(/^lab: lab up in .*every instance runs 1\.0\.0/);
    expect(up.code).toBe(0);
    expect(up.json).toMatchObject({
      mode: "fleet",
      live: null,
      weights: { vm1: 34, vm2: 33, vm3: 33 },
      instances: FLEET.map((name) => ({ name, version: "1.0.0", running: true })),
    });
    const current = await state();
    const pids = Object.values(current.instances).map((instance) => instance.pid);
    expect([current.nginx.pid, current.prometheus.pid, ...pids].every((pid) => isAlive(pid))).toBe(
      true,
    );
    const ports = Object.values(current.instances).map((instance) => instance.port);
    expect(new Set([current.nginx.port, current.prometheus.port, ...ports]).size).toBe(5);
    expect(await versions()).toEqual({ vm1: "1.0.0", vm2: "1.0.0", vm3: "1.0.0" });
    expect(await split(100)).toEqual({ vm1: 34, vm2: 33, vm3: 33 });
    expect((await lab(["up", "--instances", FLEET.join(",")])).json).toMatchObject({
      alreadyUp: true,
    });
  });

  it("instances prints each instance's own address, weights the weights in force", async () => {
    const instances = await lab(["instances"]);
    expect(instances.code).toBe(0);
    const current = await state();
    expect(instances.stdout).toBe(
      FLEET.map((name) => `${name} http://127.0.0.1:${current.instances[name]?.port}\n`).join(""),
    );
    const weights = await lab(["weights"]);
    expect(weights).toMatchObject({ code: 0, stdout: '{"vm1":34,"vm2":33,"vm3":33}\n' });
  });

  it("refuses what does not fit a fleet, or this fleet", async () => {
    const refusals: [string[], string][] = [
      [["up"], "already runs a fleet of vm1, vm2, vm3, not a slot lab"],
      [["up", "--instances", "vm1,vm2"], "not a fleet of vm1, vm2"],
      [["traffic", "--weights", "vm1=50,vm4=50"], "no instance vm4 in this lab"],
      [["traffic", "--weights", "vm1=50,vm2=40"], "the weights must sum to 100, got 90"],
      [["traffic", "--slot", "blue", "--weight", "10"], "this lab is a fleet"],
      [["traffic"], "--weights (or SHIPGATE_WEIGHTS) is required"],
      [["deploy", "--slot", "blue", "--version", "1.1.0"], "name the instance with --instance"],
      [["deploy", "--instance", "vm9", "--version", "1.1.0"], 'no instance "vm9" in this fleet'],
      [["promote", "--slot", "green"], "promote: this lab is a fleet"],
      [["rollback"], "rollback: this lab is a fleet"],
    ];
    for (const [args, message] of refusals)
      expect(await lab(args)).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    const elsewhere = await mkdtemp(join(tmpdir(), "shipgate-lab-fleet-bad-"));
    cleanup.add(() => rm(elsewhere, { recursive: true, force: true }));
    for (const names of ["vm1,VM2", "vm1,vm1", "vm1,,vm2"])
      expect(await runLabCli(["up", "--instances", names], { dir: elsewhere })).toMatchObject({
        code: 2,
        stderr: expect.stringContaining("--instances: "),
      });
    expect(await lab(["weights"])).toMatchObject({ stdout: '{"vm1":34,"vm2":33,"vm3":33}\n' });
  });

  it("deploy refuses an instance that carries traffic", async () => {
    expect(await lab(["deploy", "--instance", "vm1", "--version", "1.1.0"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        "instance vm1 carries 34% of traffic; take it out of traffic first",
      ),
    });
    expect((await versions()).vm1).toBe("1.0.0");
  });

  it("traffic drains an instance: once it returns, nginx sends that instance nothing", async () => {
    const accessLog = join((await state()).nginx.prefix, "logs", "access.log");
    const drained = await lab(["traffic", "--weights", "vm1=0,vm2=50,vm3=50"]);
    expect(drained).toMatchObject({ code: 0, stderr: "lab: traffic vm1 0% / vm2 50% / vm3 50%\n" });
    const from = (await stat(accessLog)).size;
    expect(await split(200)).toEqual({ vm2: 100, vm3: 100 });
    // nginx writes a request's line as it finishes it, which may be just after the client has it.
    const lines = await waitUntil("200 lines in nginx's access log", async () => {
      const logged = (await readFile(accessLog, "utf8")).slice(from).trim().split("\n");
      return logged.length >= 200 ? logged : undefined;
    });
    expect(lines).toHaveLength(200);
    const vm1 = `upstream=127.0.0.1:${(await state()).instances.vm1?.port} `;
    expect(lines.filter((line) => line.includes(vm1))).toEqual([]);
  });

  it("deploy takes the drained instance, from flags or SHIPGATE_INSTANCE/SHIPGATE_VERSION", async () => {
    const deployed = await lab(["deploy"], {
      SHIPGATE_INSTANCE: "vm1",
      SHIPGATE_VERSION: "v1.1.0",
    });
    expect(deployed.code).toBe(0);
    expect(deployed.json).toMatchObject({
      instance: "vm1",
      version: "1.1.0",
      previousVersion: "1.0.0",
      weightAtDeploy: 0,
      weights: { vm1: 0, vm2: 50, vm3: 50 },
    });
    expect(await versions()).toEqual({ vm1: "1.1.0", vm2: "1.0.0", vm3: "1.0.0" });
  });

  it("traffic refuses a share for an instance without a process", async () => {
    expect(await lab(["stop", "--instance", "vm2"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("instance vm2 carries 50% of traffic"),
    });
    expect(await lab(["stop", "--instance", "vm1"])).toMatchObject({ code: 0 });
    expect(await lab(["traffic", "--weights", "vm1=34,vm2=33,vm3=33"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("instance vm1 has no running process"),
    });
    expect((await lab(["deploy", "--instance", "vm1", "--version", "1.1.0"])).code).toBe(0);
    expect((await lab(["traffic", "--weights", "vm1=34,vm2=33,vm3=33"])).code).toBe(0);
  });

  it("drain, deploy and re-enable one instance under 50 rps: no request fails", async () => {
    const load = startLoad({ url: `${(await state()).url}/api/work`, rps: 50, durationMs: 30_000 });
    try {
      await waitUntil("requests through every instance", () =>
        load.progress().ok >= 20 ? true : undefined,
      );
      expect((await lab(["traffic", "--weights", "vm1=50,vm2=0,vm3=50"])).code).toBe(0);
      expect((await lab(["deploy", "--instance", "vm2", "--version", "1.1.0"])).code).toBe(0);
      // A fleet reads SHIPGATE_WEIGHTS even when a slot-form variable is about as well.
      const back = await lab(["traffic"], {
        SHIPGATE_WEIGHTS: "vm1=34,vm2=33,vm3=33",
        SHIPGATE_WEIGHT: "33",
      });
      expect(back.json).toMatchObject({ weights: { vm1: 34, vm2: 33, vm3: 33 } });
      const sent = load.progress().sent;
      await waitUntil("requests after the re-enable", () =>
        load.progress().sent >= sent + 20 ? true : undefined,
      );
    } finally {
      const result = await load.stop();
      expect(result).toMatchObject({ failed: 0, failures: [] });
      expect(result.ok).toBeGreaterThan(40);
      expect(Object.keys(result.bySlot).sort()).toEqual(FLEET);
      expect(result.byVersion["1.1.0"]).toBeGreaterThan(0);
    }
    expect(await versions()).toEqual({ vm1: "1.1.0", vm2: "1.1.0", vm3: "1.0.0" });
  }, 40_000);

  it("events.jsonl holds every weight change and deploy, none into live traffic", async () => {
    const text = await readFile(join(dir, "events.jsonl"), "utf8");
    for (const line of text.trim().split("\n"))
      expect(JSON.parse(line)).toMatchObject({ at: expect.stringMatching(/^\d{4}-.*Z$/) });
    const events = await readLabEvents(dir);
    const story = events.map((event) =>
      event.type === "deploy"
        ? `deploy ${event.instance} ${event.version}`
        : `weights ${Object.values(event.weights).join("/")}`,
    );
    expect(story).toEqual([
      "deploy vm1 1.0.0",
      "deploy vm2 1.0.0",
      "deploy vm3 1.0.0",
      "weights 34/33/33",
      "weights 0/50/50",
      "deploy vm1 1.1.0",
      "deploy vm1 1.1.0",
      "weights 34/33/33",
      "weights 50/0/50",
      "deploy vm2 1.1.0",
      "weights 34/33/33",
    ]);
    const deploys = events.filter((event): event is DeployEvent => event.type === "deploy");
    expect(deploys.map((event) => event.weightAtDeploy)).toEqual(deploys.map(() => 0));
    expect(minServing(events)).toBe(2);
  });

  it("Prometheus scrapes every instance, labelled by its name", async () => {
    const { prometheus } = await state();
    const up = await waitUntil(
      "every instance's scrape",
      async () => {
        const targets = await queryPrometheus(prometheus.url, 'up{job="demo"} == 1');
        return targets.length === 3 ? targets : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(up.map((sample) => sample.metric.slot).sort()).toEqual(FLEET);
  }, 25_000);

  it("status reports every instance; down stops them all", async () => {
    expect((await lab(["status"])).json).toMatchObject({
      up: true,
      mode: "fleet",
      running: { nginx: true, prometheus: true, vm1: true, vm2: true, vm3: true },
    });
    const before = await state();
    const down = await lab(["down"]);
    expect(down).toMatchObject({ code: 0 });
    expect(down.json).toMatchObject({
      wasUp: true,
      stopped: { nginx: "stopped", prometheus: "stopped", vm1: "stopped", vm2: "stopped" },
    });
    const pids = Object.values(before.instances).map((instance) => instance.pid);
    for (const pid of [before.nginx.pid, before.prometheus.pid, ...pids])
      expect(isAlive(pid)).toBe(false);
    for (const port of Object.values(before.instances).map((instance) => instance.port))
      await expect(httpGet(`http://127.0.0.1:${port}/healthz`)).rejects.toMatchObject({
        code: "ECONNREFUSED",
      });
    await expect(httpGet(`${before.url}/api/work`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(Object.values((await state()).instances).map((instance) => instance.pid)).toEqual([
      null,
      null,
      null,
    ]);
    expect(await lab(["instances"])).toMatchObject({ code: 2, stdout: "" });
  });
});

describe("startFleetLab", () => {
  it("starts a fleet for a TypeScript test and stops it with the test's cleanup", async () => {
    const fleetDir = await mkdtemp(join(tmpdir(), "shipgate-lab-fleet-ts-"));
    const local = new Cleanup();
    local.add(() => rm(fleetDir, { recursive: true, force: true }));
    try {
      const fleet = await startFleetLab(fleetDir, {
        instances: ["edge-1", "edge-2"],
        version: "1.1.0",
        cleanup: local,
      });
      expect(fleet.weights).toEqual({ "edge-1": 50, "edge-2": 50 });
      expect(fleet.instances.map(({ name, version }) => [name, version])).toEqual([
        ["edge-1", "1.1.0"],
        ["edge-2", "1.1.0"],
      ]);
      expect(fleet.variables).toEqual({
        LAB_DIR: fleet.dir,
        LAB_URL: fleet.url,
        LAB_PROMETHEUS_URL: fleet.prometheusUrl,
        LAB_INSTANCES: "edge-1,edge-2",
        LAB_EDGE_1_URL: fleet.instances[0]?.url,
        LAB_EDGE_2_URL: fleet.instances[1]?.url,
      });
      const answer = await httpGet(`${fleet.instances[1]?.url}/healthz`);
      expect(JSON.parse(answer.body)).toEqual({ status: "UP", version: "1.1.0" });
      const pids = Object.values((await readState(fleetDir))?.instances ?? {}).map((i) => i.pid);
      await local.run();
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
    } finally {
      await local.run();
    }
  }, 30_000);
});
