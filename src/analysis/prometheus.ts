// The Prometheus provider: PromQL validated with Prometheus's own grammar (lezer-promql), instant
// queries on /api/v1/query and range queries on /api/v1/query_range, POSTed as forms.
import { parser } from "@prometheus-io/lezer-promql";
import { MAX_TIMER_MS } from "../shared/duration.js";
import { authenticated } from "./endpoint.js";
import { describeUrl, requestJson } from "./http-json.js";
import {
  parseSampleValue,
  QueryError,
  type EndpointOptions,
  type MetricsProvider,
  type Sample,
  type Series,
} from "./provider.js";

/** Prometheus refuses range queries of more than 11,000 points per series. */
const MAX_POINTS = 11_000;

/**
 * A value as the inside of a double-quoted PromQL string: `\`, `"` and line breaks escaped, so a
 * value substituted into `version="{{ canary }}"` stays one string whatever it holds.
 */
export function escapePromqlString(value: string): string {
  // A backslash or quote gets a backslash; a line break its escape sequence.
  return value
    .replace(/[\\"]/g, (special) => `\\${special}`)
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r");
}

/** The first syntax error in a PromQL query, with its column, or undefined when it parses. */
export function validatePromql(query: string): string | undefined {
  if (query.trim() === "") return "the query is empty";
  let errorAt: number | undefined;
  parser.parse(query).iterate({
    enter: (node) => {
      if (errorAt === undefined && node.type.isError) errorAt = node.from;
      return errorAt === undefined;
    },
  });
  if (errorAt === undefined) return undefined;
  const near = query.slice(errorAt, errorAt + 20);
  const context = near ? ` near ${JSON.stringify(near)}` : " (the query ends too early)";
  return `PromQL syntax error at column ${errorAt + 1}${context}`;
}

type Labels = Readonly<Record<string, string>>;

function labelsOf(entry: unknown): Labels {
  const metric = (entry as { metric?: unknown }).metric;
  return metric && typeof metric === "object" ? (metric as Labels) : {};
}

function pairValue(pair: unknown): { time: number; value: number } {
  if (!Array.isArray(pair) || pair.length !== 2)
    throw new QueryError(`unexpected sample ${JSON.stringify(pair)}`);
  return { time: Number(pair[0]), value: parseSampleValue(pair[1]) };
}

/** The `data` of a successful Prometheus answer as samples (instant queries). */
export function instantSamples(data: unknown): Sample[] {
  const { resultType, result } = (data ?? {}) as { resultType?: string; result?: unknown };
  if (resultType === "scalar") return [{ labels: {}, value: pairValue(result).value }];
  if (resultType === "vector" && Array.isArray(result)) {
    return result.map((entry: unknown) => ({
      labels: labelsOf(entry),
      value: pairValue((entry as { value?: unknown }).value).value,
    }));
  }
  throw new QueryError(`expected a vector or scalar result, got ${resultType ?? "nothing"}`);
}

/** The `data` of a successful Prometheus answer as series (range queries). */
export function rangeSeries(data: unknown): Series[] {
  const { resultType, result } = (data ?? {}) as { resultType?: string; result?: unknown };
  if (resultType !== "matrix" || !Array.isArray(result))
    throw new QueryError(`expected a matrix result, got ${resultType ?? "nothing"}`);
  return result.map((entry: unknown) => {
    const values = (entry as { values?: unknown }).values;
    return { labels: labelsOf(entry), points: Array.isArray(values) ? values.map(pairValue) : [] };
  });
}

export interface PrometheusOptions extends EndpointOptions {
  address: string;
}

export function createPrometheusProvider(options: PrometheusOptions): MetricsProvider {
  const { url: base, headers } = authenticated(
    new URL(options.address.endsWith("/") ? options.address : `${options.address}/`),
    options.auth,
  );
  // Prometheus stops evaluating at its own timeout; the client waits a little longer for that answer.
  const serverTimeout = `${Math.max(1, Math.floor(options.timeoutMs / 1000))}s`;

  async function call(path: string, form: URLSearchParams): Promise<unknown> {
    const url = new URL(path, base);
    form.set("timeout", serverTimeout);
    const response = await requestJson({
      url,
      method: "POST",
      headers,
      form,
      timeoutMs: Math.min(MAX_TIMER_MS, options.timeoutMs + 2_000),
    });
    const body = response.body as
      { status?: string; data?: unknown; errorType?: string; error?: string } | undefined;
    if (body?.status === "success") return body.data;
    if (body?.status === "error")
      throw new QueryError(
        `${describeUrl(url)}: ${body.errorType ?? "error"}: ${body.error ?? "no message"} ` +
          `(HTTP ${response.status})`,
      );
    const text = response.text ? `: ${response.text}` : "";
    throw new QueryError(
      `${describeUrl(url)}: HTTP ${response.status}, not a Prometheus API answer${text}`,
    );
  }

  return {
    description: `prometheus at ${describeUrl(base)}`,
    validate: validatePromql,
    async instant(query, at) {
      return instantSamples(
        await call(
          "api/v1/query",
          new URLSearchParams({ query, time: String(at.getTime() / 1000) }),
        ),
      );
    },
    async range(query, range) {
      const seconds = (range.end.getTime() - range.start.getTime()) / 1000;
      // Prometheus takes fractional steps: rounding the points' bound up to whole seconds made
      // every step at least 1 s, so a `step: 500ms` (or a sub-second analysis) lost its points.
      const step = Math.max(range.stepSeconds, seconds / MAX_POINTS);
      const form = new URLSearchParams({
        query,
        start: String(range.start.getTime() / 1000),
        end: String(range.end.getTime() / 1000),
        step: String(step),
      });
      return rangeSeries(await call("api/v1/query_range", form));
    },
  };
}
