import { describe, expect, it } from "@jest/globals";
import type { LayeredEnvironment } from "../../src/config/layering.js";
import type { VariableLookup } from "../../src/config/references.js";
import { configureDeploy } from "../../src/deploy/configure.js";
import {
  planDeploy,
  planLines,
  renderPlanSummary,
  type DeployPlan,
} from "../../src/deploy/dry-run.js";
import { planDeployGate } from "../../src/deploy/canary-gate.js";
import { renderHook, type HookKind, type HookValues } from "../../src/deploy/hooks.js";
import type { DeploymentSummary } from "../../src/deploy/records.js";
import type { RolloutPorts } from "../../src/deploy/rollout.js";
import { runRollout } from "../../src/deploy/strategies.js";
import type { DeployOverrides } from "../../src/deploy/settings.js";
import { chooseTargets } from "../../src/deploy/targets.js";

const lookup: VariableLookup = (name) =>
  ({ PROMETHEUS_URL: "http://127.0.0.1:9090" })[name] ?? undefined;

/** An environment as the layering leaves it: one document, positions unknown. */
function environment(name: string, document: Record<string, unknown>): LayeredEnvironment {
  return { name, document, locate: () => undefined } as LayeredEnvironment;
}

const hooks = {
  deploy: "./ops/deploy.sh {{ slot }} {{ version }} --config {{ config_file }}",
  traffic: "./ops/weight.sh {{ slot }} {{ weight }} | tee -a traffic.log",
  promote: "./ops/promote.sh {{ slot }}",
};

const analysis = {
  address: "${env:PROMETHEUS_URL}",
  interval: "30s",
  count: 4,
  "initial-delay": "1m",
  metrics: [
    {
      name: "error-rate",
      query: 'sum(rate(http_requests_total{version="{{ canary }}",code=~"5.."}[1m]))',
      condition: "result <= 0.01",
    },
    {
      name: "latency-p95",
      compare: {
        canary: 'latency_p95{version="{{ canary }}"}',
        baseline: 'latency_p95{version="{{ baseline }}"}',
        direction: "increase",
      },
    },
  ],
};

const healthChecks = [
  { name: "liveness", url: "${env:SERVICE_URL}/healthz", conditions: ["[STATUS] == 200"] },
];

/** Two earlier deploys: 1.3.0 is live in green. */
const history: DeploymentSummary[] = [
  {
    id: 12,
    ref: "main",
    environment: "production",
    createdAt: "2026-11-30T10:00:00Z",
    payload: { version: "1.3.0", strategy: "canary", slot: "green" },
    state: "success",
  },
  {
    id: 7,
    ref: "main",
    environment: "production",
    createdAt: "2026-11-29T10:00:00Z",
    payload: { version: "1.2.0", strategy: "rolling", slot: "blue" },
    state: "success",
  },
];

interface Scenario {
  document: Record<string, unknown>;
  overrides?: Partial<DeployOverrides>;
  recent?: DeploymentSummary[];
  version?: string;
  configFile?: string;
}

/** Everything a deploy reads before it starts, then the plan: as the action wires it. */
function plan(scenario: Scenario): DeployPlan {
  const env = environment("production", scenario.document);
  const version = scenario.version ?? "1.4.0";
  const configuration = configureDeploy(env, { hooks: {}, ...scenario.overrides }, lookup);
  const targets = chooseTargets(scenario.recent ?? history, configuration.settings, {
    environment: env.name,
    version,
    force: false,
  });
  const gate = planDeployGate(env, configuration.settings, version, targets, lookup);
  return planDeploy({
    environment: env.name,
    version,
    configuration,
    targets,
    ...(gate ? { gate } : {}),
    healthChecks: (env.document.health?.checks ?? []).map((check) => check.name),
    ...(scenario.configFile ? { configFile: scenario.configFile } : {}),
  });
}

describe("the dry-run plan", () => {
  it("lays out a canary: slots from history, each traffic step and gate, hooks rendered", () => {
    const result = plan({
      document: {
        url: "https://api.example.com",
        deploy: { strategy: "canary", steps: [10, 50, 100], hooks, timeout: "2m" },
        analysis,
      },
      configFile: "/work/config/production.json",
    });
    expect(result).toMatchObject({
      dryRun: true,
      environment: "production",
      version: "1.4.0",
      previousVersion: "1.3.0",
      baseline: "1.3.0",
      strategy: "canary",
      stableSlot: "green",
      targetSlot: "blue",
      environmentUrl: "https://api.example.com",
      hookTimeoutMs: 120_000,
    });
    expect(
      result.steps.map((step) => [step.step, step.weight ?? null, step.command ?? null]),
    ).toEqual([
      ["traffic", 0, "./ops/weight.sh 'blue' '0' | tee -a traffic.log"],
      ["deploy", null, "./ops/deploy.sh 'blue' '1.4.0' --config '/work/config/production.json'"],
      ["traffic", 10, "./ops/weight.sh 'blue' '10' | tee -a traffic.log"],
      ["gate", 10, null],
      ["traffic", 50, "./ops/weight.sh 'blue' '50' | tee -a traffic.log"],
      ["gate", 50, null],
      ["traffic", 100, "./ops/weight.sh 'blue' '100' | tee -a traffic.log"],
      ["promote", null, "./ops/promote.sh 'blue'"],
    ]);
    expect(result.gate).toEqual({
      weights: [10, 50],
      provider: "prometheus",
      address: "http://127.0.0.1:9090",
      intervalMs: 30_000,
      count: 4,
      initialDelayMs: 60_000,
      failureLimit: 0,
      inconclusiveLimit: 0,
      passScore: 75,
      marginalScore: 50,
      onInconclusive: "rollback",
      metrics: [
        {
          name: "error-rate",
          kind: "threshold",
          provider: "prometheus",
          address: "http://127.0.0.1:9090",
          query: 'sum(rate(http_requests_total{version="1.4.0",code=~"5.."}[1m]))',
          condition: "result <= 0.01",
          critical: false,
        },
        {
          name: "latency-p95",
          kind: "comparison",
          provider: "prometheus",
          address: "http://127.0.0.1:9090",
          canary: 'latency_p95{version="1.4.0"}',
          baseline: 'latency_p95{version="1.3.0"}',
          direction: "increase",
          critical: false,
        },
      ],
    });
    expect(result.steps[3]?.detail).toBe(
      "the canary gate: error-rate, latency-p95; 4 round(s) every 30s after 1m",
    );
    // No rollback hook: traffic goes back to the stable slot, as the rollout does.
    expect(result.rollback).toEqual({
      hook: "traffic",
      command: "./ops/weight.sh 'green' '100' | tee -a traffic.log",
      slot: "green",
      version: "1.3.0",
      detail:
        "all traffic back to green once any has moved (before that, green keeps serving and nothing runs)",
    });
  });

  it("lays out blue-green: the idle slot checked before traffic, the switch buffer, a rollback hook", () => {
    const result = plan({
      document: {
        url: "https://api.example.com",
        deploy: {
          strategy: "blue-green",
          "slot-urls": { blue: "http://blue.internal", green: "http://green.internal" },
          "switch-buffer": "5m",
          hooks: { ...hooks, rollback: "./ops/rollback.sh {{ slot }} {{ version }}" },
        },
        health: { checks: healthChecks },
      },
    });
    expect(result.gate).toBeUndefined();
    expect(result.steps.map((step) => [step.step, step.url ?? step.command])).toEqual([
      ["traffic", "./ops/weight.sh 'blue' '0' | tee -a traffic.log"],
      ["deploy", "./ops/deploy.sh 'blue' '1.4.0' --config ''"],
      ["health", "http://blue.internal"],
      ["traffic", "./ops/weight.sh 'blue' '100' | tee -a traffic.log"],
      ["health", "https://api.example.com"],
      ["buffer", undefined],
      ["promote", "./ops/promote.sh 'blue'"],
    ]);
    expect(result.steps[2]?.detail).toBe(
      "slot blue before traffic: liveness at http://blue.internal, expecting 1.4.0",
    );
    expect(result.steps[5]?.detail).toMatch(/keeps green for the 5m switch buffer/);
    expect(result.rollback).toMatchObject({
      hook: "rollback",
      command: "./ops/rollback.sh 'green' '1.3.0'",
      detail: "the rollback hook restores 1.3.0 on green",
    });
  });

  it("lays out rolling: in place, and a redeploy of the last good version, or nothing on a first deploy", () => {
    const document = {
      deploy: { hooks: { deploy: "deploy {{ version }} {{ previous_version }}" } },
    };
    const second = plan({ document });
    expect(second.stableSlot).toBe("green");
    expect(second.targetSlot).toBe("green");
    expect(second.steps).toEqual([
      {
        step: "deploy",
        slot: "green",
        command: "deploy '1.4.0' '1.3.0'",
        detail: "deploys 1.4.0 in place",
      },
    ]);
    expect(second.rollback).toMatchObject({ hook: "deploy", command: "deploy '1.3.0' '1.3.0'" });

    const first = plan({ document, recent: [] });
    expect(first).not.toHaveProperty("previousVersion");
    expect(first.stableSlot).toBe("blue");
    expect(first.rollback).toEqual({
      slot: "blue",
      detail: "nothing to roll back to: no earlier successful deploy",
    });
  });

  it("says where health checks are skipped for want of a URL", () => {
    const result = plan({
      document: {
        deploy: { strategy: "blue-green", hooks },
        health: { checks: healthChecks },
      },
    });
    const health = result.steps.filter((step) => step.step === "health");
    expect(health.map((step) => step.detail)).toEqual([
      "slot blue before traffic: skipped, no URL for this target (set url, or deploy.slot-urls for slots)",
      "the environment after the switch: skipped, no URL for this target (set url, or deploy.slot-urls for slots)",
    ]);
  });

  it("is shown as log lines and as a job summary whose cells keep commands intact", () => {
    const result = plan({
      document: { deploy: { strategy: "canary", steps: [25, 100], hooks }, analysis },
    });
    const lines = planLines(result);
    expect(lines[0]).toBe(
      "Dry run: 1.4.0 to production with canary; no hook runs, nothing is recorded, no metric is " +
        "queried, no one is notified.",
    );
    expect(lines).toContain(
      "  3. traffic (blue, 25%): ./ops/weight.sh 'blue' '25' | tee -a traffic.log",
    );
    expect(lines).toContain(
      "If a step fails: ./ops/weight.sh 'green' '100' | tee -a traffic.log (all traffic back to " +
        "green once any has moved (before that, green keeps serving and nothing runs))",
    );
    expect(lines.some((line) => line.startsWith("Canary gate at 25% (prometheus at "))).toBe(true);
    const summary = renderPlanSummary(result);
    expect(summary).toMatch(/^### deploy dry run: `1.4.0` to `production` \(canary\)/);
    expect(summary).toContain("./ops/weight.sh 'blue' '25' \\| tee -a traffic.log");
    expect(summary).toContain("| error-rate | threshold |");
  });
});

/** A rollout whose hooks, health checks and gate only record what they were asked to do. */
function recordingPorts(
  settingsHooks: Partial<Record<HookKind, string>>,
  fail: { hook?: HookKind; gateAt?: number } = {},
) {
  const seen: string[] = [];
  let clock = 0;
  let failedOnce = false;
  const ports: RolloutPorts = {
    hook: async (kind: HookKind, values: HookValues) => {
      const template = settingsHooks[kind];
      if (template) seen.push(`${kind}: ${renderHook(template, { ...values, config_file: "" })}`);
      // Only the first run of the failing hook fails: a redeploy through it restores stable.
      const failed = kind === fail.hook && !failedOnce;
      failedOnce ||= failed;
      return { exitCode: failed ? 1 : 0, timedOut: false, durationMs: 0, tail: [] };
    },
    health: async (url) => {
      seen.push(`health: ${url}`);
      return { healthy: true, detail: "ok" };
    },
    gate: async (weight) => {
      seen.push(`gate: ${weight}`);
      const verdict = weight === fail.gateAt ? "rollback" : "promote";
      return { verdict, score: null, detail: verdict };
    },
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    log: () => undefined,
    checkpoint: () => undefined,
    signal: new AbortController().signal,
  };
  return { ports, seen };
}

/** The plan's steps as the recording ports would see them (buffer: health watched every 5s). */
function expected(result: DeployPlan): string[] {
  return result.steps.flatMap((step) => {
    if (step.command) return [`${step.step}: ${step.command}`];
    if (step.step === "health") return [`health: ${step.url}`];
    if (step.step === "gate") return [`gate: ${step.weight}`];
    return [];
  });
}

describe("the plan against the rollout it describes", () => {
  const slotUrls = { blue: "http://blue.internal", green: "http://green.internal" };
  const scenarios: [string, Record<string, unknown>][] = [
    ["rolling", { url: "https://x.example", deploy: { hooks } }],
    [
      "blue-green",
      {
        url: "https://x.example",
        deploy: { strategy: "blue-green", "slot-urls": slotUrls, hooks },
      },
    ],
    [
      "canary",
      {
        url: "https://x.example",
        deploy: { strategy: "canary", steps: [5, 20, 100], "slot-urls": slotUrls, hooks },
        analysis,
      },
    ],
  ];

  it.each(scenarios)(
    "%s: the same hooks, health checks and gates, in the same order",
    async (_, document) => {
      const result = plan({ document: { ...document, health: { checks: healthChecks } } });
      const env = environment("production", document);
      const { settings } = configureDeploy(env, { hooks: {} }, lookup);
      const { ports, seen } = recordingPorts(settings.hooks);
      const outcome = await runRollout(
        {
          environment: "production",
          version: "1.4.0",
          previousVersion: "1.3.0",
          stableSlot: result.stableSlot,
          targetSlot: result.targetSlot,
          environmentUrl: "https://x.example",
          settings,
        },
        ports,
      );
      expect(outcome.result).toBe("deployed");
      expect(seen).toEqual(expected(result));
    },
  );

  it.each(scenarios)(
    "%s: a failure runs the plan's rollback command",
    async (strategy, document) => {
      const result = plan({ document });
      const { settings } = configureDeploy(
        environment("production", document),
        { hooks: {} },
        lookup,
      );
      // Fail after traffic moved where traffic moves: the rollback is then a traffic switch.
      const fail =
        strategy === "canary"
          ? { gateAt: 5 }
          : strategy === "blue-green"
            ? { hook: "promote" as const }
            : { hook: "deploy" as const };
      const { ports, seen } = recordingPorts(settings.hooks, fail);
      const outcome = await runRollout(
        {
          environment: "production",
          version: "1.4.0",
          previousVersion: "1.3.0",
          stableSlot: result.stableSlot,
          targetSlot: result.targetSlot,
          settings,
        },
        ports,
      );
      expect(outcome.result).toBe("rolled-back");
      expect(seen.at(-1)).toBe(`${result.rollback.hook}: ${result.rollback.command}`);
    },
  );
});
