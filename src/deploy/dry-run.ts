// deploy's dry run: the plan a deploy would follow, built from what it reads (the configuration,
// the targets chosen from recent deployments, the canary gate) without running or recording
// anything. The steps mirror rollout.ts when every step passes; the rollback mirrors its restore.
import type { PreparedMetric } from "../analysis/definitions.js";
import type { GatePlan } from "../analysis/gate.js";
import type { AnalysisSettings } from "../analysis/settings.js";
import { formatDuration } from "../shared/duration.js";
import { code, raw, table } from "../shared/markdown.js";
import type { DeployConfiguration } from "./configure.js";
import { renderHook, type HookKind, type HookValues } from "./hooks.js";
import type { DeploySettings, OnInconclusive, Strategy } from "./settings.js";
import type { DeployTargets } from "./targets.js";

export interface DryRunRequest {
  environment: string;
  version: string;
  configuration: DeployConfiguration;
  targets: DeployTargets;
  /** The canary gate the deploy would run at each step below 100%; undefined when none would. */
  gate?: GatePlan;
  /** The names of the environment's health checks; empty when it has none. */
  healthChecks: readonly string[];
  /** The rendered configuration handed to hooks (the config-file input), as an absolute path. */
  configFile?: string;
  /** A fleet: its instances and the steps its rollout would take (dry-run-fleet.ts). */
  fleet?: { instances: string[]; steps: PlannedStep[]; batch: number; minHealthy: number };
  /** With freeze windows declared: whether one is in force now, and what a deploy would do. */
  freeze?: string;
}

export interface PlannedStep {
  step: "deploy" | "health" | "traffic" | "gate" | "buffer" | "promote" | "rollback";
  slot: string;
  /** Fleets: the instances a step acts on, and every instance's weight after a traffic step. */
  instances?: string[];
  weights?: Record<string, number>;
  /** Traffic and gate steps: the new version's share of traffic, in percent. */
  weight?: number;
  /** Hook steps: the command exactly as it would run, every value shell-quoted. */
  command?: string;
  /** Health steps: the URL the checks run against; absent when there is none (they are skipped). */
  url?: string;
  detail: string;
}

export interface PlannedMetric {
  name: string;
  kind: "threshold" | "comparison";
  provider: string;
  address?: string;
  /** Threshold metrics: the query, rendered, and the condition its result must meet. */
  query?: string;
  condition?: string;
  /** Comparison metrics: both queries, rendered, and which shift of the canary fails. */
  canary?: string;
  baseline?: string;
  direction?: string;
  critical: boolean;
}

/** The gate's settings that shape a rollout, as the analysis resolved them. */
type GateSettings = Pick<
  AnalysisSettings,
  | "provider"
  | "address"
  | "intervalMs"
  | "count"
  | "initialDelayMs"
  | "failureLimit"
  | "inconclusiveLimit"
  | "passScore"
  | "marginalScore"
>;

export interface PlannedGate extends GateSettings {
  /** The traffic weights the gate judges at: every step below 100%. */
  weights: number[];
  onInconclusive: OnInconclusive;
  metrics: PlannedMetric[];
}

/** What a failed step leads to: the hook that restores stable, or why nothing would run. */
export interface PlannedRollback {
  hook?: HookKind;
  command?: string;
  slot: string;
  /** The version that would serve again. */
  version?: string;
  detail: string;
}

export interface DeployPlan {
  dryRun: true;
  environment: string;
  version: string;
  /** The version a failure returns to: the last good one, or the rollback-to input. */
  previousVersion?: string;
  /** Canary: the version serving now, which the gate compares the canary with. */
  baseline?: string;
  strategy: Strategy;
  stableSlot: string;
  targetSlot: string;
  environmentUrl?: string;
  hookTimeoutMs: number;
  /** A fleet's instances in the rollout's order, its batch and min-healthy. */
  fleet?: { instances: string[]; batch: number; minHealthy: number };
  /** In order, as the deploy would take them when every step passes. */
  steps: PlannedStep[];
  gate?: PlannedGate;
  rollback: PlannedRollback;
  /** With freeze windows declared: whether one is in force now, and what a deploy would do. */
  freeze?: string;
}

/** The plan of one deploy. Pure: the caller has read and validated everything it takes. */
export function planDeploy(request: DryRunRequest): DeployPlan {
  const { configuration, targets } = request;
  const { settings, environmentUrl } = configuration;
  const plan = new PlanBuilder(request);
  return {
    dryRun: true,
    environment: request.environment,
    version: request.version,
    ...(targets.previousVersion ? { previousVersion: targets.previousVersion } : {}),
    ...(targets.baseline ? { baseline: targets.baseline } : {}),
    strategy: settings.strategy,
    stableSlot: targets.stableSlot,
    targetSlot: targets.targetSlot,
    ...(environmentUrl ? { environmentUrl } : {}),
    hookTimeoutMs: settings.hookTimeoutMs,
    ...(request.fleet
      ? {
          fleet: {
            instances: request.fleet.instances,
            batch: request.fleet.batch,
            minHealthy: request.fleet.minHealthy,
          },
        }
      : {}),
    steps: request.fleet ? request.fleet.steps : plan.steps(),
    ...(request.gate ? { gate: plannedGate(request.gate, settings) } : {}),
    rollback: request.fleet ? fleetRollback(request) : plan.rollback(),
    ...(request.freeze ? { freeze: request.freeze } : {}),
  };
}

/** What restore() in fleet-rollout.ts would do after a failed step. */
function fleetRollback(request: DryRunRequest): PlannedRollback {
  const { hooks } = request.configuration.settings;
  const { stableSlot: slot, previousVersion: previous } = request.targets;
  const back = { slot, ...(previous ? { version: previous } : {}) };
  if (hooks.rollback)
    return {
      hook: "rollback",
      ...back,
      detail: "the rollback hook, given {{ instances }} with the new version",
    };
  if (!previous) return { slot, detail: "nothing to roll back to: no earlier successful deploy" };
  return {
    hook: "deploy",
    ...back,
    detail:
      `every instance with the new version leaves traffic and gets ${previous} again (at once when ` +
      `at least min-healthy ${request.fleet?.minHealthy} instances still run ${previous}, else a batch at a time)`,
  };
}

/** The rollout's sequence (rollout.ts) with each hook rendered as hookPort would render it. */
class PlanBuilder {
  private readonly settings: DeploySettings;
  private readonly target: string;

  constructor(private readonly request: DryRunRequest) {
    this.settings = request.configuration.settings;
    this.target = request.targets.targetSlot;
  }

  steps(): PlannedStep[] {
    const { strategy, hooks } = this.settings;
    const steps =
      strategy === "rolling"
        ? this.rolling()
        : strategy === "blue-green"
          ? this.blueGreen()
          : this.canary();
    if (hooks.promote)
      steps.push(this.hook("promote", this.target, 100, `${this.target} becomes stable`));
    return steps;
  }

  private rolling(): PlannedStep[] {
    const url = this.request.configuration.environmentUrl;
    return [
      this.hook("deploy", this.target, 100, `deploys ${this.request.version} in place`),
      ...this.health(url, "the environment"),
    ];
  }

  private blueGreen(): PlannedStep[] {
    const { switchBufferMs } = this.settings;
    const url = this.request.configuration.environmentUrl;
    const buffer: PlannedStep = {
      step: "buffer",
      slot: this.target,
      detail:
        `keeps ${this.request.targets.stableSlot} for the ${formatDuration(switchBufferMs)} ` +
        "switch buffer, the environment's health watched every 5s",
    };
    return [
      ...this.idleSlot(),
      this.hook("traffic", this.target, 100, `switches all traffic to ${this.target}`),
      ...this.health(url, "the environment after the switch"),
      ...(switchBufferMs > 0 ? [buffer] : []),
    ];
  }

  private canary(): PlannedStep[] {
    const steps = this.idleSlot();
    for (const weight of this.settings.steps) {
      steps.push(this.hook("traffic", this.target, weight, `${weight}% of traffic to the canary`));
      if (weight >= 100) break;
      if (this.request.gate) steps.push(this.gate(weight));
    }
    return [
      ...steps,
      ...this.health(this.request.configuration.environmentUrl, "the environment at 100%"),
    ];
  }

  /** Blue-green and canary deploy to the idle slot and check it before it takes traffic. */
  private idleSlot(): PlannedStep[] {
    const slotUrl = this.settings.slotUrls[this.target];
    // Without a weights hook to read it idle, the slot is taken out of traffic first.
    const drain = this.settings.hooks.weights
      ? []
      : [this.hook("traffic", this.target, 0, `takes slot ${this.target} out of traffic first`)];
    return [
      ...drain,
      this.hook("deploy", this.target, 0, `deploys ${this.request.version} to the idle slot`),
      ...this.health(slotUrl, `slot ${this.target} before traffic`),
    ];
  }

  private gate(weight: number): PlannedStep {
    const gate = this.request.gate as GatePlan;
    const { count, intervalMs, initialDelayMs } = gate.settings;
    const delay = initialDelayMs > 0 ? ` after ${formatDuration(initialDelayMs)}` : "";
    return {
      step: "gate",
      slot: this.target,
      weight,
      detail:
        `the canary gate: ${gate.metrics.map((metric) => metric.name).join(", ")}; ` +
        `${count} round(s) every ${formatDuration(intervalMs)}${delay}`,
    };
  }

  private health(url: string | undefined, what: string): PlannedStep[] {
    const checks = this.request.healthChecks;
    if (checks.length === 0) return [];
    const detail = url
      ? `${what}: ${checks.join(", ")} at ${url}, expecting ${this.request.version}`
      : `${what}: skipped, no URL for this target (set url, or deploy.slot-urls for slots)`;
    return [{ step: "health", slot: this.target, ...(url ? { url } : {}), detail }];
  }

  private hook(kind: HookKind, slot: string, weight: number, detail: string): PlannedStep {
    const step = kind as PlannedStep["step"];
    const command = this.render(kind, this.values(slot, weight));
    return {
      step,
      slot,
      ...(kind === "traffic" ? { weight } : {}),
      ...(command !== undefined ? { command } : {}),
      detail: command !== undefined ? detail : `no ${kind} hook: nothing runs`,
    };
  }

  /** What restore() in rollout.ts would run after a failed step. */
  rollback(): PlannedRollback {
    const { hooks, strategy } = this.settings;
    const { stableSlot: slot, previousVersion: previous } = this.request.targets;
    const restored = previous ?? this.request.version;
    const values = this.values(slot, 100, restored);
    const back = { slot, ...(previous ? { version: previous } : {}) };
    if (hooks.rollback) {
      const command = this.render("rollback", values) as string;
      const detail = `the rollback hook restores ${previous ?? "the previous version"} on ${slot}`;
      return { hook: "rollback", command, ...back, detail };
    }
    if (strategy === "rolling") {
      if (!previous)
        return { slot, detail: "nothing to roll back to: no earlier successful deploy" };
      const command = this.render("deploy", values) as string;
      return { hook: "deploy", command, ...back, detail: `the deploy hook redeploys ${previous}` };
    }
    const command = this.render("traffic", values) as string;
    const detail =
      `all traffic back to ${slot} once any has moved (before that, ${slot} keeps serving ` +
      "and nothing runs)";
    return { hook: "traffic", command, ...back, detail };
  }

  private values(slot: string, weight: number, version = this.request.version): HookValues {
    return {
      version,
      previous_version: this.request.targets.previousVersion ?? "",
      slot,
      weight: String(weight),
      environment: this.request.environment,
      config_file: this.request.configFile ?? "",
    };
  }

  private render(kind: HookKind, values: HookValues): string | undefined {
    const template = this.settings.hooks[kind];
    return template ? renderHook(template, values) : undefined;
  }
}

function plannedGate(gate: GatePlan, settings: DeploySettings): PlannedGate {
  const { settings: analysis } = gate;
  return {
    weights: settings.steps.filter((weight) => weight < 100),
    provider: analysis.provider,
    ...(analysis.address ? { address: analysis.address } : {}),
    intervalMs: analysis.intervalMs,
    count: analysis.count,
    initialDelayMs: analysis.initialDelayMs,
    failureLimit: analysis.failureLimit,
    inconclusiveLimit: analysis.inconclusiveLimit,
    passScore: analysis.passScore,
    marginalScore: analysis.marginalScore,
    onInconclusive: settings.onInconclusive,
    metrics: gate.metrics.map(plannedMetric),
  };
}

function plannedMetric(metric: PreparedMetric): PlannedMetric {
  const common = {
    name: metric.name,
    kind: metric.kind,
    provider: metric.source.provider,
    ...(metric.source.address ? { address: metric.source.address } : {}),
    critical: metric.critical,
  };
  if (metric.kind === "threshold")
    return { ...common, query: metric.query, condition: metric.threshold.text };
  return {
    ...common,
    canary: metric.queries.canary,
    baseline: metric.queries.baseline,
    direction: metric.judge.direction,
  };
}

// --- Showing the plan -------------------------------------------------------------------------

function where(step: PlannedStep): string {
  const weight = step.weight !== undefined ? `, ${step.weight}%` : "";
  return `${step.step} (${step.instances?.join(", ") ?? step.slot}${weight})`;
}

/** A step's traffic: the new version's share, or a fleet's weights. */
function trafficCell(step: PlannedStep): string {
  if (step.weights)
    return Object.entries(step.weights)
      .map(([name, weight]) => `${name} ${weight}%`)
      .join(", ");
  return step.weight !== undefined ? `${step.weight}%` : "";
}

function gateLine(gate: PlannedGate): string {
  const at = gate.address ? ` at ${gate.address}` : "";
  const delay = gate.initialDelayMs > 0 ? ` after ${formatDuration(gate.initialDelayMs)}` : "";
  return (
    `Canary gate at ${gate.weights.map((weight) => `${weight}%`).join(", ")} (${gate.provider}${at}): ` +
    `${gate.count} round(s) every ${formatDuration(gate.intervalMs)}${delay}; ` +
    `failure limit ${gate.failureLimit}, inconclusive limit ${gate.inconclusiveLimit}; ` +
    `pass score ${gate.passScore}, marginal ${gate.marginalScore}; inconclusive: ${gate.onInconclusive}`
  );
}

function metricLine(metric: PlannedMetric): string {
  const critical = metric.critical ? ", critical" : "";
  if (metric.kind === "threshold")
    return `${metric.name} (threshold${critical}): ${metric.query} -> ${metric.condition}`;
  return (
    `${metric.name} (comparison, fails on ${metric.direction}${critical}): ` +
    `canary ${metric.canary}; baseline ${metric.baseline}`
  );
}

function opening(plan: DeployPlan): string[] {
  const good = plan.previousVersion
    ? `stable ${plan.previousVersion}`
    : "no earlier successful deploy";
  const stable = plan.fleet
    ? `A fleet of ${plan.fleet.instances.join(", ")} (batch ${plan.fleet.batch}, min-healthy ` +
      `${plan.fleet.minHealthy}), ${good}`
    : plan.previousVersion
      ? `Stable ${plan.previousVersion} in slot ${plan.stableSlot}`
      : `No earlier successful deploy; slot ${plan.stableSlot} counts as stable`;
  const url = plan.environmentUrl ? ` Environment URL: ${plan.environmentUrl}.` : "";
  return [
    `Dry run: ${plan.version} to ${plan.environment} with ${plan.strategy}; ` +
      "no hook runs, nothing is recorded, no metric is queried, no one is notified.",
    plan.fleet
      ? `${stable}; every instance leaves traffic before it gets the new version.${url}`
      : `${stable}; the new version goes to slot ${plan.targetSlot}.${url}`,
  ];
}

/** The plan as log lines. */
export function planLines(plan: DeployPlan): string[] {
  const steps = plan.steps.map((step, index) => {
    const what = step.command ?? step.detail;
    return `  ${index + 1}. ${where(step)}: ${what}`;
  });
  const rollback = plan.rollback.command
    ? `${plan.rollback.command} (${plan.rollback.detail})`
    : plan.rollback.detail;
  return [
    ...opening(plan),
    ...(plan.freeze ? [plan.freeze] : []),
    `Steps, each hook under a ${formatDuration(plan.hookTimeoutMs)} timeout:`,
    ...steps,
    `If a step fails: ${rollback}`,
    ...(plan.gate
      ? [gateLine(plan.gate), ...plan.gate.metrics.map((m) => `  ${metricLine(m)}`)]
      : []),
  ];
}

/** The plan as the job summary shows it. */
export function renderPlanSummary(plan: DeployPlan): string {
  const heading =
    `### deploy dry run: ${code(plan.version)} to ${code(plan.environment)} ` +
    `(${plan.strategy}) — nothing deployed`;
  const rows = plan.steps.map((step, index) => [
    String(index + 1),
    step.step,
    step.instances?.join(", ") ?? step.slot,
    trafficCell(step),
    // A command as code; a pipe in it would end the cell, as it would in any other text.
    step.command ? raw(code(step.command).replace(/\|/g, "\\|")) : "",
    step.detail,
  ]);
  const steps = table(["#", "Step", "Slot", "Traffic", "Command", "What"], rows, ["right"]);
  const { rollback } = plan;
  const failure = `If a step fails: ${rollback.detail}${rollback.command ? `: ${code(rollback.command)}` : ""}.`;
  const gate = plan.gate
    ? [
        gateLine(plan.gate),
        table(
          ["Metric", "Kind", "Query", "Passes when"],
          plan.gate.metrics.map((metric) => [
            metric.name,
            metric.kind,
            metric.query ?? `canary: ${metric.canary}\nbaseline: ${metric.baseline}`,
            metric.condition ?? `no significant ${metric.direction} against the baseline`,
          ]),
        ),
      ]
    : [];
  const freeze = plan.freeze ? [plan.freeze] : [];
  return `${[heading, opening(plan).join(" "), ...freeze, steps, failure, ...gate].join("\n\n")}\n`;
}
