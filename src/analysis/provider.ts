// The boundary between the gate and a metrics source. A provider validates query text before the
// first request and answers instant and range queries; adding a source means one more of these.
import type { Sample } from "./threshold.js";

export type { Sample } from "./threshold.js";

/** One series of a range query: its labels and its points in time order. */
export interface Series {
  labels: Readonly<Record<string, string>>;
  points: readonly { time: number; value: number }[];
}

export interface TimeRange {
  start: Date;
  end: Date;
  stepSeconds: number;
}

export interface MetricsProvider {
  /** `prometheus at http://127.0.0.1:9090`: for messages. */
  readonly description: string;
  /** A syntax problem in the (already rendered) query, or undefined when it is well formed. */
  validate(query: string): string | undefined;
  instant(query: string, at: Date): Promise<Sample[]>;
  range(query: string, range: TimeRange): Promise<Series[]>;
}

/** A query that could not be answered: unreachable endpoint, HTTP error, bad response, timeout. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryError";
  }
}

/** Credentials for a metrics endpoint; values are secrets and are never printed. */
export interface ProviderAuth {
  bearerToken?: string;
  username?: string;
  password?: string;
}

/** What every provider is created with: credentials, and how long to wait for an answer. */
export interface EndpointOptions {
  auth?: ProviderAuth;
  timeoutMs: number;
}

function authorizationHeader(auth: ProviderAuth): string | undefined {
  if (auth.bearerToken) return `Bearer ${auth.bearerToken}`;
  if (auth.username !== undefined || auth.password !== undefined) {
    return `Basic ${Buffer.from(`${auth.username ?? ""}:${auth.password ?? ""}`).toString("base64")}`;
  }
  return undefined;
}

/** The request headers that carry `auth`: none without credentials. */
export function authHeaders(auth: ProviderAuth | undefined): Record<string, string> {
  const authorization = auth ? authorizationHeader(auth) : undefined;
  return authorization ? { authorization } : {};
}

/** A finite sample value as Prometheus writes it (Go's strconv.FormatFloat, 'f' or 'e'). */
const DECIMAL = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const SPECIAL: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  "+Inf": Number.POSITIVE_INFINITY,
  "-Inf": Number.NEGATIVE_INFINITY,
};

/**
 * A sample value as Prometheus writes it: a decimal number, "NaN", "+Inf" or "-Inf" (or a JSON
 * number; JSON's null is no value, NaN). Anything else is a QueryError: "0x0" is not 0, and a
 * value the gate cannot read must never count as a measurement.
 */
export function parseSampleValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (value === null) return Number.NaN;
  if (typeof value === "string") {
    if (DECIMAL.test(value)) return Number(value);
    const special = Object.hasOwn(SPECIAL, value) ? SPECIAL[value] : undefined;
    if (special !== undefined) return special;
  }
  throw new QueryError(
    `unexpected sample value ${JSON.stringify(value)?.slice(0, 80) ?? String(value)}: ` +
      "expected a decimal number, NaN, +Inf or -Inf",
  );
}
