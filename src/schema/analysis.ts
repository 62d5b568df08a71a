// The shape of an environment's `analysis` section: the gate's settings and metrics.
import * as z from "zod/mini";

export const PROVIDERS = ["prometheus", "http"] as const;
export type ProviderKind = (typeof PROVIDERS)[number];
export type NoDataPolicy = "fail" | "inconclusive" | "pass";

// Each number's message says its range, for a wrong type and an out-of-range value alike.
const number = z.number({ error: "expected a number" });
const positive = z.number({ error: "expected a number above 0" }).check(z.gt(0));
const nonNegative = z.number({ error: "expected a number, 0 or more" }).check(z.gte(0));
const percentage = z
  .number({ error: "expected a number from 0 to 100" })
  .check(z.gte(0), z.lte(100));
const wholeFrom = (least: 0 | 1) =>
  z.int({ error: `expected a whole number, ${least} or more` }).check(z.gte(least));
const duration = z.string({ error: "expected a duration with a unit, such as 30s or 2m" });
const ELEMENT = "expected an index (a whole number, 0 or more) or labels";
/** A credential: a non-empty string, usually a `${secret:...}` reference. */
const credential = z.string({ error: "expected a string" }).check(z.minLength(1));

const CompareSchema = z.strictObject({
  canary: z.string().check(z.minLength(1)),
  baseline: z.string().check(z.minLength(1)),
  direction: z._default(z.enum(["increase", "decrease", "either"]), "either"),
  tolerance: z.optional(nonNegative),
  confidence: z.optional(
    z
      .number({ error: "expected a number between 0 and 1 (both excluded)" })
      .check(z.gt(0), z.lt(1)),
  ),
  "effect-size": z.optional(
    z.strictObject({ increase: z.optional(positive), decrease: z.optional(positive) }),
  ),
  outliers: z._default(z.enum(["keep", "remove"]), "keep"),
  "outlier-factor": z.optional(positive),
  "nan-strategy": z._default(z.enum(["remove", "replace"]), "remove"),
  "min-samples": z.optional(wholeFrom(1)),
  lookback: z.optional(duration),
  step: z.optional(duration),
});

const query = z.string({ error: "expected a PromQL query" }).check(z.minLength(1));
const alpha = z
  .number({ error: "expected a number between 0 and 0.5 (0 excluded)" })
  .check(z.gt(0), z.lte(0.5));
/** Raw cumulative counters of one side of a `rate` comparison: events among the total. */
const CountersSchema = z.strictObject({ events: query, total: query });

/** Events per unit of exposure (errors per request), canary against baseline. */
const SequentialRateSchema = z.strictObject({
  kind: z.literal("rate"),
  canary: CountersSchema,
  baseline: CountersSchema,
  tolerance: z._default(nonNegative, 0),
  alpha: z._default(alpha, 0.01),
  // 0: no errors on either side over real traffic is a pass (a service whose errors are rare).
  "min-events": z._default(wholeFrom(0), 20),
});

/** Prometheus histogram bucket counters (label `le`), canary against baseline. */
const SequentialHistogramSchema = z.strictObject({
  kind: z.literal("histogram"),
  canary: query,
  baseline: query,
  direction: z._default(z.enum(["increase", "decrease", "either"]), "increase"),
  alpha: z._default(alpha, 0.01),
  "min-events": z._default(wholeFrom(1), 100),
});

/** A sequential comparison: anytime-valid tests on raw counters, read at every interval. */
export const SequentialSchema = z.discriminatedUnion(
  "kind",
  [SequentialRateSchema, SequentialHistogramSchema],
  { error: 'expected kind "rate" (with events and total per side) or "histogram"' },
);

/** One metric as written in `analysis.metrics` or the `metrics` input. */
export const MetricSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  provider: z.optional(z.enum(PROVIDERS)),
  address: z.optional(z.string().check(z.minLength(1))),
  path: z.optional(z.string()),
  query: z.optional(z.string().check(z.minLength(1))),
  condition: z.optional(z.string().check(z.minLength(1))),
  min: z.optional(number),
  max: z.optional(number),
  aggregate: z._default(z.enum(["all", "any", "min", "max", "avg", "sum"]), "all"),
  element: z.optional(
    z.union([z.int({ error: ELEMENT }).check(z.gte(0)), z.record(z.string(), z.string())], {
      error: ELEMENT,
    }),
  ),
  compare: z.optional(CompareSchema),
  sequential: z.optional(SequentialSchema),
  "on-no-data": z._default(z.enum(["fail", "inconclusive", "pass"]), "inconclusive"),
  weight: z._default(positive, 1),
  group: z.optional(z.string().check(z.minLength(1))),
  critical: z._default(z.boolean(), false),
  "dry-run": z._default(z.boolean(), false),
});

/** Settings shared by the `analysis` section and the inputs (an input wins over the section). */
export const SettingsSchema = z.strictObject({
  provider: z.optional(z.enum(PROVIDERS)),
  address: z.optional(z.string().check(z.minLength(1))),
  interval: z.optional(duration),
  count: z.optional(wholeFrom(1)),
  duration: z.optional(duration),
  "initial-delay": z.optional(duration),
  "failure-limit": z.optional(
    z.int({ error: "expected a whole number, 0 or more (or -1: no limit)" }).check(z.gte(-1)),
  ),
  "inconclusive-limit": z.optional(wholeFrom(0)),
  "consecutive-error-limit": z.optional(wholeFrom(0)),
  "consecutive-success-limit": z.optional(wholeFrom(0)),
  "min-samples": z.optional(wholeFrom(1)),
  "pass-score": z.optional(percentage),
  "marginal-score": z.optional(percentage),
  lookback: z.optional(duration),
  step: z.optional(duration),
  "query-timeout": z.optional(duration),
  groups: z.optional(z.record(z.string(), percentage)),
});

/**
 * Credentials for the section's endpoints, used when the caller gives none (deploy never does);
 * values are secrets, so `${secret:...}` references are the way to write them.
 */
const CredentialsShape = {
  "bearer-token": z.optional(credential),
  username: z.optional(credential),
  password: z.optional(credential),
};

/** The `analysis` section of an environment file: settings, credentials and metrics. */
export const AnalysisSectionSchema = z.strictObject({
  ...SettingsSchema.shape,
  ...CredentialsShape,
  metrics: z.optional(z.array(MetricSchema)),
});

export type RawSettings = z.infer<typeof SettingsSchema>;
