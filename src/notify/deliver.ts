// Delivery with bounded retries and exponential back-off. A failure is a result, never an
// exception: notifications must not change what the calling action does.
import type { Delivery } from "./plan.js";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before the second try; doubled for each later one. */
  baseDelayMs: number;
  /** No wait is longer, `Retry-After` included. */
  maxDelayMs: number;
  /** Each try's limit for the whole exchange. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  timeoutMs: 10_000,
};

/** What one try got: an HTTP status, or a failure before any (`error` is a code, never the URL). */
export interface Attempt {
  status?: number;
  error?: string;
  /** The receiver's `Retry-After`, when it sent one. */
  retryAfterMs?: number;
}

export type Send = (delivery: Delivery, timeoutMs: number) => Promise<Attempt>;

export interface DeliveryResult {
  channel: string;
  type: Delivery["type"];
  what: string;
  ok: boolean;
  /** Tries made (0 when skipped). */
  attempts: number;
  status?: number;
  error?: string;
  /** Why nothing was sent (quiet mode). */
  skipped?: string;
}

/** What a result says about its delivery: never the URL. */
const describedBy = (delivery: Delivery): Pick<DeliveryResult, "channel" | "type" | "what"> => ({
  channel: delivery.channel,
  type: delivery.type,
  what: delivery.what,
});

const statusOf = (attempt: Attempt): Pick<DeliveryResult, "status"> =>
  attempt.status !== undefined ? { status: attempt.status } : {};

const succeeded = (attempt: Attempt): boolean =>
  attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;

/** Worth another try: no answer at all, a timeout, throttling, or a server error. */
export function isRetryable(attempt: Attempt): boolean {
  if (attempt.status === undefined) return true;
  return (
    attempt.status === 408 ||
    attempt.status === 425 ||
    attempt.status === 429 ||
    attempt.status >= 500
  );
}

/**
 * The wait after failed try number `attempt` (1-based): base × 2^(attempt-1), or Retry-After,
 * capped.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(policy.maxDelayMs, retryAfterMs ?? exponential);
}

export interface DeliverOptions {
  send: Send;
  policy?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export async function deliverWithRetry(
  delivery: Delivery,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const policy = options.policy ?? DEFAULT_RETRY;
  const sleep = options.sleep ?? defaultSleep;
  const base = describedBy(delivery);
  let last: Attempt = {};
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      last = await options.send(delivery, policy.timeoutMs);
    } catch (error) {
      last = { error: (error as { code?: string }).code ?? (error as Error).name };
    }
    if (succeeded(last)) return { ...base, ok: true, attempts: attempt, ...statusOf(last) };
    if (!isRetryable(last) || attempt === policy.attempts) {
      const error = last.error ?? `HTTP ${last.status}`;
      return { ...base, ok: false, attempts: attempt, ...statusOf(last), error };
    }
    await sleep(backoffDelay(policy, attempt, last.retryAfterMs));
  }
  return { ...base, ok: false, attempts: policy.attempts, error: last.error ?? "not sent" };
}

/** Sends every delivery at once (each with its own retries), or none in quiet mode. */
export async function deliverAll(
  deliveries: readonly Delivery[],
  options: DeliverOptions & { quiet?: boolean },
): Promise<DeliveryResult[]> {
  if (options.quiet) {
    return deliveries.map((delivery) => ({
      ...describedBy(delivery),
      ok: true,
      attempts: 0,
      skipped: "quiet",
    }));
  }
  return Promise.all(deliveries.map((delivery) => deliverWithRetry(delivery, options)));
}

/** One line per delivery, for the log: never the URL. */
export function describeResult(result: DeliveryResult): string {
  if (result.skipped)
    return `${result.channel} (${result.type}): ${result.what} not sent (${result.skipped})`;
  const tries = `${result.attempts} ${result.attempts === 1 ? "try" : "tries"}`;
  return result.ok
    ? `${result.channel} (${result.type}): ${result.what} delivered (HTTP ${result.status}, ${tries})`
    : `${result.channel} (${result.type}): ${result.what} NOT delivered: ${result.error} after ${tries}`;
}
