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
export async function runRollout(plan: RolloutPlan, ports: RolloutPorts): Promise<RolloutOutcome> {
  const started = ports.now();
  const timeline: TimelineEvent[] = [];
  const { settings } = plan;
  let trafficMoved = false;
  let badTrafficAtMs: number | undefined;
  let gateMs = 0;

  const note = (event: Omit<TimelineEvent, "at" | "elapsedMs">): void => {
    const now = ports.now();
    timeline.push({ at: new Date(now).toISOString(), elapsedMs: now - started, ...event });
    const where = [
      event.slot ? `slot ${event.slot}` : "",
      event.weight !== undefined ? `${event.weight}%` : "",
    ]
      .filter(Boolean)
      .join(", ");
    ports.log(
      `${event.ok ? "✓" : "✗"} ${event.step}${where ? ` (${where})` : ""}: ${event.detail}`,
    );
  };
  const values = (slot: string, weight: number, version = plan.version): HookValues => ({
    version,
    previous_version: plan.previousVersion ?? "",
    slot,
    weight: String(weight),
    environment: plan.environment,
  });
  const cancelled = () => {
    if (ports.signal.aborted) throw new Stop("the deploy was cancelled", true);
  };
  const hook = async (
    kind: HookKind,
    slot: string,
    weight: number,
    step: TimelineEvent["step"] = kind as TimelineEvent["step"],
  ): Promise<void> => {
    cancelled();
    const run = await ports.hook(kind, values(slot, weight));
    const ok = run.exitCode === 0;
    const detail = ok
      ? `${kind} hook done in ${(run.durationMs / 1000).toFixed(1)}s`
      : run.timedOut
        ? `${kind} hook timed out after ${(settings.hookTimeoutMs / 1000).toFixed(0)}s`
        : `${kind} hook exited ${run.exitCode}${run.tail.length > 0 ? `: ${run.tail[run.tail.length - 1]}` : ""}`;
    note({ step, ok, slot, ...(kind === "traffic" ? { weight } : {}), detail });
    if (!ok) throw new Stop(detail, true);
  };
  const moveTraffic = async (weight: number): Promise<void> => {
    if (!trafficMoved) ports.checkpoint("traffic-moved");
    trafficMoved = true;
    await hook("traffic", plan.targetSlot, weight);
    badTrafficAtMs ??= ports.now() - started;
  };
  const health = async (url: string | undefined, slot: string, what: string): Promise<void> => {
    cancelled();
    const outcome = await ports.health(url, plan.version);
    if (!outcome) return;
    note({ step: "health", ok: outcome.healthy, slot, detail: `${what}: ${outcome.detail}` });
    if (!outcome.healthy)
      throw new Stop(`health checks failed on ${what}: ${outcome.detail}`, true);
  };

  ports.checkpoint("started");
  try {
    if (settings.strategy === "rolling") {
      if (settings.hooks.traffic) ports.checkpoint("traffic-moved");
      trafficMoved = true;
      badTrafficAtMs = 0;
      await hook("deploy", plan.targetSlot, 100);
      await health(plan.environmentUrl, plan.targetSlot, "the environment");
    } else {
      await hook("deploy", plan.targetSlot, 0);
      await health(
        settings.slotUrls[plan.targetSlot],
        plan.targetSlot,
        `slot ${plan.targetSlot} before traffic`,
      );
      if (settings.strategy === "blue-green") {
        await moveTraffic(100);
        note({
          step: "switch",
          ok: true,
          slot: plan.targetSlot,
          weight: 100,
          detail: `all traffic switched to ${plan.targetSlot}`,
        });
        await health(plan.environmentUrl, plan.targetSlot, "the environment after the switch");
        await watchBuffer();
      } else {
        for (const weight of settings.steps) {
          await moveTraffic(weight);
          if (weight >= 100) break;
          cancelled();
          const gateStart = ports.now();
          const gate = await ports.gate(weight);
          gateMs += ports.now() - gateStart;
          const proceed = gate.verdict === "promote";
          note({
            step: "gate",
            ok: proceed,
            slot: plan.targetSlot,
            weight,
            verdict: gate.verdict,
            score: gate.score,
            detail: gate.detail,
          });
          if (gate.verdict === "rollback")
            throw new Stop(`the canary gate said roll back at ${weight}%: ${gate.detail}`, true);
          if (gate.verdict === "inconclusive") {
            if (settings.onInconclusive === "hold")
              throw new Stop(
                `the canary gate was inconclusive at ${weight}%; held there (on-inconclusive: hold): ${gate.detail}`,
                false,
              );
            throw new Stop(`the canary gate was inconclusive at ${weight}%: ${gate.detail}`, true);
          }
        }
        await health(plan.environmentUrl, plan.targetSlot, "the environment at 100%");
      }
    }
    if (settings.hooks.promote) await hook("promote", plan.targetSlot, 100);
    ports.checkpoint("finished");
    return {
      result: "deployed",
      reason: `${plan.version} is live on ${plan.environment}`,
      timeline,
      liveSlot: plan.targetSlot,
      liveVersion: plan.version,
      cancelled: false,
      ...(badTrafficAtMs !== undefined ? { badTrafficAtMs } : {}),
      gateMs,
    };
  } catch (error) {
    const stop =
      error instanceof Stop
        ? error
        : ports.signal.aborted
          ? new Stop("the deploy was cancelled", true)
          : new Stop(`unexpected error: ${(error as Error).message}`, true);
    const wasCancelled = ports.signal.aborted;
    if (wasCancelled) note({ step: "cancel", ok: false, detail: "cancelled: restoring stable" });
    if (!stop.rollback) {
      ports.checkpoint("finished");
      return {
        result: "failed",
        reason: stop.reason,
        timeline,
        liveSlot: plan.targetSlot,
        cancelled: false,
        gateMs,
      };
    }
    const restored = await restore(stop.reason);
    ports.checkpoint("finished");
    return {
      result: restored && plan.previousVersion ? "rolled-back" : "failed",
      reason: restored
        ? stop.reason
        : `${stop.reason}; restoring ${plan.previousVersion ?? "the previous version"} failed too`,
      timeline,
      liveSlot: plan.stableSlot,
      ...(restored && plan.previousVersion ? { liveVersion: plan.previousVersion } : {}),
      cancelled: wasCancelled,
      ...(badTrafficAtMs !== undefined ? { badTrafficAtMs } : {}),
      ...(restored ? { restoredAtMs: timeline[timeline.length - 1]?.elapsedMs ?? 0 } : {}),
      gateMs,
    };
  }

  /** Blue-green: keep the old slot for the switch buffer, watching health, before promoting. */
  async function watchBuffer(): Promise<void> {
    if (settings.switchBufferMs <= 0) return;
    const until = ports.now() + settings.switchBufferMs;
    while (ports.now() < until) {
      await ports.sleep(Math.min(5_000, until - ports.now()));
      await health(
        plan.environmentUrl,
        plan.targetSlot,
        "the environment during the switch buffer",
      );
    }
    note({
      step: "buffer",
      ok: true,
      slot: plan.targetSlot,
      detail: `healthy through the ${(settings.switchBufferMs / 1000).toFixed(0)}s switch buffer`,
    });
  }

  /** Puts the stable version back: traffic back to the stable slot, or a redeploy for rolling. */
  async function restore(reason: string): Promise<boolean> {
    ports.log(`rolling back: ${reason}`);
    const rollbackValues = values(plan.stableSlot, 100, plan.previousVersion ?? plan.version);
    const attempt = async (kind: HookKind, detail: string): Promise<boolean> => {
      const run = await ports.hook(kind, rollbackValues);
      const ok = run.exitCode === 0;
      note({
        step: "rollback",
        ok,
        slot: plan.stableSlot,
        weight: 100,
        detail: ok
          ? detail
          : `${kind} hook ${run.timedOut ? "timed out" : `exited ${run.exitCode}`}`,
      });
      return ok;
    };
    if (settings.hooks.rollback)
      return attempt(
        "rollback",
        `stable ${plan.previousVersion ? `${plan.previousVersion} ` : ""}restored by the rollback hook`,
      );
    if (settings.strategy === "rolling") {
      if (!plan.previousVersion) {
        note({ step: "rollback", ok: false, detail: "no previous version to redeploy" });
        return false;
      }
      return attempt("deploy", `${plan.previousVersion} redeployed`);
    }
    if (!trafficMoved) {
      note({
        step: "rollback",
        ok: true,
        slot: plan.stableSlot,
        detail: "no traffic had moved: stable kept serving",
      });
      return true;
    }
    // Canary and blue-green without a rollback hook: all traffic back to the stable slot.
    return attempt("traffic", `all traffic back to ${plan.stableSlot}`);
  }
}
