// The rollout for a plan: a fleet of instances, or two slots taking turns.
import { FleetRollout } from "./fleet-rollout.js";
import {
  SlotRollout,
  type RolloutOutcome,
  type RolloutPlan,
  type RolloutPorts,
} from "./rollout.js";

/** Runs the plan's strategy. Never throws for a failed step: the outcome says what happened. */
export function runRollout(plan: RolloutPlan, ports: RolloutPorts): Promise<RolloutOutcome> {
  const rollout = plan.fleet ? new FleetRollout(plan, ports) : new SlotRollout(plan, ports);
  return rollout.run();
}
