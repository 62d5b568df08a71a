// The strategies as one state machine: rolling, blue-green and canary, each ending deployed,
// rolled back, held or failed, with a timeline of every step. Side effects (hooks, health checks,
// the gate, time) come in through `RolloutPorts`, so the sequencing reads top to bottom here.
import type { HookKind, HookValues } from "./hooks.js";
import type { HookRun } from "./run-hook.js";
import type { DeploySettings, Instance } from "./settings.js";

export type RolloutResult = "deployed" | "rolled-back" | "failed" | "held";

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
    | "drain"
    | "hold"
    | "cancel";
  ok: boolean;
  slot?: string;
  weight?: number;
  /** Fleets: the instances the step acted on, and every instance's weight after a traffic step. */
  instances?: string[];
  weights?: Record<string, number>;
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
  /** `restoring`: the hook puts stable back (a drill's fault switch stays off for it). */
  hook(kind: HookKind, values: HookValues, options?: { restoring?: boolean }): Promise<HookRun>;
  /**
   * Health checks against `url` (a slot's own URL, or the environment's), expecting `expectVersion`
   * ("" for any: a fleet part-way through serves both); undefined when there are none.
   */
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
  /** A fleet, counts resolved; undefined for two slots. */
  fleet?: FleetPlan;
  /** The idle slot was read out of traffic at start: it needs no drain before the deploy. */
  targetIdle?: boolean;
  /** A held canary carried on from the step it was held at, or aborted from there. */
  resume?: { from: number; action: "promote" | "abort" };
}

/** A fleet as a rollout takes it: its instances in order, and batch sizes as counts. */
export interface FleetPlan {
  instances: Instance[];
  /** Blue-green: the slots' instances, by slot name. */
  groups?: Readonly<Record<string, string[]>>;
  batch: number;
  minHealthy: number;
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

/** Why a rollout stopped: `rollback` restores stable; `held` ends it on purpose at a step. */
export class Stop extends Error {
  constructor(
    readonly reason: string,
    readonly rollback: boolean,
    readonly held = false,
  ) {
    super(reason);
  }
}

/** The progress every rollout keeps: the timeline, whether traffic moved, and the figures. */
export abstract class RolloutBase {
  protected readonly started: number;
  protected readonly timeline: TimelineEvent[] = [];
  protected readonly settings: DeploySettings;
  protected trafficMoved = false;
  protected badTrafficAtMs: number | undefined;
  protected gateMs = 0;
  /** Set while stable is being put back: a cancellation no longer stops a step. */
  protected restoring = false;

  constructor(
    protected readonly plan: RolloutPlan,
    protected readonly ports: RolloutPorts,
  ) {
    this.started = ports.now();
    this.settings = plan.settings;
  }

  /** The strategy's steps up to all traffic on the new version; throws a Stop to end early. */
  protected abstract strategy(): Promise<void>;
  /** Puts stable back after a Stop that rolls back. */
  protected abstract restore(reason: string): Promise<"restored" | "failed" | "nothing">;
  /** The slot (or group) serving once the rollout is stopped without rollback, or finished. */
  protected abstract liveSlotNow(): string;

  async run(): Promise<RolloutOutcome> {
    this.ports.checkpoint("started");
    try {
      if (this.plan.resume?.action === "abort") {
        this.trafficMoved = true;
        throw new Stop(`the held rollout was aborted at ${this.plan.resume.from}%`, true);
      }
      await this.strategy();
      if (this.settings.hooks.promote) await this.hook("promote", this.promoteValues());
      this.ports.checkpoint("finished");
      return this.deployed();
    } catch (error) {
      return this.stopped(error);
    }
  }

  protected promoteValues(): Partial<HookValues> {
    return { slot: this.plan.targetSlot, weight: "100" };
  }

  /** The canary gate at one traffic step: a rollback or (unless held) inconclusive verdict stops. */
  protected async gate(weight: number, slot: string = this.plan.targetSlot): Promise<void> {
    this.cancelled();
    const gateStart = this.ports.now();
    const gate = await this.ports.gate(weight);
    this.gateMs += this.ports.now() - gateStart;
    const { verdict, score, detail } = gate;
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

  /** After the gate passed at `weight`: stops here, held, when the plan holds at this step. */
  protected holdIfDue(weight: number): void {
    if (this.settings.holdAt !== weight) return;
    const detail =
      `held at ${weight}% for approval: a later run with resume: promote carries on, ` +
      "resume: abort rolls back";
    this.note({ step: "hold", ok: true, slot: this.plan.targetSlot, weight, detail });
    throw new Stop(`held at ${weight}%, gate passed, waiting for promote or abort`, false, true);
  }

  /** The canary steps still to take: all of them, or those after the step a held rollout is at. */
  protected stepsAhead(): number[] {
    const from = this.plan.resume?.from;
    return from === undefined
      ? this.settings.steps
      : this.settings.steps.filter((step) => step > from);
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
      return {
        result: stop.held ? "held" : "failed",
        reason: stop.reason,
        timeline,
        liveSlot: this.liveSlotNow(),
        cancelled: false,
        gateMs,
      };
    }
    this.ports.log(`rolling back: ${stop.reason}`);
    this.restoring = true;
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

  protected note(event: Omit<TimelineEvent, "at" | "elapsedMs">): void {
    const now = this.ports.now();
    this.timeline.push({
      at: new Date(now).toISOString(),
      elapsedMs: now - this.started,
      ...event,
    });
    const where = [
      event.slot ? `slot ${event.slot}` : "",
      event.instances ? event.instances.join(", ") : "",
      event.weight !== undefined ? `${event.weight}%` : "",
    ]
      .filter(Boolean)
      .join(", ");
    const mark = event.ok ? "✓" : "✗";
    this.ports.log(`${mark} ${event.step}${where ? ` (${where})` : ""}: ${event.detail}`);
  }

  /** A hook's values: the plan's, with `given` over them (slot, weight, a fleet's instances). */
  protected values(given: Partial<HookValues>): HookValues {
    return {
      version: this.plan.version,
      previous_version: this.plan.previousVersion ?? "",
      slot: this.plan.targetSlot,
      weight: "100",
      environment: this.plan.environment,
      ...given,
    };
  }

  protected cancelled(): void {
    if (this.ports.signal.aborted && !this.restoring)
      throw new Stop("the deploy was cancelled", true);
  }

  /** Runs a hook and notes it; a failure stops the rollout (to roll back) unless `failSoft`. */
  protected async hook(
    kind: HookKind,
    given: Partial<HookValues>,
    noted: Partial<TimelineEvent> = {},
  ): Promise<boolean> {
    this.cancelled();
    const values = this.values(given);
    const run = await this.ports.hook(kind, values, { restoring: this.restoring });
    const ok = run.exitCode === 0;
    const failure = ok ? undefined : failedHook(kind, run, this.settings.hookTimeoutMs);
    const done = `${kind} hook done in ${(run.durationMs / 1000).toFixed(1)}s`;
    const detail = failure ? failure.detail : noted.detail ? `${noted.detail} (${done})` : done;
    const step = kind as TimelineEvent["step"];
    const weight = kind === "traffic" && !values.weights ? { weight: Number(values.weight) } : {};
    // A fleet's step names its instances; the slot is then the fleet's, which says nothing.
    const slot = noted.instances ? {} : { slot: values.slot };
    this.note({ step, ok, ...slot, ...weight, ...noted, detail });
    if (failure) throw new Stop(failure.headline, true);
    return ok;
  }

  /** Health checks against `url`; unhealthy stops the rollout to roll back. */
  protected async health(
    url: string | undefined,
    what: string,
    noted: Partial<TimelineEvent> = { slot: this.plan.targetSlot },
    version = this.plan.version,
  ): Promise<void> {
    this.cancelled();
    const outcome = await this.ports.health(url, version);
    if (!outcome) return;
    this.note({
      step: "health",
      ok: outcome.healthy,
      ...noted,
      detail: `${what}: ${outcome.detail}`,
    });
    if (!outcome.healthy) {
      throw new Stop(`health checks failed on ${what}: ${outcome.detail}`, true);
    }
  }

  /** Waits the drain time after traffic left `what`, so its requests in flight finish. */
  protected async drain(what: string, noted: Partial<TimelineEvent>): Promise<void> {
    const ms = this.settings.drainMs;
    if (ms <= 0) return;
    this.cancelled();
    await this.ports.sleep(ms);
    this.note({ step: "drain", ok: true, ...noted, detail: `${what} drained for ${ms / 1000}s` });
  }

  /** Blue-green, once all traffic is on the new slot: the environment checked, the buffer kept. */
  protected async afterSwitch(): Promise<void> {
    const slot = this.plan.targetSlot;
    const detail = `all traffic switched to ${slot}`;
    this.note({ step: "switch", ok: true, slot, weight: 100, detail });
    await this.health(this.plan.environmentUrl, "the environment after the switch");
    await this.watchBuffer();
  }

  /** Blue-green: keep the old slot for the switch buffer, watching health, before promoting. */
  protected async watchBuffer(): Promise<void> {
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
}

/** Two slots taking turns: rolling in place, blue-green, and canary beside the stable slot. */
export class SlotRollout extends RolloutBase {
  protected async strategy(): Promise<void> {
    if (this.settings.strategy === "rolling") await this.rolling();
    else if (this.settings.strategy === "blue-green") await this.blueGreen();
    else await this.canary();
  }

  protected liveSlotNow(): string {
    return this.plan.targetSlot;
  }

  private async rolling(): Promise<void> {
    if (this.settings.hooks.traffic) this.ports.checkpoint("traffic-moved");
    this.trafficMoved = true;
    this.badTrafficAtMs = 0;
    await this.hook("deploy", {});
    await this.health(this.plan.environmentUrl, "the environment");
  }

  /**
   * Blue-green and canary deploy to the idle slot, out of traffic, and check it before it takes
   * traffic. Unless it was read idle at start, it is first taken out of traffic and drained.
   */
  private async deployIdleSlot(): Promise<void> {
    const slot = this.plan.targetSlot;
    if (!this.plan.targetIdle) {
      await this.hook("traffic", { weight: "0" });
      await this.drain(`slot ${slot}`, { slot });
    }
    await this.hook("deploy", { weight: "0" });
    await this.health(this.settings.slotUrls[slot], `slot ${slot} before traffic`);
  }

  private async blueGreen(): Promise<void> {
    await this.deployIdleSlot();
    await this.moveTraffic(100);
    await this.afterSwitch();
  }

  private async canary(): Promise<void> {
    if (this.plan.resume) this.trafficMoved = true;
    else await this.deployIdleSlot();
    for (const weight of this.stepsAhead()) {
      await this.moveTraffic(weight);
      if (weight >= 100) break;
      await this.gate(weight);
      this.holdIfDue(weight);
    }
    await this.health(this.plan.environmentUrl, "the environment at 100%");
  }

  private async moveTraffic(weight: number): Promise<void> {
    if (!this.trafficMoved) this.ports.checkpoint("traffic-moved");
    this.trafficMoved = true;
    await this.hook("traffic", { weight: String(weight) });
    this.badTrafficAtMs ??= this.ports.now() - this.started;
  }

  /**
   * Puts the stable version back: traffic back to the stable slot, or a redeploy for rolling;
   * "nothing" when rolling has no earlier version to redeploy (a first deploy).
   */
  protected async restore(): Promise<"restored" | "failed" | "nothing"> {
    const { plan, settings } = this;
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
    const values = this.values({
      slot: plan.stableSlot,
      version: plan.previousVersion ?? plan.version,
    });
    const run = await this.ports.hook(kind, values, { restoring: true });
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
export function failedHook(
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
