// @ts-check
// A bounded, steady-rate load generator over keep-alive connections, counting every outcome.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { clearInterval, setInterval } from "node:timers";

/**
 * @typedef {object} LoadOptions
 * @property {string} url the URL every request GETs (the router's /api/work, typically)
 * @property {number} rps requests started per second, open-loop: a slow answer does not slow the rate
 * @property {number} durationMs stop starting requests after this long
 * @property {number} [maxRequests] and after this many (default: rps x duration)
 * @property {number} [timeoutMs] per request (5 s); a request without an answer by then fails
 * @property {number} [connections] keep-alive sockets at most (64)
 */

/**
 * @typedef {object} Failure
 * @property {number} atMs when the request was started, from the start of the run
 * @property {number} [status] the HTTP status of a non-2xx answer
 * @property {string} [error] the transport error when there was no answer
 */

/**
 * @typedef {object} LoadResult
 * @property {number} sent requests started
 * @property {number} ok 2xx answers
 * @property {number} failed every other outcome (non-2xx answer or transport error)
 * @property {Record<string, number>} byStatus counts by status code, "error" for transport errors
 * @property {Record<string, number>} bySlot counts of answers by the x-lab-slot header
 * @property {Record<string, number>} byVersion counts of answers by the x-lab-version header
 * @property {Failure[]} failures in start order
 * @property {number} retried requests resent once because a reused keep-alive connection was
 *   closed by the server before it answered (the request never reached the application; Node's
 *   documented `reusedSocket` case, which browsers also retry)
 * @property {{ p50: number, p90: number, p95: number, p99: number, max: number, mean: number }} latencyMs over answered requests
 * @property {number} elapsedMs from the first request to the last outcome
 */

/**
 * @typedef {object} LoadRun
 * @property {Promise<LoadResult>} done resolves when the run ends by itself (time or count bound)
 * @property {() => Promise<LoadResult>} stop stop starting requests, wait for those in flight
 * @property {() => { sent: number, ok: number, failed: number }} progress counts so far
 */

/** @param {number[]} sorted @param {number} q */
const percentile = (sorted, q) =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);

/** @param {number} value */
const round = (value) => Math.round(value * 100) / 100;

/**
 * Starts sending GETs at a steady rate. Bounded both in time and in count.
 * @param {LoadOptions} options
 * @returns {LoadRun}
 */
export function startLoad(options) {
  const { url, rps, durationMs, timeoutMs = 5000, connections = 64 } = options;
  if (!(rps > 0) || !(durationMs > 0)) throw new Error("load: rps and durationMs must be positive");
  const maxRequests = options.maxRequests ?? Math.ceil((rps * durationMs) / 1000);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const started = performance.now();
  let lastOutcome = started;
  let sent = 0;
  let inFlight = 0;
  let ok = 0;
  let retried = 0;
  let scheduling = true;
  /** @type {Record<string, number>} */
  const byStatus = {};
  /** @type {Record<string, number>} */
  const bySlot = {};
  /** @type {Record<string, number>} */
  const byVersion = {};
  /** @type {Failure[]} */
  const failures = [];
  /** @type {number[]} */
  const latencies = [];
  /** @type {() => void} */
  let settle = () => undefined;
  const finished = new Promise((resolve) => {
    settle = () => resolve(undefined);
  });

  /** @param {string | undefined | string[]} value @param {Record<string, number>} into */
  const tally = (value, into) => {
    if (typeof value === "string") into[value] = (into[value] ?? 0) + 1;
  };

  const outcome = () => {
    inFlight--;
    lastOutcome = performance.now();
    if (!scheduling && inFlight === 0) settle();
  };

  /** @param {number} atMs @param {number} t0 @param {boolean} isRetry */
  const send = (atMs, t0, isRetry) => {
    // The one retry goes on a fresh connection: other pooled sockets may be closing just the same.
    const req = request(url, { agent: isRetry ? false : agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        latencies.push(performance.now() - t0);
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        tally(res.headers["x-lab-slot"], bySlot);
        tally(res.headers["x-lab-version"], byVersion);
        if (status >= 200 && status < 300) ok++;
        else failures.push({ atMs: round(atMs), status });
        outcome();
      });
    });
    req.on("timeout", () =>
      req.destroy(
        Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "TIMEOUT" }),
      ),
    );
    req.on("error", (/** @type {NodeJS.ErrnoException} */ error) => {
      if (
        !isRetry &&
        req.reusedSocket &&
        (error.code === "ECONNRESET" || error.message === "socket hang up")
      ) {
        retried++;
        send(atMs, t0, true);
        return;
      }
      byStatus.error = (byStatus.error ?? 0) + 1;
      failures.push({ atMs: round(atMs), error: error.code ?? error.message });
      outcome();
    });
    req.end();
  };

  const stopScheduling = () => {
    if (!scheduling) return;
    scheduling = false;
    clearInterval(timer);
    if (inFlight === 0) settle();
  };

  const tick = () => {
    const elapsed = performance.now() - started;
    const due = Math.min(maxRequests, Math.floor((Math.min(elapsed, durationMs) * rps) / 1000) + 1);
    while (scheduling && sent < due) {
      sent++;
      inFlight++;
      const now = performance.now();
      send(now - started, now, false);
    }
    if (sent >= maxRequests || elapsed >= durationMs) stopScheduling();
  };
  const timer = setInterval(tick, 5);
  tick();

  /** @returns {LoadResult} */
  const result = () => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
    return {
      sent,
      ok,
      failed: sent - ok,
      byStatus: { ...byStatus },
      bySlot: { ...bySlot },
      byVersion: { ...byVersion },
      failures: [...failures].sort((a, b) => a.atMs - b.atMs),
      retried,
      latencyMs: {
        p50: round(percentile(sorted, 0.5)),
        p90: round(percentile(sorted, 0.9)),
        p95: round(percentile(sorted, 0.95)),
        p99: round(percentile(sorted, 0.99)),
        max: round(sorted.at(-1) ?? 0),
        mean: round(mean),
      },
      elapsedMs: round(lastOutcome - started),
    };
  };

  const done = finished.then(() => {
    agent.destroy();
    return result();
  });
  return {
    done,
    stop: () => {
      stopScheduling();
      return done;
    },
    progress: () => ({ sent, ok, failed: sent - ok - inFlight }),
  };
}
