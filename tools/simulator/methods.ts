// The judging methods the gate-quality bench measures, as canary-gate metric definitions over the
// simulator's series: the README's threshold check and Mann-Whitney comparison, Mann-Whitney on
// the error ratio at several confidence levels (to tune it to a false-alarm rate), and the
// sequential rate and histogram metrics of issue 14. Durations are written in wall-clock time:
// the simulator scales them to virtual time (`wall` converts a virtual duration).
import { stringify } from "yaml";

export interface MethodContext {
  /** A virtual duration in milliseconds as the wall-clock PromQL/settings duration the gate is given. */
  wall(virtualMs: number): string;
  /** Sequential metrics' false-detection probability. */
  alpha: number;
}

export interface Method {
  /** The metric's name in the gate's report. */
  name: string;
  /** What it watches: errors, latency or both. */
  watches: "errors" | "latency";
  family: "sequential" | "mann-whitney" | "threshold";
  /** The metric definition, as written in the gate's `metrics` input. */
  definition(context: MethodContext): Record<string, unknown>;
}

const REQUESTS = 'http_requests_total{version="{{ SIDE }}",route="/api/work"}';
const ERRORS = 'http_requests_total{version="{{ SIDE }}",route="/api/work",code=~"5.."}';
const BUCKETS = 'http_request_duration_seconds_bucket{version="{{ SIDE }}",route="/api/work"}';
const side = (template: string, name: "canary" | "baseline") => template.replace("SIDE", name);

/** The error ratio over a window, as the README's error-rate check writes it. */
const errorRatio = (name: "canary" | "baseline", window: string) =>
  `(sum(rate(${side(ERRORS, name)}[${window}])) or vector(0)) / sum(rate(${side(REQUESTS, name)}[${window}]))`;

const p95 = (name: "canary" | "baseline", window: string) =>
  `histogram_quantile(0.95, sum by (le) (rate(${side(BUCKETS, name)}[${window}])))`;

/** Mann-Whitney confidence levels tried on the error ratio; the bench picks the one tuned to a false-alarm rate. */
export const MANN_WHITNEY_CONFIDENCES = [0.98, 0.99, 0.995, 0.999];

export const SEQUENTIAL_METHODS: readonly Method[] = [
  {
    name: "sequential-errors",
    watches: "errors",
    family: "sequential",
    definition: ({ alpha }) => ({
      sequential: {
        kind: "rate",
        canary: {
          events: `sum(${side(ERRORS, "canary")}) or vector(0)`,
          total: `sum(${side(REQUESTS, "canary")})`,
        },
        baseline: {
          events: `sum(${side(ERRORS, "baseline")}) or vector(0)`,
          total: `sum(${side(REQUESTS, "baseline")})`,
        },
        tolerance: 0,
        alpha,
        "min-events": 20,
      },
    }),
  },
  {
    name: "sequential-latency",
    watches: "latency",
    family: "sequential",
    definition: ({ alpha }) => ({
      sequential: {
        kind: "histogram",
        canary: `sum by (le) (${side(BUCKETS, "canary")})`,
        baseline: `sum by (le) (${side(BUCKETS, "baseline")})`,
        direction: "increase",
        alpha,
        "min-events": 100,
      },
    }),
  },
];

export const CLASSIC_METHODS: readonly Method[] = [
  {
    // The README's threshold check, at the README's bound.
    name: "threshold-errors",
    watches: "errors",
    family: "threshold",
    definition: () => ({
      query: errorRatio("canary", "{{ interval }}"),
      condition: "result <= 0.01",
      "on-no-data": "inconclusive",
    }),
  },
  {
    // The README's comparison: p95 over 30 s windows, only a 20%+ slower canary counts.
    name: "mann-whitney-latency",
    watches: "latency",
    family: "mann-whitney",
    definition: ({ wall }) => ({
      compare: {
        canary: p95("canary", wall(30_000)),
        baseline: p95("baseline", wall(30_000)),
        direction: "increase",
        "effect-size": { increase: 1.2 },
      },
    }),
  },
  ...MANN_WHITNEY_CONFIDENCES.map((confidence): Method => ({
    name: `mann-whitney-errors-${confidence}`,
    watches: "errors",
    family: "mann-whitney",
    definition: ({ wall }) => ({
      compare: {
        canary: errorRatio("canary", wall(30_000)),
        baseline: errorRatio("baseline", wall(30_000)),
        direction: "increase",
        confidence,
      },
    }),
  })),
];

/** The gate's `metrics` input for some methods, each a dry run so that none stops another. */
export function metricsInput(
  methods: readonly Method[],
  context: MethodContext,
  dryRun: boolean,
): string {
  return stringify(
    methods.map((method) => ({
      name: method.name,
      ...method.definition(context),
      ...(dryRun ? { "dry-run": true } : {}),
    })),
    { lineWidth: 0 },
  );
}
