// What an environment file tells deploy, references resolved: the settings (the inputs over the
// `deploy` section), the environment's URL, its notify channels, and the secrets they used.
import type { LayeredEnvironment } from "../config/layering.js";
import { resolveReferences, type VariableLookup } from "../config/references.js";
import { formatKeyPath } from "../config/yaml-source.js";
import { resolveNotify, type ResolvedNotify } from "../notify/settings.js";
import { ConfigurationError } from "../shared/errors.js";
import { resolveDeploySettings, type DeployOverrides, type DeploySettings } from "./settings.js";

export interface DeployConfiguration {
  settings: DeploySettings;
  environmentUrl?: string;
  notify: ResolvedNotify;
  /** Whether GitHub shows the environment as production, and as short-lived. */
  production: boolean;
  transient: boolean;
  /** The service's name for alerts and metrics. */
  service?: string;
  /** Secret values the sections referenced: to be masked before anything is logged. */
  secrets: string[];
}

/**
 * Resolves the `deploy` section and `url` (`${env:}`, `${secret:}`) and layers the inputs over
 * them; every problem is reported at once with its file and line.
 */
export function configureDeploy(
  environment: LayeredEnvironment,
  overrides: DeployOverrides,
  lookup: VariableLookup,
  options: { pushgateway?: string } = {},
): DeployConfiguration {
  const { document } = environment;
  const resolved = resolveReferences(
    { deploy: document.deploy ?? {}, url: document.url },
    lookup,
    (path) => ({
      path: formatKeyPath(path),
      at: environment.locate(path),
    }),
  );
  if (resolved.problems.length > 0) throw new ConfigurationError(resolved.problems);
  const { deploy, url } = resolved.value as { deploy: unknown; url?: string };
  const settings = resolveDeploySettings(deploy, overrides, (path) => environment.locate(path));
  if ("problems" in settings) throw new ConfigurationError(settings.problems);
  const notify = resolveNotify(
    environment,
    lookup,
    options.pushgateway ? { pushgateway: options.pushgateway } : {},
  );
  return {
    settings,
    ...(url ? { environmentUrl: url } : {}),
    notify,
    production: document.production ?? false,
    transient: document.transient ?? false,
    ...(document.service ? { service: document.service } : {}),
    secrets: [...resolved.secrets, ...notify.secrets],
  };
}
