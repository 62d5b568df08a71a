// An environment's notify section with its references resolved: the plan, the Pushgateway URL, and
// the secret values to mask. An unresolvable channel is dropped with a problem, never fatal.
import { placeOfKey, type LayeredEnvironment } from "../config/layering.js";
import { resolveReferences, type VariableLookup } from "../config/references.js";
import type { KeyPath } from "../config/yaml-source.js";
import { formatProblem } from "../shared/errors.js";
import { channelName, notifyPlan, type NotifyPlan } from "./plan.js";
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
  /** The URL at `path` resolved, or undefined with a problem saying what is left undone. */
  const resolveUrl = (url: string, path: KeyPath, leftUndone: string): string | undefined => {
    const resolved = resolveReferences(url, lookup, () => placeOfKey(environment, path));
    secrets.push(...resolved.secrets);
    if (resolved.problems.length === 0) return String(resolved.value);
    problems.push(
      ...resolved.problems.map((problem) => `${formatProblem(problem)}; ${leftUndone}`),
    );
    return undefined;
  };
  const kept: NotifySettings["channels"] = [];
  const urls: string[] = [];
  (section?.channels ?? []).forEach((channel, index) => {
    const name = channelName(channel, index);
    const path = ["notify", "channels", index, "url"];
    const url = resolveUrl(channel.url, path, `channel ${name} left out`);
    if (url === undefined) return;
    kept.push({ ...channel, name });
    urls.push(url);
  });
  const pushgateway =
    overrides.pushgateway ??
    (section?.pushgateway === undefined
      ? undefined
      : resolveUrl(section.pushgateway, ["notify", "pushgateway"], "metrics not pushed"));
  return {
    plan: notifyPlan({ ...section, channels: kept }, urls),
    ...(pushgateway ? { pushgateway } : {}),
    incidents: section?.incidents ?? environment.document.production === true,
    secrets,
    problems,
  };
}
