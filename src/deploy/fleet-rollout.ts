// A fleet's rollout: N instances that all serve traffic. Rolling updates them batch by batch,
// canary puts the new version on a share of them and widens step by step, blue-green switches
// between two groups. An instance is always out of traffic (weight 0, drained) before it gets a
// version, and never more than a batch is out at once, so min-healthy instances keep serving.
import { placeholders } from "../shared/template.js";
import { batches, canaryCounts, fleetWeights, formatWeights, spread } from "./fleet.js";
import type { HookValues } from "./hooks.js";
import { RolloutBase, Stop, type FleetPlan, type TimelineEvent } from "./rollout.js";

type RestoreResult = "restored" | "failed" | "nothing";

export class FleetRollout extends RolloutBase {
  /** Instances that have (or may have: their deploy started) the new version. */
  private readonly changed = new Set<string>();
  /** The share of traffic the new version's instances carry together (canary). */
  private canaryShare = 0;
  private batchNumber = 0;

  constructor(...args: ConstructorParameters<typeof RolloutBase>) {
    super(...args);
    // A held canary's state, rebuilt from its record: the first instances carry the new version.
    const resume = this.plan.resume;
    if (resume && this.settings.strategy === "canary") {
      const { steps } = this.settings;
      const count = canaryCounts(steps, this.order.length)[steps.indexOf(resume.from)] ?? 0;
      for (const name of this.order.slice(0, count)) this.changed.add(name);
      this.canaryShare = resume.from;
      this.trafficMoved = true;
    }
  }

  private get fleet(): FleetPlan {
    return this.plan.fleet as FleetPlan;
  }

  private get order(): string[] {
    return this.fleet.instances.map((instance) => instance.name);
  }

  protected liveSlotNow(): string {
    return this.plan.targetSlot;
  }

  protected override promoteValues(): Partial<HookValues> {
    const instances = this.settings.strategy === "blue-green" ? this.group("target") : this.order;
    return { slot: this.plan.targetSlot, instances: instances.join(",") };
  }

  protected async strategy(): Promise<void> {
    if (this.settings.strategy === "rolling") await this.rolling();
    else if (this.settings.strategy === "blue-green") await this.blueGreen();
    else await this.canary();
  }

  /** Batch after batch: out of traffic, new version, checked, back in; the environment checked. */
  private async rolling(): Promise<void> {
    for (const batch of batches(this.order, this.fleet.batch)) {
      await this.replace(batch, this.plan.version);
      await this.setWeights(this.serving(), `batch ${this.batchNumber} back in traffic`, batch);
      this.badTrafficAtMs ??= this.ports.now() - this.started;
      // Until the last batch the environment serves both versions: it must be healthy, but any
      // answer may come from either, so only the last check expects the new version.
      const mixed = this.changed.size < this.order.length;
      const what = `the environment after batch ${this.batchNumber}`;
      const version = mixed ? "" : this.plan.version;
      await this.health(this.plan.environmentUrl, what, { instances: batch }, version);
    }
  }

  /**
   * The new version on a share of the instances at each step (in batches), that share of traffic
   * on them, and the gate; then wider, up to the whole fleet.
   */
  private async canary(): Promise<void> {
    const { steps } = this.settings;
    const counts = canaryCounts(steps, this.order.length);
    for (const step of this.stepsAhead()) {
      const wanted = counts[steps.indexOf(step)] ?? this.order.length;
      const next = this.order.filter((name) => !this.changed.has(name));
      const widen = next.slice(0, Math.max(0, wanted - this.changed.size));
      const rounds = batches(widen, this.fleet.batch);
      for (const [index, batch] of rounds.entries()) {
        await this.replace(batch, this.plan.version);
        // Part-way through a step the new instances carry their share of the fleet (at most the
        // step's), so the stable ones keep theirs; the step's share once all of them are in.
        const share = Math.round((100 * this.changed.size) / this.order.length);
        this.canaryShare = index === rounds.length - 1 ? step : Math.min(step, share);
        const why = `batch ${this.batchNumber} in traffic: ${this.canaryShare}% on the new version`;
        await this.enterTraffic(why, batch);
      }
      if (widen.length === 0) {
        this.canaryShare = step;
        await this.enterTraffic(`${step}% on the new version`, []);
      }
      if (step >= 100) break;
      await this.gate(step, this.plan.targetSlot);
      this.holdIfDue(step);
    }
    await this.health(this.plan.environmentUrl, "the environment at 100%", {});
  }

  private async enterTraffic(why: string, instances: string[]): Promise<void> {
    if (!this.trafficMoved) this.ports.checkpoint("traffic-moved");
    this.trafficMoved = true;
    await this.setWeights(this.serving(), why, instances);
    this.badTrafficAtMs ??= this.ports.now() - this.started;
  }

  /** Two groups: the idle one out of traffic, every instance of it updated, then all traffic. */
  private async blueGreen(): Promise<void> {
    const target = this.group("target");
    const stable = this.group("stable");
    if (!this.plan.targetIdle) {
      await this.setWeights(
        fleetWeights(this.order, [], stable, 0),
        "the idle group out of traffic",
        target,
      );
      await this.drain(`group ${this.plan.targetSlot}`, { instances: target });
    }
    this.batchNumber = 1;
    await this.deployBatch(target, this.plan.version);
    await this.checkInstances(target, this.plan.version);
    this.ports.checkpoint("traffic-moved");
    this.trafficMoved = true;
    await this.setWeights(
      fleetWeights(this.order, target, [], 100),
      `all traffic to ${this.plan.targetSlot}`,
      target,
    );
    this.badTrafficAtMs ??= this.ports.now() - this.started;
    await this.afterSwitch();
  }

  private group(which: "target" | "stable"): string[] {
    const slot = which === "target" ? this.plan.targetSlot : this.plan.stableSlot;
    return [...(this.fleet.groups?.[slot] ?? [])];
  }

  /** Takes `batch` out of traffic, drains it, deploys `version` to it and checks each instance. */
  private async replace(batch: string[], version: string): Promise<void> {
    this.batchNumber += 1;
    await this.setWeights(this.serving(batch), `batch ${this.batchNumber} out of traffic`, batch);
    await this.drain(`batch ${this.batchNumber}`, { instances: batch });
    if (version === this.plan.version) for (const name of batch) this.changed.add(name);
    await this.deployBatch(batch, version);
    await this.checkInstances(batch, version);
  }

  /**
   * The deploy hook for a batch: once per instance (in parallel) when it names {{ instance }} or
   * not {{ instances }}, else once for the batch. Every run finishes before a failure stops.
   */
  private async deployBatch(batch: string[], version: string): Promise<void> {
    const names = placeholders(this.settings.hooks.deploy ?? "");
    const perInstance = names.includes("instance") || !names.includes("instances");
    const common = {
      version,
      instances: batch.join(","),
      batch: String(this.batchNumber),
      weight: "0",
    };
    const runs = perInstance
      ? batch.map((instance) =>
          this.hook("deploy", { ...common, instance }, { instances: [instance] }),
        )
      : [this.hook("deploy", common, { instances: batch })];
    const settled = await Promise.allSettled(runs);
    const failed = settled.find((run) => run.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Each instance's health at its own URL, before it takes traffic. */
  private async checkInstances(batch: string[], version: string): Promise<void> {
    for (const name of batch) {
      const url = this.fleet.instances.find((instance) => instance.name === name)?.url;
      await this.health(url, `instance ${name} before traffic`, { instances: [name] }, version);
    }
  }

  /** Every instance's weight with `out` out of traffic: the canary's share over its instances. */
  private serving(out: readonly string[] = []): Record<string, number> {
    const inTraffic = this.order.filter((name) => !out.includes(name));
    if (this.settings.strategy !== "canary") return fleetWeights(this.order, [], inTraffic, 0);
    const canary = inTraffic.filter((name) => this.changed.has(name));
    const stable = inTraffic.filter((name) => !this.changed.has(name));
    return fleetWeights(this.order, canary, stable, this.canaryShare);
  }

  private async setWeights(
    weights: Record<string, number>,
    why: string,
    instances: string[],
  ): Promise<void> {
    await this.hook(
      "traffic",
      { weights: formatWeights(weights), weight: "", slot: this.plan.targetSlot },
      { weights, instances, detail: why },
    );
  }

  /**
   * Puts the last good version back on every instance that has (or may have) the new one. Never
   * blocked: each step runs even when one before it failed, and the result says so.
   */
  protected async restore(): Promise<RestoreResult> {
    const bad = this.order.filter((name) => this.changed.has(name));
    const previous = this.plan.previousVersion;
    if (this.settings.strategy === "blue-green") return this.restoreGroups();
    if (this.settings.hooks.rollback) return this.restoreWithHook(bad);
    if (bad.length === 0) return this.restoreTraffic("no instance had the new version");
    if (!previous) {
      this.note({
        step: "rollback",
        ok: false,
        instances: bad,
        detail: "no previous version to redeploy",
      });
      return "nothing";
    }
    const stable = this.order.filter((name) => !this.changed.has(name));
    const ok =
      stable.length > 0 && stable.length >= this.fleet.minHealthy
        ? await this.redeployOutOfTraffic(bad, stable, previous)
        : await this.redeployInBatches(bad, previous);
    return ok ? "restored" : "failed";
  }

  /** Enough stable instances: they take all traffic at once, then the others are redeployed. */
  private async redeployOutOfTraffic(
    bad: string[],
    stable: string[],
    previous: string,
  ): Promise<boolean> {
    let ok = await this.soft(() =>
      this.setWeights(fleetWeights(this.order, [], stable, 0), "new version out of traffic", bad),
    );
    await this.soft(() => this.drain("the new version's instances", { instances: bad }));
    const serving = [...stable];
    for (const batch of batches(bad, this.fleet.batch)) {
      ok = (await this.soft(() => this.deployBatch(batch, previous))) && ok;
      this.changed.forEach((name) => batch.includes(name) && this.changed.delete(name));
      serving.push(...batch);
      const back = fleetWeights(
        this.order,
        [],
        this.order.filter((name) => serving.includes(name)),
        0,
      );
      ok =
        (await this.soft(() => this.setWeights(back, `${previous} back in traffic`, batch))) && ok;
    }
    return this.redeployed(ok, bad, previous);
  }

  /** Too few stable instances to carry everything: the new version replaced batch by batch. */
  private async redeployInBatches(bad: string[], previous: string): Promise<boolean> {
    let ok = true;
    for (const batch of batches(bad, this.fleet.batch)) {
      ok = (await this.soft(() => this.replace(batch, previous))) && ok;
      for (const name of batch) this.changed.delete(name);
      ok =
        (await this.soft(() =>
          this.setWeights(this.serving(), `${previous} back in traffic`, batch),
        )) && ok;
    }
    return this.redeployed(ok, bad, previous);
  }

  private redeployed(ok: boolean, bad: string[], previous: string): boolean {
    const detail = ok ? `${previous} redeployed` : `redeploying ${previous} failed`;
    this.note({ step: "rollback", ok, instances: bad, detail });
    return ok;
  }

  private async restoreWithHook(bad: string[]): Promise<RestoreResult> {
    const previous = this.plan.previousVersion ?? this.plan.version;
    const values = { version: previous, instances: bad.join(","), slot: this.plan.stableSlot };
    const ok = await this.soft(() => this.hook("rollback", values, { instances: bad }));
    this.note({
      step: "rollback",
      ok,
      instances: bad,
      detail: ok ? `${previous} restored by the rollback hook` : "the rollback hook failed",
    });
    return ok ? "restored" : "failed";
  }

  /** Nothing changed version: the weights go back to every instance serving evenly. */
  private async restoreTraffic(detail: string): Promise<RestoreResult> {
    const ok = await this.soft(() =>
      this.setWeights(spread(this.order, 100), "every instance back in traffic", []),
    );
    this.note({ step: "rollback", ok, detail });
    return ok ? "restored" : "failed";
  }

  private async restoreGroups(): Promise<RestoreResult> {
    const stable = this.group("stable");
    if (this.settings.hooks.rollback) return this.restoreWithHook(this.group("target"));
    if (!this.trafficMoved) {
      this.note({
        step: "rollback",
        ok: true,
        slot: this.plan.stableSlot,
        detail: "no traffic had moved: stable kept serving",
      });
      return "restored";
    }
    const ok = await this.soft(() =>
      this.setWeights(
        fleetWeights(this.order, [], stable, 0),
        `all traffic back to ${this.plan.stableSlot}`,
        stable,
      ),
    );
    this.note({
      step: "rollback",
      ok,
      slot: this.plan.stableSlot,
      weight: 100,
      detail: ok ? `all traffic back to ${this.plan.stableSlot}` : "switching back failed",
    });
    return ok ? "restored" : "failed";
  }

  /** Runs a restoring step; a failure is noted (by the step) and does not stop the others. */
  private async soft(step: () => Promise<unknown>): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (error) {
      if (!(error instanceof Stop)) {
        const detail = `unexpected error: ${(error as Error).message}`;
        this.note({ step: "rollback", ok: false, detail } as Omit<
          TimelineEvent,
          "at" | "elapsedMs"
        >);
      }
      return false;
    }
  }
}
