// Metric definitions: their schema, defaults and merging (the environment's `analysis` section
// under the action's inputs), with every query rendered and validated before the first request.
// Pure: providers are named here and created by the caller.
import type * as z from "zod/mini";
import { MetricSchema, type NoDataPolicy, type ProviderKind } from "../schema/analysis.js";
import { formatKeyPath, type KeyPath } from "../config/yaml-source.js";
import { parseDuration, promDuration } from "../shared/duration.js";
import type { Problem, SourcePosition } from "../shared/errors.js";
import { issuesToProblems } from "../shared/validation.js";
import type { ComparisonOptions } from "./judge.js";
import { HTTP_TIME_PLACEHOLDERS } from "./http-provider.js";
import { escapePromqlString, validatePromql } from "./prometheus.js";
import { httpUrlProblem } from "./endpoint.js";
import { durationProblem, type AnalysisSettings } from "./settings.js";
import { placeholders, renderTemplate, type TemplateValues } from "../shared/template.js";
import {
  parseThreshold,
  type Aggregate,
  type ElementSelector,
  type Threshold,
} from "./threshold.js";

interface MetricCommon {
  name: string;
  source: { provider: ProviderKind; address?: string; path?: string };
  onNoData: NoDataPolicy;
  weight: number;
  group: string;
  critical: boolean;
  dryRun: boolean;
}

export interface ThresholdMetric extends MetricCommon {
  kind: "threshold";
  /** The query with every placeholder resolved (the http provider's time placeholders excepted). */
  query: string;
  threshold: Threshold;
  aggregate: Aggregate;
  element?: ElementSelector;
}

export interface ComparisonMetric extends MetricCommon {
  kind: "comparison";
  method: "mann-whitney";
  queries: { canary: string; baseline: string };
  judge: ComparisonOptions;
  lookbackMs: number;
  stepMs: number;
}

/** The counters a `rate` metric reads on each side: events among the total (exposure). */
export interface CounterQueries {
  events: string;
  total: string;
}

/** What a sequential metric tests, with its queries rendered. */
export type SequentialTest =
  | {
      kind: "rate";
      sides: { canary: CounterQueries; baseline: CounterQueries };
      /** A canary rate above the baseline's by this relative margin is still no regression. */
      tolerance: number;
      direction: "increase";
      alpha: number;
      minEvents: number;
    }
  | {
      kind: "histogram";
      sides: { canary: string; baseline: string };
      direction: "increase" | "decrease" | "either";
      alpha: number;
      minEvents: number;
    };

/**
 * A sequential comparison: raw counters read with instant queries at every round, tested with an
 * anytime-valid test. A comparison of canary and baseline like Mann-Whitney's, told apart by its
 * method; `queries` shows each side's queries in one line.
 */
export interface SequentialMetric extends MetricCommon {
  kind: "comparison";
  method: "sequential";
  queries: { canary: string; baseline: string };
  judge: SequentialTest;
  /** Where the definition is, for problems found when its queries first answer. */
  origin: Pick<Problem, "path" | "at">;
}

export type PreparedMetric = ThresholdMetric | ComparisonMetric | SequentialMetric;

export const isSequential = (metric: PreparedMetric): metric is SequentialMetric =>
  metric.kind === "comparison" && metric.method === "sequential";

/** Where a list of metric definitions came from, for messages and annotations. */
export interface MetricSource {
  metrics: readonly unknown[];
  path: KeyPath;
  locate?: (path: KeyPath) => SourcePosition | undefined;
}

export interface TemplateContext {
  canary?: string;
  baseline?: string;
  version?: string;
}

export const DEFAULT_GROUP = "default";

/** Where a problem in one metric definition is: its key path (naming the metric) and position. */
type Where = (...path: (string | number)[]) => Pick<Problem, "path" | "at">;

/** Renders one query template of a metric; undefined (with a problem recorded) when it cannot. */
type Render = (template: string, key: (string | number)[]) => string | undefined;

type MetricDefinition = z.infer<typeof MetricSchema>;

/** The values a query template may use, each undefined when the run has none. */
interface QueryValues {
  canary: string | undefined;
  baseline: string | undefined;
  version: string | undefined;
  interval: string;
}

/** One valid metric definition on its way to a prepared metric. */
interface MetricDraft {
  metric: MetricDefinition;
  common: MetricCommon;
  where: Where;
  render: Render;
  settings: AnalysisSettings;
  problems: Problem[];
}

/**
 * Validates and prepares metric definitions: later sources replace earlier metrics of the same
 * name (the input over the environment file). Every query is rendered and checked with its
 * provider's syntax (PromQL for prometheus) so that a typo fails the run before the first request.
 */
export function prepareMetrics(
  sources: readonly MetricSource[],
  settings: AnalysisSettings,
  context: TemplateContext,
): { metrics: PreparedMetric[] } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const byName = new Map<string, PreparedMetric>();
  const values: QueryValues = {
    canary: context.canary,
    baseline: context.baseline,
    version: context.version,
    interval: promDuration(settings.intervalMs),
  };
  for (const source of sources) {
    const seen = new Set<string>();
    source.metrics.forEach((raw, index) => {
      const draft = draftMetric(raw, source, index, { settings, values, seen, problems });
      const prepared = draft && prepareMetric(draft);
      if (prepared) byName.set(prepared.name, prepared);
    });
  }
  if (problems.length > 0) return { problems };
  if (byName.size === 0)
    return {
      problems: [
        {
          path: "metrics",
          message:
            "no metrics to analyse: give the metrics input or an environment whose analysis section " +
            "has metrics",
        },
      ],
    };
  return { metrics: [...byName.values()] };
}

/**
 * Parses one raw definition and settles what every kind of metric shares: its name (unique within
 * its source), its provider and address, and how its queries are rendered. Undefined when the
 * definition does not match the schema (its problems are recorded).
 */
function draftMetric(
  raw: unknown,
  source: MetricSource,
  index: number,
  scope: {
    settings: AnalysisSettings;
    values: QueryValues;
    seen: Set<string>;
    problems: Problem[];
  },
): MetricDraft | undefined {
  const { settings, seen, problems } = scope;
  const at = (...path: (string | number)[]) => source.locate?.([...source.path, index, ...path]);
  const parsed = MetricSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(
      ...issuesToProblems(
        parsed.error.issues,
        (path) => formatKeyPath([...source.path, index, ...path]),
        (path) => at(...path),
      ),
    );
    return undefined;
  }
  const metric = parsed.data;
  const where: Where = (...path) => ({
    path: `${formatKeyPath([...source.path, index, ...path])} (metric "${metric.name}")`,
    at: at(...path),
  });
  if (seen.has(metric.name))
    problems.push({ ...where("name"), message: `duplicate metric name "${metric.name}"` });
  seen.add(metric.name);
  const provider = metric.provider ?? settings.provider;
  const address = metric.address ?? settings.address;
  const addressProblem = metric.address !== undefined && httpUrlProblem(metric.address);
  if (addressProblem) problems.push({ ...where("address"), message: addressProblem });
  if (provider === "prometheus" && address === undefined) {
    problems.push({
      ...where(),
      message:
        "no Prometheus address: set the address input, analysis.address, or the metric's address",
    });
  }
  const common: MetricCommon = {
    name: metric.name,
    source: {
      provider,
      ...(address ? { address } : {}),
      ...(metric.path !== undefined ? { path: metric.path } : {}),
    },
    onNoData: metric["on-no-data"],
    weight: metric.weight,
    group: metric.group ?? DEFAULT_GROUP,
    critical: metric.critical,
    dryRun: metric["dry-run"],
  };
  const render = queryRenderer(provider, scope.values, where, problems);
  return { metric, common, where, render, settings, problems };
}

/** Whether a placeholder is one the http provider fills at query time. */
const isHttpTimePlaceholder = (name: string): boolean =>
  (HTTP_TIME_PLACEHOLDERS as readonly string[]).includes(name);

/**
 * The values a query of `provider` is rendered with: each escaped for where it lands (inside a
 * PromQL string, or in a URL), the http provider's time placeholders left for query time. The
 * object has no prototype, so `{{ constructor }}` is unknown rather than Object's constructor.
 */
function renderValues(provider: ProviderKind, values: QueryValues): TemplateValues {
  const escape = provider === "prometheus" ? escapePromqlString : encodeURIComponent;
  const rendered = Object.create(null) as Record<string, string | undefined>;
  if (provider === "http")
    for (const name of HTTP_TIME_PLACEHOLDERS) rendered[name] = `{{ ${name} }}`;
  for (const [name, value] of Object.entries(values))
    rendered[name] = value === undefined ? undefined : escape(value);
  return rendered;
}

/**
 * Renders a metric's query templates with the run's values, leaving the http provider's time
 * placeholders for query time, and checks PromQL syntax for prometheus metrics.
 */
function queryRenderer(
  provider: ProviderKind,
  values: QueryValues,
  where: Where,
  problems: Problem[],
): Render {
  const rendered = renderValues(provider, values);
  return (template, key) => {
    try {
      const query = renderTemplate(template, rendered);
      const syntax = provider === "prometheus" ? validatePromql(query) : undefined;
      if (syntax) {
        problems.push({ ...where(...key), message: `${syntax} in ${JSON.stringify(query)}` });
        return undefined;
      }
      return query;
    } catch (error) {
      const message = unrenderableMessage(template, provider, values, error as Error);
      problems.push({ ...where(...key), message });
      return undefined;
    }
  };
}

/** Why a template could not be rendered: a placeholder no query knows, or a value not given. */
function unrenderableMessage(
  template: string,
  provider: ProviderKind,
  values: QueryValues,
  error: Error,
): string {
  const unknown = placeholders(template).filter(
    (name) => !Object.hasOwn(values, name) && !(provider === "http" && isHttpTimePlaceholder(name)),
  );
  if (unknown.length > 0)
    return (
      `unknown placeholder ${unknown.map((name) => `{{ ${name} }}`).join(", ")}: ` +
      "use {{ canary }}, {{ baseline }}, {{ interval }} or {{ version }}"
    );
  const missing = placeholders(template).filter(
    (name) => values[name as keyof QueryValues] === undefined,
  );
  return `${error.message}: give the ${missing.join(" and ")} input(s)`;
}

/** The metric a valid draft describes, a threshold check or a comparison; undefined on problems. */
function prepareMetric(draft: MetricDraft): PreparedMetric | undefined {
  const { metric, where, problems } = draft;
  const hasThreshold =
    metric.query !== undefined ||
    metric.condition !== undefined ||
    metric.min !== undefined ||
    metric.max !== undefined;
  const forms = [hasThreshold, metric.compare !== undefined, metric.sequential !== undefined];
  if (forms.filter(Boolean).length > 1) {
    problems.push({
      ...where(metric.sequential ? "sequential" : "compare"),
      message:
        "a metric is one of a threshold check (query with condition, min or max), a comparison " +
        "(compare) or a sequential comparison (sequential), not more",
    });
    return undefined;
  }
  if (metric.compare) return comparisonMetric(draft, metric.compare);
  if (metric.sequential) return sequentialMetric(draft, metric.sequential);
  if (metric.query === undefined) {
    problems.push({
      ...where(),
      message:
        "a threshold check needs a query (with a condition, min or max); a comparison needs " +
        "compare.canary and compare.baseline, or a sequential section",
    });
    return undefined;
  }
  return thresholdMetric(draft, metric.query);
}

function comparisonMetric(
  draft: MetricDraft,
  compare: NonNullable<MetricDefinition["compare"]>,
): ComparisonMetric | undefined {
  const { metric, settings, where, render, problems } = draft;
  const canary = render(compare.canary, ["compare", "canary"]);
  const baseline = render(compare.baseline, ["compare", "baseline"]);
  const lookback = compare.lookback ? durationProblem(compare.lookback) : undefined;
  const step = compare.step ? durationProblem(compare.step) : undefined;
  if (lookback) problems.push({ ...where("compare", "lookback"), message: lookback });
  if (step) problems.push({ ...where("compare", "step"), message: step });
  if (canary === undefined || baseline === undefined || lookback || step) return undefined;
  return {
    ...draft.common,
    kind: "comparison",
    method: "mann-whitney",
    queries: { canary, baseline },
    judge: {
      direction: compare.direction,
      ...(compare.tolerance !== undefined ? { tolerance: compare.tolerance } : {}),
      ...(compare.confidence !== undefined ? { confidence: compare.confidence } : {}),
      ...(compare["effect-size"] ? { effectSize: compare["effect-size"] } : {}),
      nanStrategy: compare["nan-strategy"],
      outliers: compare.outliers,
      ...(compare["outlier-factor"] !== undefined
        ? { outlierFactor: compare["outlier-factor"] }
        : {}),
      minSamples: compare["min-samples"] ?? settings.minSamples,
      label: metric.name,
    },
    lookbackMs: compare.lookback ? parseDuration(compare.lookback) : settings.lookbackMs,
    stepMs: compare.step ? parseDuration(compare.step) : settings.stepMs,
  };
}

function thresholdMetric(draft: MetricDraft, queryTemplate: string): ThresholdMetric | undefined {
  const { metric, where, render, problems } = draft;
  let threshold: Threshold | undefined;
  try {
    threshold = parseThreshold(metric.condition, metric.min, metric.max);
  } catch (error) {
    problems.push({
      ...where(metric.condition !== undefined ? "condition" : "query"),
      message: (error as Error).message,
    });
  }
  const query = render(queryTemplate, ["query"]);
  if (query === undefined || threshold === undefined) return undefined;
  return {
    ...draft.common,
    kind: "threshold",
    query,
    threshold,
    aggregate: metric.aggregate,
    ...(metric.element !== undefined ? { element: metric.element } : {}),
  };
}

/** A sequential comparison, its queries rendered and checked; the http provider cannot serve one. */
function sequentialMetric(
  draft: MetricDraft,
  sequential: NonNullable<MetricDefinition["sequential"]>,
): SequentialMetric | undefined {
  const { where, render, problems } = draft;
  if (draft.common.source.provider !== "prometheus") {
    problems.push({
      ...where("sequential"),
      message: "sequential metrics read Prometheus counters: use the prometheus provider",
    });
    return undefined;
  }
  const common = {
    ...draft.common,
    kind: "comparison" as const,
    method: "sequential" as const,
    origin: where("sequential"),
  };
  const key = (...path: string[]) => ["sequential", ...path];
  if (sequential.kind === "histogram") {
    const canary = render(sequential.canary, key("canary"));
    const baseline = render(sequential.baseline, key("baseline"));
    if (canary === undefined || baseline === undefined) return undefined;
    const { direction, alpha } = sequential;
    const judge = { kind: "histogram" as const, sides: { canary, baseline }, direction, alpha };
    return {
      ...common,
      queries: { canary, baseline },
      judge: { ...judge, minEvents: sequential["min-events"] },
    };
  }
  const side = (name: "canary" | "baseline"): CounterQueries | undefined => {
    const events = render(sequential[name].events, key(name, "events"));
    const total = render(sequential[name].total, key(name, "total"));
    return events === undefined || total === undefined ? undefined : { events, total };
  };
  const canary = side("canary");
  const baseline = side("baseline");
  if (canary === undefined || baseline === undefined) return undefined;
  const shown = (counters: CounterQueries) => `${counters.events} per ${counters.total}`;
  return {
    ...common,
    queries: { canary: shown(canary), baseline: shown(baseline) },
    judge: {
      kind: "rate",
      sides: { canary, baseline },
      tolerance: sequential.tolerance,
      direction: "increase",
      alpha: sequential.alpha,
      minEvents: sequential["min-events"],
    },
  };
}
