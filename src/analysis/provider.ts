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

/** A sample value as Prometheus and JSON endpoints write it: "NaN", "+Inf", "-Inf", numbers. */
export function parseSampleValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return Number.NaN;
  if (value === "+Inf" || value === "Inf") return Number.POSITIVE_INFINITY;
  if (value === "-Inf") return Number.NEGATIVE_INFINITY;
  const trimmed = value.trim();
  return trimmed === "" ? Number.NaN : Number(trimmed);
}
