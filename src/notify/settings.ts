// An environment's notify section with its references resolved: the plan, the Pushgateway URL, and
// the secret values to mask. An unresolvable channel is dropped with a problem, never fatal.
import type { LayeredEnvironment } from "../config/layering.js";
import { resolveReferences, type VariableLookup } from "../config/references.js";
import { formatKeyPath } from "../config/yaml-source.js";
import { formatProblem } from "../shared/errors.js";
import { notifyPlan, type NotifyPlan } from "./plan.js";
import type { NotifySettings } from "../schema/notify.js";

export interface ResolvedNotify {
  plan: NotifyPlan;
  pushgateway?: string;
  /** Whether incidents are opened and closed for this environment. */
  incidents: boolean;
  /** Resolved secret values: register them for masking before anything is logged. */
  secrets: string[];
  /** Channels left out and why (each names file and line). */
  problems: string[];
}

export function resolveNotify(
  environment: LayeredEnvironment,
  lookup: VariableLookup,
  overrides: { pushgateway?: string } = {},
): ResolvedNotify {
  const section: NotifySettings | undefined = environment.document.notify;
  const secrets: string[] = [];
  const problems: string[] = [];
  const channels = section?.channels ?? [];
  const kept: NotifySettings["channels"] = [];
  const urls: string[] = [];
  channels.forEach((channel, index) => {
    const path = ["notify", "channels", index, "url"];
    const resolved = resolveReferences(channel.url, lookup, () => ({
      path: formatKeyPath(path),
      at: environment.locate(path),
    }));
    secrets.push(...resolved.secrets);
    if (resolved.problems.length > 0) {
      problems.push(
        ...resolved.problems.map(
          (problem) =>
            `${formatProblem(problem)}; channel ${channel.name ?? `${channel.type}#${index + 1}`} left out`,
        ),
      );
      return;
    }
    kept.push({ ...channel, name: channel.name ?? `${channel.type}#${index + 1}` });
    urls.push(String(resolved.value));
  });
  let pushgateway = overrides.pushgateway;
  if (pushgateway === undefined && section?.pushgateway !== undefined) {
    const path = ["notify", "pushgateway"];
    const resolved = resolveReferences(section.pushgateway, lookup, () => ({
      path: formatKeyPath(path),
      at: environment.locate(path),
    }));
    secrets.push(...resolved.secrets);
    if (resolved.problems.length > 0)
      problems.push(
        ...resolved.problems.map((problem) => `${formatProblem(problem)}; metrics not pushed`),
      );
    else pushgateway = String(resolved.value);
  }
  return {
    plan: notifyPlan({ ...section, channels: kept }, urls),
    ...(pushgateway ? { pushgateway } : {}),
    incidents: section?.incidents ?? environment.document.production === true,
    secrets,
    problems,
  };
}
