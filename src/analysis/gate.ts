// The canary gate as one call, for the canary-gate action and for deploy's canary steps: settings
// and metrics from the environment's `analysis` section and the caller's overrides, providers
// created once per endpoint, the analysis run, and its report.
import { formatKeyPath, type KeyPath } from "../config/yaml-source.js";
import type { LayeredEnvironment } from "../config/layering.js";
import { resolveReferences, type VariableLookup } from "../config/references.js";
import { ConfigurationError, type Problem } from "../shared/errors.js";
import { issuesToProblems } from "../shared/validation.js";
import { runAnalysis, type AnalysisResult, type Clock } from "./analysis.js";
import { AnalysisSectionSchema, type RawSettings } from "../schema/analysis.js";
import { newSequentialMemory, sequentialShapeProblem } from "./sequential-measure.js";
import {
  isSequential,
  prepareMetrics,
  type MetricSource,
  type PreparedMetric,
  type TemplateContext,
} from "./definitions.js";
import { addressSecrets, authSecrets, hasCredentials } from "./endpoint.js";
import { createHttpProvider } from "./http-provider.js";
import { measureMetric } from "./measure.js";
import { createPrometheusProvider } from "./prometheus.js";
import { resolveSettings, type AnalysisSettings } from "./settings.js";
import type { MetricsProvider, ProviderAuth } from "./provider.js";

type SettingsLayer = Parameters<typeof resolveSettings>[0][number];

export interface GatePlan {
  settings: AnalysisSettings;
  metrics: PreparedMetric[];
  /**
   * Credentials from the environment's section (`bearer-token`, `username`, `password`), used
   * when the caller gives none.
   */
  auth: ProviderAuth;
  /**
   * Values to mask: secrets the environment's section referenced (`${secret:NAME}`), its
   * credentials (and the Basic credentials made of them), and the userinfo of every address.
   */
  secrets: string[];
}

export interface GateOverrides {
  /** Settings given by the caller (the action's inputs), each winning over the environment's. */
  settings: RawSettings;
  /** How to name an overriding setting in messages: `input "interval"`. */
  settingPath: (key: string) => string;
  /** Metric definitions given by the caller (the `metrics` input), parsed. */
  metrics?: { metrics: readonly unknown[]; path: KeyPath };
}

/** The environment's `analysis` section, references resolved and validated. */
interface SectionPlan {
  layer: SettingsLayer;
  metrics?: MetricSource;
  auth: ProviderAuth;
  secrets: string[];
}

/**
 * Resolves the references in the environment's `analysis` section and validates it. Throws one
 * ConfigurationError listing every problem, each with its key path, file and line.
 */
function readSection(environment: LayeredEnvironment, lookup: VariableLookup): SectionPlan {
  // `${env:PROMETHEUS_URL}` and `${secret:...}` work in the section as they do in config.
  const resolved = resolveReferences(environment.document.analysis, lookup, (path) => ({
    path: formatKeyPath(["analysis", ...path]),
    at: environment.locate(["analysis", ...path]),
  }));
  if (resolved.problems.length > 0) throw new ConfigurationError(resolved.problems);
  const parsed = AnalysisSectionSchema.safeParse(resolved.value);
  if (!parsed.success) {
    const problems: Problem[] = issuesToProblems(
      parsed.error.issues,
      (path) => formatKeyPath(["analysis", ...path]),
      (path) => environment.locate(["analysis", ...path]),
    );
    throw new ConfigurationError(problems);
  }
  const { metrics, "bearer-token": bearerToken, username, password, ...settings } = parsed.data;
  const auth: ProviderAuth = {
    ...(bearerToken !== undefined ? { bearerToken } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
  return {
    layer: {
      settings,
      where: (key) => ({ path: `analysis.${key}`, at: environment.locate(["analysis", key]) }),
    },
    ...(metrics
      ? { metrics: { metrics, path: ["analysis", "metrics"], locate: environment.locate } }
      : {}),
    auth,
    secrets: [...resolved.secrets, ...authSecrets(auth)],
  };
}

/** The userinfo of every address the gate will query (settings, metrics, http URLs), to mask. */
function addressesSecrets(
  settings: AnalysisSettings,
  metrics: readonly PreparedMetric[],
): string[] {
  const addresses = [
    settings.address,
    ...metrics.flatMap((metric) => [
      metric.source.address,
      ...(metric.source.provider !== "http"
        ? []
        : metric.kind === "threshold"
          ? [metric.query]
          : [metric.queries.canary, metric.queries.baseline]),
    ]),
  ];
  return addresses.flatMap(addressSecrets);
}

/**
 * Reads the environment's `analysis` section (when there is an environment), layers the caller's
 * settings and metrics over it, and validates everything, every query included. Throws one
 * ConfigurationError listing every problem, each with its key path and, for files, file and line.
 */
export function planGate(
  environment: LayeredEnvironment | undefined,
  overrides: GateOverrides,
  context: TemplateContext,
  lookup: VariableLookup = () => undefined,
): GatePlan {
  const layers: SettingsLayer[] = [
    { settings: overrides.settings, where: (key) => ({ path: overrides.settingPath(key) }) },
  ];
  const sources: MetricSource[] = [];
  const section =
    environment && environment.document.analysis !== undefined
      ? readSection(environment, lookup)
      : undefined;
  if (section) layers.push(section.layer);
  if (section?.metrics) sources.push(section.metrics);
  if (overrides.metrics)
    sources.push({ metrics: overrides.metrics.metrics, path: overrides.metrics.path });
  const settings = resolveSettings(layers);
  if ("problems" in settings) throw new ConfigurationError(settings.problems);
  const prepared = prepareMetrics(sources, settings, context);
  if ("problems" in prepared) throw new ConfigurationError(prepared.problems);
  const secrets = [...(section?.secrets ?? []), ...addressesSecrets(settings, prepared.metrics)];
  return {
    settings,
    metrics: prepared.metrics,
    auth: section?.auth ?? {},
    secrets: [...new Set(secrets)],
  };
}

/** One provider per distinct endpoint (kind, address, path), created when first needed. */
export function providerFactory(
  settings: AnalysisSettings,
  auth: ProviderAuth,
): (metric: PreparedMetric) => MetricsProvider {
  const providers = new Map<string, MetricsProvider>();
  return (metric) => {
    const { provider, address, path } = metric.source;
    const key = JSON.stringify([provider, address, path]);
    let created = providers.get(key);
    if (!created) {
      if (provider === "prometheus") {
        if (!address) throw new Error(`metric ${metric.name} has no Prometheus address`);
        created = createPrometheusProvider({ address, auth, timeoutMs: settings.queryTimeoutMs });
      } else {
        created = createHttpProvider({
          ...(address ? { address } : {}),
          ...(path !== undefined ? { path } : {}),
          auth,
          timeoutMs: settings.queryTimeoutMs,
        });
      }
      providers.set(key, created);
    }
    return created;
  };
}

export interface RunGateOptions {
  /** The caller's credentials; when they carry none, the plan's (the section's) are used. */
  auth?: ProviderAuth;
  clock?: Clock;
  log?: (line: string) => void;
  providerFor?: (metric: PreparedMetric) => MetricsProvider;
  /** Stops the analysis at its next wait (the deploy being cancelled): runGate then rejects. */
  signal?: AbortSignal;
}

/** The real clock, whose waits end early with an error when `signal` aborts. */
export function abortableClock(signal: AbortSignal): Clock {
  return {
    now: () => Date.now(),
    sleep: (ms) =>
      new Promise((done, fail) => {
        if (signal.aborted) return fail(new Error("cancelled"));
        const timer = setTimeout(
          () => {
            signal.removeEventListener("abort", onAbort);
            done();
          },
          Math.max(0, ms),
        );
        const onAbort = () => {
          clearTimeout(timer);
          fail(new Error("cancelled"));
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }),
  };
}

/**
 * Reads every sequential metric's queries once and throws one ConfigurationError naming each
 * metric whose answers cannot be tested, with where it is defined, before the first round.
 */
export async function checkSequentialQueries(
  metrics: readonly PreparedMetric[],
  providerFor: (metric: PreparedMetric) => MetricsProvider,
  at: Date,
): Promise<void> {
  const sequential = metrics.filter(isSequential);
  const found = await Promise.all(
    sequential.map(async (metric) => {
      const problem = await sequentialShapeProblem(metric, providerFor(metric), at);
      return problem ? [{ ...metric.origin, message: problem }] : [];
    }),
  );
  const problems: Problem[] = found.flat();
  if (problems.length > 0) throw new ConfigurationError(problems);
}

/** Runs a planned gate against its providers. */
export async function runGate(
  plan: GatePlan,
  options: RunGateOptions = {},
): Promise<AnalysisResult> {
  const auth = hasCredentials(options.auth) ? options.auth : plan.auth;
  const providerFor = options.providerFor ?? providerFactory(plan.settings, auth);
  const clock = options.clock ?? (options.signal ? abortableClock(options.signal) : undefined);
  const now = clock ? () => clock.now() : Date.now;
  await checkSequentialQueries(plan.metrics, providerFor, new Date(now()));
  const memory = newSequentialMemory();
  return runAnalysis(plan.metrics, plan.settings, {
    measure: (metric, round, at, firstAt) =>
      measureMetric(metric, providerFor, round, at, firstAt, now, memory),
    ...(clock ? { clock } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}
