// The strategies as one state machine: rolling, blue-green and canary, each ending deployed,
// rolled back, held or failed, with a timeline of every step. Side effects (hooks, health checks,
// the gate, time) come in through `RolloutPorts`, so the sequencing reads top to bottom here.
import type { HookKind, HookValues } from "./hooks.js";
import type { HookRun } from "./run-hook.js";
import type { DeploySettings } from "./settings.js";

export type RolloutResult = "deployed" | "rolled-back" | "failed";

export interface TimelineEvent {
  /** ISO time the step finished. */
  at: string;
  /** Milliseconds since the rollout started. */
  elapsedMs: number;
  step:
    | "deploy"
    | "health"
    | "traffic"
    | "gate"
    | "promote"
    | "switch"
    | "buffer"
    | "rollback"
    | "cancel";
  ok: boolean;
  slot?: string;
  weight?: number;
  detail: string;
  /** Gate verdict and score, for gate steps. */
  verdict?: string;
  score?: number | null;
}

export interface HealthOutcome {
  healthy: boolean;
  detail: string;
}

export interface GateOutcome {
  verdict: "promote" | "inconclusive" | "rollback";
  score: number | null;
  detail: string;
}

export interface RolloutPorts {
  hook(kind: HookKind, values: HookValues): Promise<HookRun>;
  /** Health checks against `url` (a slot's own URL, or the environment's); undefined when there are none. */
  health(url: string | undefined, expectVersion: string): Promise<HealthOutcome | undefined>;
  /** The canary gate at a traffic step. */
  gate(weight: number): Promise<GateOutcome>;
  now(): number;
  sleep(ms: number): Promise<void>;
  log(line: string): void;
  /** Called at each point where a failure would need traffic restored (for the post step). */
  checkpoint(stage: "started" | "traffic-moved" | "finished"): void;
  /** Aborted when the deploy is being cancelled (SIGTERM, SIGINT). */
  signal: AbortSignal;
}

export interface RolloutPlan {
  environment: string;
  version: string;
  /** The version to return to: the last good one, or the rollback-to input. */
  previousVersion?: string;
  /** The slot serving now, and the one the new version goes to. */
  stableSlot: string;
  targetSlot: string;
  /** Where the environment answers (after traffic moves). */
  environmentUrl?: string;
  settings: DeploySettings;
}

export interface RolloutOutcome {
  result: RolloutResult;
  /** Why it ended as it did, in one sentence. */
  reason: string;
  timeline: TimelineEvent[];
  /** The slot serving the environment at the end. */
  liveSlot: string;
  /** The version serving the environment at the end (undefined when unknown: first deploy failed). */
  liveVersion?: string;
  cancelled: boolean;
  /** Figures: when the new version first took traffic, and when stable had all traffic back. */
  badTrafficAtMs?: number;
  restoredAtMs?: number;
  gateMs: number;
}

class Stop extends Error {
  constructor(
    readonly reason: string,
    readonly rollback: boolean,
  ) {
    super(reason);
  }
}

/** Runs the plan's strategy. Never throws for a failed step: the outcome says what happened. */
export function runRollout(plan: RolloutPlan, ports: RolloutPorts): Promise<RolloutOutcome> {
  return new Rollout(plan, ports).run();
}

/** One rollout's progress: the timeline, whether traffic moved, and the figures. */
class Rollout {
  private readonly started: number;
  private readonly timeline: TimelineEvent[] = [];
  private readonly settings: DeploySettings;
  private trafficMoved = false;
  private badTrafficAtMs: number | undefined;
  private gateMs = 0;

  constructor(
    private readonly plan: RolloutPlan,
    private readonly ports: RolloutPorts,
  ) {
    this.started = ports.now();
    this.settings = plan.settings;
  }

  async run(): Promise<RolloutOutcome> {
    this.ports.checkpoint("started");
    try {
      if (this.settings.strategy === "rolling") await this.rolling();
      else if (this.settings.strategy === "blue-green") await this.blueGreen();
      else await this.canary();
      if (this.settings.hooks.promote) await this.hook("promote", this.plan.targetSlot, 100);
      this.ports.checkpoint("finished");
      return this.deployed();
    } catch (error) {
      return this.stopped(error);
    }
  }

  private async rolling(): Promise<void> {
    if (this.settings.hooks.traffic) this.ports.checkpoint("traffic-moved");
    this.trafficMoved = true;
    this.badTrafficAtMs = 0;
    await this.hook("deploy", this.plan.targetSlot, 100);
    await this.health(this.plan.environmentUrl, "the environment");
  }

  /** Blue-green and canary first deploy to the idle slot and check it before it takes traffic. */
  private async deployIdleSlot(): Promise<void> {
    const slot = this.plan.targetSlot;
    await this.hook("deploy", slot, 0);
    await this.health(this.settings.slotUrls[slot], `slot ${slot} before traffic`);
  }

  private async blueGreen(): Promise<void> {
    await this.deployIdleSlot();
    await this.moveTraffic(100);
    const slot = this.plan.targetSlot;
    this.note({
      step: "switch",
      ok: true,
      slot,
      weight: 100,
      detail: `all traffic switched to ${slot}`,
    });
    await this.health(this.plan.environmentUrl, "the environment after the switch");
    await this.watchBuffer();
  }

  private async canary(): Promise<void> {
    await this.deployIdleSlot();
    for (const weight of this.settings.steps) {
      await this.moveTraffic(weight);
      if (weight >= 100) break;
      await this.gate(weight);
    }
    await this.health(this.plan.environmentUrl, "the environment at 100%");
  }

  /** The canary gate at one traffic step: a rollback or (unless held) inconclusive verdict stops. */
  private async gate(weight: number): Promise<void> {
    this.cancelled();
    const gateStart = this.ports.now();
    const gate = await this.ports.gate(weight);
    this.gateMs += this.ports.now() - gateStart;
    const { verdict, score, detail } = gate;
    const slot = this.plan.targetSlot;
    this.note({ step: "gate", ok: verdict === "promote", slot, weight, verdict, score, detail });
    if (verdict === "rollback") {
      throw new Stop(`the canary gate said roll back at ${weight}%: ${detail}`, true);
    }
    if (verdict === "inconclusive") {
      if (this.settings.onInconclusive === "hold") {
        throw new Stop(
          `the canary gate was inconclusive at ${weight}%; held there (on-inconclusive: hold): ${detail}`,
          false,
        );
      }
      throw new Stop(`the canary gate was inconclusive at ${weight}%: ${detail}`, true);
    }
  }

  private deployed(): RolloutOutcome {
    const { plan } = this;
    return {
      result: "deployed",
      reason: `${plan.version} is live on ${plan.environment}`,
      timeline: this.timeline,
      liveSlot: plan.targetSlot,
      liveVersion: plan.version,
      cancelled: false,
      ...(this.badTrafficAtMs !== undefined ? { badTrafficAtMs: this.badTrafficAtMs } : {}),
      gateMs: this.gateMs,
    };
  }

  /** The outcome after a step stopped the rollout: held where it was, or rolled back to stable. */
  private async stopped(error: unknown): Promise<RolloutOutcome> {
    const { plan, timeline, gateMs } = this;
    const aborted = this.ports.signal.aborted;
    const stop =
      error instanceof Stop
        ? error
        : aborted
          ? new Stop("the deploy was cancelled", true)
          : new Stop(`unexpected error: ${(error as Error).message}`, true);
    if (aborted) this.note({ step: "cancel", ok: false, detail: "cancelled: restoring stable" });
    if (!stop.rollback) {
      this.ports.checkpoint("finished");
      const liveSlot = plan.targetSlot;
      return {
        result: "failed",
        reason: stop.reason,
        timeline,
        liveSlot,
        cancelled: false,
        gateMs,
      };
    }
    const restore = await this.restore(stop.reason);
    const restored = restore === "restored";
    this.ports.checkpoint("finished");
    const back = restored && Boolean(plan.previousVersion);
    const previous = plan.previousVersion ?? "the previous version";
    const reason = {
      restored: stop.reason,
      nothing: `${stop.reason}; no earlier version to restore`,
      failed: `${stop.reason}; restoring ${previous} failed too`,
    }[restore];
    return {
      result: back ? "rolled-back" : "failed",
      reason,
      timeline,
      liveSlot: plan.stableSlot,
      ...(back ? { liveVersion: plan.previousVersion } : {}),
      cancelled: aborted,
      ...(this.badTrafficAtMs !== undefined ? { badTrafficAtMs: this.badTrafficAtMs } : {}),
      ...(restored ? { restoredAtMs: timeline[timeline.length - 1]?.elapsedMs ?? 0 } : {}),
      gateMs,
    };
  }

  private note(event: Omit<TimelineEvent, "at" | "elapsedMs">): void {
    const now = this.ports.now();
    this.timeline.push({
      at: new Date(now).toISOString(),
      elapsedMs: now - this.started,
      ...event,
    });
    const where = [
      event.slot ? `slot ${event.slot}` : "",
      event.weight !== undefined ? `${event.weight}%` : "",
    ]
      .filter(Boolean)
      .join(", ");
    const mark = event.ok ? "✓" : "✗";
    this.ports.log(`${mark} ${event.step}${where ? ` (${where})` : ""}: ${event.detail}`);
  }

  private values(slot: string, weight: number, version = this.plan.version): HookValues {
    return {
      version,
      previous_version: this.plan.previousVersion ?? "",
      slot,
      weight: String(weight),
      environment: this.plan.environment,
    };
  }

  private cancelled(): void {
    if (this.ports.signal.aborted) throw new Stop("the deploy was cancelled", true);
  }

  private async hook(kind: HookKind, slot: string, weight: number): Promise<void> {
    this.cancelled();
    const run = await this.ports.hook(kind, this.values(slot, weight));
    const ok = run.exitCode === 0;
    const failure = ok ? undefined : failedHook(kind, run, this.settings.hookTimeoutMs);
    const detail = failure
      ? failure.detail
      : `${kind} hook done in ${(run.durationMs / 1000).toFixed(1)}s`;
    const step = kind as TimelineEvent["step"];
    this.note({ step, ok, slot, ...(kind === "traffic" ? { weight } : {}), detail });
    if (failure) throw new Stop(failure.headline, true);
  }

  private async moveTraffic(weight: number): Promise<void> {
    if (!this.trafficMoved) this.ports.checkpoint("traffic-moved");
    this.trafficMoved = true;
    await this.hook("traffic", this.plan.targetSlot, weight);
    this.badTrafficAtMs ??= this.ports.now() - this.started;
  }

  private async health(url: string | undefined, what: string): Promise<void> {
    this.cancelled();
    const outcome = await this.ports.health(url, this.plan.version);
    if (!outcome) return;
    const slot = this.plan.targetSlot;
    this.note({ step: "health", ok: outcome.healthy, slot, detail: `${what}: ${outcome.detail}` });
    if (!outcome.healthy) {
      throw new Stop(`health checks failed on ${what}: ${outcome.detail}`, true);
    }
  }

  /** Blue-green: keep the old slot for the switch buffer, watching health, before promoting. */
  private async watchBuffer(): Promise<void> {
    const bufferMs = this.settings.switchBufferMs;
    if (bufferMs <= 0) return;
    const until = this.ports.now() + bufferMs;
    while (this.ports.now() < until) {
      await this.ports.sleep(Math.min(5_000, until - this.ports.now()));
      await this.health(this.plan.environmentUrl, "the environment during the switch buffer");
    }
    this.note({
      step: "buffer",
      ok: true,
      slot: this.plan.targetSlot,
      detail: `healthy through the ${(bufferMs / 1000).toFixed(0)}s switch buffer`,
    });
  }

  /**
   * Puts the stable version back: traffic back to the stable slot, or a redeploy for rolling;
   * "nothing" when rolling has no earlier version to redeploy (a first deploy).
   */
  private async restore(reason: string): Promise<"restored" | "failed" | "nothing"> {
    const { plan, settings } = this;
    this.ports.log(`rolling back: ${reason}`);
    const previous = plan.previousVersion;
    if (settings.hooks.rollback) {
      return this.restoreWith(
        "rollback",
        `stable ${previous ? `${previous} ` : ""}restored by the rollback hook`,
      );
    }
    if (settings.strategy === "rolling") {
      if (!previous) {
        this.note({ step: "rollback", ok: false, detail: "no previous version to redeploy" });
        return "nothing";
      }
      return this.restoreWith("deploy", `${previous} redeployed`);
    }
    if (!this.trafficMoved) {
      const detail = "no traffic had moved: stable kept serving";
      this.note({ step: "rollback", ok: true, slot: plan.stableSlot, detail });
      return "restored";
    }
    // Canary and blue-green without a rollback hook: all traffic back to the stable slot.
    return this.restoreWith("traffic", `all traffic back to ${plan.stableSlot}`);
  }

  private async restoreWith(kind: HookKind, detail: string): Promise<"restored" | "failed"> {
    const { plan } = this;
    const values = this.values(plan.stableSlot, 100, plan.previousVersion ?? plan.version);
    const run = await this.ports.hook(kind, values);
    const ok = run.exitCode === 0;
    this.note({
      step: "rollback",
      ok,
      slot: plan.stableSlot,
      weight: 100,
      detail: ok ? detail : failedHook(kind, run, this.settings.hookTimeoutMs).detail,
    });
    return ok ? "restored" : "failed";
  }
}

/** Lines of a failed hook's output its detail keeps, and the length each is cut to. */
const OUTPUT_LINES = 5;
const LINE_CHARACTERS = 200;

/**
 * A failed hook in one line (`headline`: how it ended and its last line of output, which the
 * deployment status keeps within its 140 characters) and in full (`detail`: the headline, then its
 * last lines of output in order, for the timeline and the job summary).
 */
function failedHook(
  kind: HookKind,
  run: HookRun,
  timeoutMs: number,
): { headline: string; detail: string } {
  const lines = run.tail
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .slice(-OUTPUT_LINES)
    .map((line) => boundLine(line, LINE_CHARACTERS));
  const last = lines[lines.length - 1];
  const headline = run.timedOut
    ? `${kind} hook timed out after ${(timeoutMs / 1000).toFixed(0)}s`
    : `${kind} hook exited ${run.exitCode}${last !== undefined ? `: ${last}` : ""}`;
  // A single line is already in the headline of a hook that exited.
  const shown = run.timedOut || lines.length > 1 ? lines : [];
  return { headline, detail: [headline, ...shown.map((line) => `› ${line}`)].join("\n") };
}

/**
 * A line of at most `max` characters, cut between words: the output is scrubbed of secrets only
 * where it leaves the action, and a secret cut in two would no longer be recognised there.
 */
function boundLine(line: string, max: number): string {
  if (line.length <= max) return line;
  const cut = line.slice(0, max - 1).search(/\s\S*$/);
  return cut > 0 ? `${line.slice(0, cut).trimEnd()} …` : `… (a line of ${line.length} characters)`;
}
