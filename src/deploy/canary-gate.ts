// The canary gate of a deploy: only a canary that stops short of 100% is judged (`steps: 100`, a
// switch back, has none), the new version against the one serving, from the environment's analysis.
import { planGate, type GatePlan } from "../analysis/gate.js";
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import type { DeploySettings } from "./settings.js";
import type { DeployTargets } from "./targets.js";

/** The gate plan, or undefined when the rollout has no gate; throws on a bad analysis section. */
export function planDeployGate(
  environment: LayeredEnvironment,
  settings: DeploySettings,
  version: string,
  targets: DeployTargets,
  lookup: VariableLookup,
): GatePlan | undefined {
  const gated = settings.strategy === "canary" && settings.steps.some((weight) => weight < 100);
  if (!gated) return undefined;
  const context = { canary: version, baseline: targets.baseline, version };
  const overrides = { settings: {}, settingPath: (key: string) => `analysis.${key}` };
  return planGate(environment, overrides, context, lookup);
}
