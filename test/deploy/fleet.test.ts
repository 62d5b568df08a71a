// The fleet's arithmetic, and the fleet rollout's sequencing against a simulated fleet that keeps
// every instance's weight and version as the hooks change them: no instance gets a version while
// it carries traffic, capacity never drops under min-healthy, and every instance ends right.
import { describe, expect, it } from "@jest/globals";
import {
  batches,
  canaryCounts,
  countOf,
  fleetProblem,
  fleetWeights,
  parseInstanceList,
  parseWeights,
  spread,
  unexpectedWeights,
} from "../../src/deploy/fleet.js";
import type { HookKind, HookValues } from "../../src/deploy/hooks.js";
import type { GateOutcome, RolloutPlan, RolloutPorts } from "../../src/deploy/rollout.js";
import { parseInstanceCount, type DeploySettings } from "../../src/deploy/settings.js";
import { runRollout } from "../../src/deploy/strategies.js";

describe("fleet arithmetic", () => {
  it("counts instances, shares rounded up", () => {
    expect(countOf({ count: 2 }, 3)).toBe(2);
    expect(countOf({ count: 5 }, 3)).toBe(3);
    expect(countOf({ percent: 25 }, 3)).toBe(1);
    expect(countOf({ percent: 34 }, 3)).toBe(2);
    expect(parseInstanceCount("25%", false)).toEqual({ percent: 25 });
    expect(parseInstanceCount(0, true)).toEqual({ count: 0 });
    expect(parseInstanceCount(0, false)).toMatch(/1 or more/);
    expect(parseInstanceCount("120%", false)).toMatch(/from 1% to 100%/);
  });

  it("spreads weights as evenly as whole numbers allow, summing to 100", () => {
    expect(spread(["a", "b", "c"], 100)).toEqual({ a: 34, b: 33, c: 33 });
    expect(fleetWeights(["a", "b", "c"], ["a"], ["b", "c"], 10)).toEqual({ a: 10, b: 45, c: 45 });
    expect(fleetWeights(["a", "b", "c"], ["a"], ["c"], 25)).toEqual({ a: 25, b: 0, c: 75 });
    expect(fleetWeights(["a", "b"], ["a"], [], 25)).toEqual({ a: 100, b: 0 });
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("puts a canary step on a share of the fleet: at least one, below 100% never all", () => {
    expect(canaryCounts([10, 25, 50, 100], 3)).toEqual([1, 1, 2, 3]);
    expect(canaryCounts([34, 67, 100], 3)).toEqual([2, 3 - 1, 3]);
    expect(canaryCounts([99, 100], 2)).toEqual([1, 2]);
  });

  it("refuses a fleet that cannot keep min-healthy serving, or a canary with no stable", () => {
    expect(fleetProblem({ size: 3, batch: 1, minHealthy: 2, strategy: "rolling" })).toBeUndefined();
    expect(fleetProblem({ size: 3, batch: 2, minHealthy: 2, strategy: "rolling" })).toBe(
      "a batch of 2 leaves 1 of 3 instance(s) serving, under min-healthy 2: lower batch or min-healthy",
    );
    expect(fleetProblem({ size: 1, batch: 1, minHealthy: 0, strategy: "canary" })).toMatch(
      /needs a stable instance/,
    );
  });

  it("reads instance lists and weights, and refuses what is not one", () => {
    expect(parseInstanceList("vm1 http://127.0.0.1:1\n# comment\n\nvm2\n")).toEqual([
      { name: "vm1", url: "http://127.0.0.1:1" },
      { name: "vm2" },
    ]);
    expect(() => parseInstanceList("vm1; rm -rf /")).toThrow(/expected "name \[http\(s\) url\]"/);
    expect(() => parseInstanceList("vm1\nvm1")).toThrow(/listed twice/);
    expect(() => parseInstanceList("\n")).toThrow(/no instance/);
    expect(parseWeights('starting\n{"vm1":34,"vm2":66}\n')).toEqual({ vm1: 34, vm2: 66 });
    expect(() => parseWeights('{"vm1":"a lot"}')).toThrow(/from 0 to 100/);
    expect(() => parseWeights("<html>")).toThrow(/JSON object/);
  });

  it("says what it found when the weights are not what the last deployment left", () => {
    const serving = ["blue"];
    expect(
      unexpectedWeights({ blue: 100, green: 0 }, { serving, idle: ["green"] }),
    ).toBeUndefined();
    expect(unexpectedWeights({ blue: 50, green: 50 }, { serving, idle: ["green"] })).toBe(
      "the traffic weights are not as the last deployment left them (blue=50,green=50): " +
        "green carries 50% but is to get the new version",
    );
    expect(
      unexpectedWeights({ vm1: 0, vm2: 100 }, { serving: ["vm1", "vm2", "vm3"], idle: [] }),
    ).toBe(
      "the traffic weights are not as the last deployment left them (vm1=0,vm2=100): " +
        "no weight for vm3; vm1 out of traffic (weight 0)",
    );
  });
});

const INSTANCES = ["vm1", "vm2", "vm3"];

/** A fleet the hooks change: weights from {{ weights }}, versions from the deploy hook. */
class SimulatedFleet {
  weights: Record<string, number> = spread(INSTANCES, 100);
  versions: Record<string, string> = Object.fromEntries(INSTANCES.map((name) => [name, "1.0.0"]));
  minServing = INSTANCES.length;
  readonly violations: string[] = [];
  readonly calls: string[] = [];
  /** The version each environment health check expected ("" for any). */
  readonly expected: string[] = [];

  constructor(private readonly failDeployOf?: { instance: string; version: string }) {}

  hook(kind: HookKind, values: HookValues): number {
    this.calls.push(`${kind} ${values.instance ?? values.instances ?? ""} ${values.weights ?? ""}`);
    if (kind === "traffic") {
      this.weights = Object.fromEntries(
        (values.weights ?? "").split(",").map((pair) => {
          const [name = "", weight = "0"] = pair.split("=");
          return [name, Number(weight)];
        }),
      );
      const serving = Object.values(this.weights).filter((weight) => weight > 0).length;
      this.minServing = Math.min(this.minServing, serving);
    }
    if (kind === "deploy") {
      const instance = values.instance ?? "";
      if ((this.weights[instance] ?? 0) > 0)
        this.violations.push(`${instance} got ${values.version} while carrying traffic`);
      const fail = this.failDeployOf;
      if (fail && fail.instance === instance && fail.version === values.version) return 1;
      this.versions[instance] = values.version;
    }
    return 0;
  }
}

function settings(extra: Partial<DeploySettings>): DeploySettings {
  return {
    strategy: "rolling",
    steps: [100],
    slots: ["blue", "green"],
    slotUrls: {},
    hooks: { deploy: "deploy {{ instance }} {{ version }}", traffic: "weights {{ weights }}" },
    hookTimeoutMs: 60_000,
    switchBufferMs: 0,
    onInconclusive: "rollback",
    drainMs: 0,
    skipAnalysis: false,
    ...extra,
  };
}

function plan(extra: Partial<DeploySettings>, more: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    environment: "production",
    version: "1.1.0",
    previousVersion: "1.0.0",
    stableSlot: "fleet",
    targetSlot: "fleet",
    environmentUrl: "http://fleet.internal",
    settings: settings(extra),
    fleet: {
      instances: INSTANCES.map((name) => ({ name })),
      batch: 1,
      minHealthy: 2,
    },
    ...more,
  };
}

function ports(fleet: SimulatedFleet, gates: GateOutcome["verdict"][] = []): RolloutPorts {
  let now = 0;
  return {
    hook: async (kind, values) => ({
      exitCode: fleet.hook(kind, values),
      timedOut: false,
      durationMs: 100,
      tail: [],
    }),
    health: async (url, version) => {
      if (url === "http://fleet.internal") fleet.expected.push(version);
      return { healthy: true, detail: "healthy" };
    },
    gate: async () => ({ verdict: gates.shift() ?? "promote", score: null, detail: "judged" }),
    now: () => (now += 10),
    sleep: async (ms) => {
      now += ms;
    },
    log: () => {},
    checkpoint: () => {},
    signal: new AbortController().signal,
  };
}

describe("a fleet's rollout", () => {
  it("rolling: batch by batch, each instance out of traffic before its version", async () => {
    const fleet = new SimulatedFleet();
    const outcome = await runRollout(plan({}), ports(fleet));
    expect(outcome.result).toBe("deployed");
    expect(fleet.versions).toEqual({ vm1: "1.1.0", vm2: "1.1.0", vm3: "1.1.0" });
    expect(fleet.violations).toEqual([]);
    expect(fleet.minServing).toBe(2);
    expect(fleet.weights).toEqual({ vm1: 34, vm2: 33, vm3: 33 });
    // The environment serves both versions until the last batch: only then is 1.1.0 expected.
    expect(fleet.expected).toEqual(["", "", "1.1.0"]);
    expect(fleet.calls.slice(0, 3)).toEqual([
      "traffic  vm1=0,vm2=50,vm3=50",
      "deploy vm1 ",
      "traffic  vm1=34,vm2=33,vm3=33",
    ]);
  });

  it("canary: one of three at 10% and 25%, two at 50%, all at 100%, gated below 100", async () => {
    const fleet = new SimulatedFleet();
    const outcome = await runRollout(
      plan({ strategy: "canary", steps: [10, 25, 50, 100] }),
      ports(fleet),
    );
    expect(outcome.result).toBe("deployed");
    const traffic = fleet.calls
      .filter((call) => call.startsWith("traffic"))
      .map((call) => call.split(" ")[2]);
    expect(traffic).toEqual([
      "vm1=0,vm2=50,vm3=50",
      "vm1=10,vm2=45,vm3=45",
      "vm1=25,vm2=38,vm3=37",
      "vm1=25,vm2=0,vm3=75",
      "vm1=25,vm2=25,vm3=50",
      "vm1=50,vm2=50,vm3=0",
      "vm1=34,vm2=33,vm3=33",
    ]);
    expect(
      outcome.timeline.filter((event) => event.step === "gate").map((event) => event.weight),
    ).toEqual([10, 25, 50]);
    expect(fleet.violations).toEqual([]);
    expect(fleet.minServing).toBe(2);
    expect(fleet.versions).toEqual({ vm1: "1.1.0", vm2: "1.1.0", vm3: "1.1.0" });
  });

  it("canary rolled back mid-way: the new version out of traffic at once, then redeployed", async () => {
    const fleet = new SimulatedFleet();
    const outcome = await runRollout(
      plan({ strategy: "canary", steps: [34, 67, 100] }),
      ports(fleet, ["promote", "rollback"]),
    );
    expect(outcome.result).toBe("rolled-back");
    expect(fleet.versions).toEqual({ vm1: "1.0.0", vm2: "1.0.0", vm3: "1.0.0" });
    expect(fleet.weights).toEqual({ vm1: 34, vm2: 33, vm3: 33 });
    expect(fleet.violations).toEqual([]);
    // Two instances had 1.1.0 when the gate failed: with one stable left (under min-healthy 2),
    // they are replaced batch by batch, never more than one out of traffic.
    expect(fleet.minServing).toBe(2);
  });

  it("rolling: a failed batch stops the rollout and puts the last good version back", async () => {
    const fleet = new SimulatedFleet({ instance: "vm2", version: "1.1.0" });
    const outcome = await runRollout(plan({}), ports(fleet));
    expect(outcome.result).toBe("rolled-back");
    expect(outcome.reason).toMatch(/deploy hook exited 1/);
    expect(fleet.versions).toEqual({ vm1: "1.0.0", vm2: "1.0.0", vm3: "1.0.0" });
    expect(fleet.calls).not.toContain("deploy vm3 ");
    expect(fleet.violations).toEqual([]);
    expect(fleet.weights).toEqual({ vm1: 34, vm2: 33, vm3: 33 });
  });

  it("holds at a step, then carries on from the record, or rolls back from it", async () => {
    const held = new SimulatedFleet();
    const canary = { strategy: "canary" as const, steps: [33, 67, 100], holdAt: 33 };
    const first = await runRollout(plan(canary), ports(held));
    expect(first.result).toBe("held");
    expect(held.versions).toEqual({ vm1: "1.1.0", vm2: "1.0.0", vm3: "1.0.0" });
    const promoted = new SimulatedFleet();
    Object.assign(promoted, { versions: { ...held.versions }, weights: { ...held.weights } });
    const second = await runRollout(
      plan(canary, { resume: { from: 33, action: "promote" } }),
      ports(promoted),
    );
    expect(second.result).toBe("deployed");
    expect(promoted.versions).toEqual({ vm1: "1.1.0", vm2: "1.1.0", vm3: "1.1.0" });
    expect(promoted.violations).toEqual([]);
    const aborted = new SimulatedFleet();
    Object.assign(aborted, { versions: { ...held.versions }, weights: { ...held.weights } });
    const third = await runRollout(
      plan(canary, { resume: { from: 33, action: "abort" } }),
      ports(aborted),
    );
    expect(third.result).toBe("rolled-back");
    expect(aborted.versions).toEqual({ vm1: "1.0.0", vm2: "1.0.0", vm3: "1.0.0" });
    expect(aborted.calls[0]).toBe("traffic  vm1=0,vm2=50,vm3=50");
  });

  it("blue-green on groups: the idle group out of traffic, updated, then all traffic to it", async () => {
    const fleet = new SimulatedFleet();
    fleet.weights = { vm1: 50, vm2: 50, vm3: 0 };
    const outcome = await runRollout(
      plan(
        { strategy: "blue-green" },
        {
          stableSlot: "blue",
          targetSlot: "green",
          fleet: {
            instances: INSTANCES.map((name) => ({ name })),
            groups: { blue: ["vm1", "vm2"], green: ["vm3"] },
            batch: 1,
            minHealthy: 1,
          },
        },
      ),
      ports(fleet),
    );
    expect(outcome.result).toBe("deployed");
    expect(fleet.calls).toEqual([
      "traffic  vm1=50,vm2=50,vm3=0",
      "deploy vm3 ",
      "traffic  vm1=0,vm2=0,vm3=100",
    ]);
    expect(fleet.violations).toEqual([]);
  });
});

describe("two slots: drained before a version, held, resumed", () => {
  /** Slot hooks recorded as `kind slot weight`, every one succeeding. */
  function slotPorts(calls: string[], gates: GateOutcome["verdict"][] = []): RolloutPorts {
    const recorded = new SimulatedFleet();
    return {
      ...ports(recorded, gates),
      hook: async (kind, values) => {
        calls.push(`${kind} ${values.slot} ${values.weight}`);
        return { exitCode: 0, timedOut: false, durationMs: 10, tail: [] };
      },
    };
  }

  const canary = (more: Partial<RolloutPlan> = {}): RolloutPlan => {
    const { fleet, ...slots } = plan(
      { strategy: "canary", steps: [10, 50, 100], holdAt: 10 },
      { stableSlot: "blue", targetSlot: "green", ...more },
    );
    void fleet;
    return slots;
  };

  it("takes the idle slot out of traffic before it gets the version, unless read idle", async () => {
    const calls: string[] = [];
    const held = await runRollout(canary(), slotPorts(calls));
    expect(held.result).toBe("held");
    expect(calls).toEqual(["traffic green 0", "deploy green 0", "traffic green 10"]);
    const idle: string[] = [];
    await runRollout(canary({ targetIdle: true }), slotPorts(idle));
    expect(idle[0]).toBe("deploy green 0");
  });

  it("carries a held canary on from the next step, or rolls it back from where it was held", async () => {
    const calls: string[] = [];
    const promoted = await runRollout(
      canary({ resume: { from: 10, action: "promote" } }),
      slotPorts(calls),
    );
    expect(promoted.result).toBe("deployed");
    expect(calls).toEqual(["traffic green 50", "traffic green 100"]);
    expect(promoted.timeline.filter((event) => event.step === "gate").map((e) => e.weight)).toEqual(
      [50],
    );
    const back: string[] = [];
    const aborted = await runRollout(
      canary({ resume: { from: 10, action: "abort" } }),
      slotPorts(back),
    );
    expect(aborted.result).toBe("rolled-back");
    expect(aborted.reason).toBe("the held rollout was aborted at 10%");
    expect(back).toEqual(["traffic blue 100"]);
  });
});
