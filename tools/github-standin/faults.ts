// Faults a test asks for (server errors, rate limits, slow answers) on the next matching requests,
// and the rate-limit headers GitHub sends with every answer.
import { errorBody, type Reply } from "./http.js";

/** An operationId, or any of operationId / method / path (exact, or a pattern) that must all match. */
export type CallMatcher =
  string | { operationId?: string; method?: string; path?: string | RegExp };

export type Fault =
  | { kind: "server-error"; status: 500 | 502 | 503 }
  | { kind: "secondary-rate-limit"; retryAfterSeconds: number }
  | { kind: "primary-rate-limit"; status: 403 | 429; resetAfterSeconds: number }
  | { kind: "delay"; ms: number }
  /** The request is carried out, then the connection drops before any answer: a lost response. */
  | { kind: "lost-response" };

export interface CallIdentity {
  operationId: string | undefined;
  method: string;
  path: string;
}

interface PendingFault {
  matcher: CallMatcher;
  fault: Fault;
  remaining: number;
}

export class FaultPlan {
  private pending: PendingFault[] = [];

  add(matcher: CallMatcher, fault: Fault, times: number): void {
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`times must be a positive integer, not ${times}`);
    this.pending.push({ matcher, fault, remaining: times });
  }

  /**
   * The delay, whether the response is lost, and the failing fault (first registered wins) for one
   * request; each use counts down.
   */
  take(call: CallIdentity): {
    delayMs: number;
    loseResponse: boolean;
    failure: Exclude<Fault, { kind: "delay" | "lost-response" }> | undefined;
  } {
    let delayMs = 0;
    let loseResponse = false;
    let failure: Exclude<Fault, { kind: "delay" | "lost-response" }> | undefined;
    for (const entry of this.pending) {
      if (!matches(entry.matcher, call)) continue;
      if (entry.fault.kind === "delay") {
        if (delayMs > 0) continue;
        delayMs = entry.fault.ms;
      } else if (entry.fault.kind === "lost-response") {
        if (loseResponse) continue;
        loseResponse = true;
      } else {
        if (failure) continue;
        failure = entry.fault;
      }
      entry.remaining--;
    }
    this.pending = this.pending.filter((entry) => entry.remaining > 0);
    return { delayMs, loseResponse, failure };
  }

  clear(): void {
    this.pending = [];
  }
}

function matches(matcher: CallMatcher, call: CallIdentity): boolean {
  if (typeof matcher === "string") return call.operationId === matcher;
  const { operationId, method, path } = matcher;
  return (
    (operationId === undefined || operationId === call.operationId) &&
    (method === undefined || method.toUpperCase() === call.method) &&
    (path === undefined || (typeof path === "string" ? path === call.path : path.test(call.path)))
  );
}

/** GitHub's primary rate limit for a token: 5,000 requests an hour, counted down per answer. */
export class RateLimitWindow {
  private used = 0;
  private resetAt = RateLimitWindow.nextReset();

  private static nextReset(): number {
    return Math.ceil(Date.now() / 1000) + 3600;
  }

  /** The headers describing the window, after counting this answer when it counts (a 304 does not). */
  headers(counts: boolean): Record<string, string> {
    if (Date.now() / 1000 >= this.resetAt) {
      this.used = 0;
      this.resetAt = RateLimitWindow.nextReset();
    }
    if (counts) this.used = Math.min(this.used + 1, 5000);
    return {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": `${5000 - this.used}`,
      "x-ratelimit-reset": `${this.resetAt}`,
      "x-ratelimit-used": `${this.used}`,
      "x-ratelimit-resource": "core",
    };
  }
}

/** The answer GitHub gives for a fault, with the headers clients key their retries on. */
export function faultReply(
  fault: Exclude<Fault, { kind: "delay" | "lost-response" }>,
  requestId: string,
): Reply {
  switch (fault.kind) {
    case "server-error":
      return {
        status: fault.status,
        body: errorBody(
          fault.status,
          fault.status === 503 ? "Service Unavailable" : "Server Error",
        ),
      };
    case "secondary-rate-limit":
      return {
        status: 403,
        headers: { "retry-after": `${fault.retryAfterSeconds}` },
        body: {
          message:
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
            `If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url:
            "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          status: "403",
        },
      };
    case "primary-rate-limit": {
      const reset = Math.ceil(Date.now() / 1000) + fault.resetAfterSeconds;
      return {
        status: fault.status,
        headers: {
          "x-ratelimit-remaining": "0",
          "x-ratelimit-used": "5000",
          "x-ratelimit-reset": `${reset}`,
        },
        body: {
          message:
            "API rate limit exceeded for installation. " +
            `If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url:
            "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-primary-rate-limits",
          status: `${fault.status}`,
        },
      };
    }
  }
}
