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
 * @property {LatencySummary} latencyMs over answered requests
 * @property {number} elapsedMs from the first request to the last outcome
 */

/**
 * @typedef {object} LatencySummary in milliseconds, to two decimals
 * @property {number} p50
 * @property {number} p90
 * @property {number} p95
 * @property {number} p99
 * @property {number} max
 * @property {number} mean
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
  const outcomes = new Outcomes();
  let lastOutcome = started;
  let sent = 0;
  let inFlight = 0;
  let scheduling = true;
  /** @type {() => void} */
  let settle = () => undefined;
  const finished = new Promise((resolve) => {
    settle = () => resolve(undefined);
  });

  const outcome = () => {
    inFlight--;
    lastOutcome = performance.now();
    if (!scheduling && inFlight === 0) settle();
  };
  const target = { url, agent, timeoutMs };

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
      send(target, outcomes, { atMs: now - started, t0: now, isRetry: false }, outcome);
    }
    if (sent >= maxRequests || elapsed >= durationMs) stopScheduling();
  };
  const timer = setInterval(tick, 5);
  tick();

  const done = finished.then(() => {
    agent.destroy();
    return outcomes.result(sent, round(lastOutcome - started));
  });
  return {
    done,
    stop: () => {
      stopScheduling();
      return done;
    },
    progress: () => ({ sent, ok: outcomes.ok, failed: sent - outcomes.ok - inFlight }),
  };
}

/** Every answer and error of a run, counted as it comes. */
class Outcomes {
  ok = 0;
  retried = 0;
  /** @type {Record<string, number>} */
  byStatus = {};
  /** @type {Record<string, number>} */
  bySlot = {};
  /** @type {Record<string, number>} */
  byVersion = {};
  /** @type {Failure[]} */
  failures = [];
  /** @type {number[]} */
  latencies = [];

  /**
   * @param {import("node:http").IncomingMessage} res an answer read to its end
   * @param {number} atMs
   * @param {number} latencyMs
   */
  answered(res, atMs, latencyMs) {
    const status = res.statusCode ?? 0;
    this.latencies.push(latencyMs);
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    tally(res.headers["x-lab-slot"], this.bySlot);
    tally(res.headers["x-lab-version"], this.byVersion);
    if (status >= 200 && status < 300) this.ok++;
    else this.failures.push({ atMs: round(atMs), status });
  }

  /** @param {number} atMs @param {NodeJS.ErrnoException} error */
  failed(atMs, error) {
    this.byStatus.error = (this.byStatus.error ?? 0) + 1;
    this.failures.push({ atMs: round(atMs), error: error.code ?? error.message });
  }

  /**
   * @param {number} sent
   * @param {number} elapsedMs
   * @returns {LoadResult}
   */
  result(sent, elapsedMs) {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
    return {
      sent,
      ok: this.ok,
      failed: sent - this.ok,
      byStatus: { ...this.byStatus },
      bySlot: { ...this.bySlot },
      byVersion: { ...this.byVersion },
      failures: [...this.failures].sort((a, b) => a.atMs - b.atMs),
      retried: this.retried,
      latencyMs: {
        p50: round(percentile(sorted, 0.5)),
        p90: round(percentile(sorted, 0.9)),
        p95: round(percentile(sorted, 0.95)),
        p99: round(percentile(sorted, 0.99)),
        max: round(sorted.at(-1) ?? 0),
        mean: round(mean),
      },
      elapsedMs,
    };
  }
}

/** @param {string | undefined | string[]} value @param {Record<string, number>} into */
function tally(value, into) {
  if (typeof value === "string") into[value] = (into[value] ?? 0) + 1;
}

/**
 * Sends one GET and records its outcome, then calls `done`.
 * @param {{ url: string, agent: Agent, timeoutMs: number }} target
 * @param {Outcomes} outcomes
 * @param {{ atMs: number, t0: number, isRetry: boolean }} attempt
 * @param {() => void} done
 */
function send(target, outcomes, attempt, done) {
  const { atMs, t0, isRetry } = attempt;
  const { url, timeoutMs } = target;
  // The one retry goes on a fresh connection: other pooled sockets may be closing just the same.
  const agent = isRetry ? false : target.agent;
  const req = request(url, { agent, timeout: timeoutMs }, (res) => {
    res.resume();
    res.on("end", () => {
      outcomes.answered(res, atMs, performance.now() - t0);
      done();
    });
  });
  req.on("timeout", () =>
    req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "TIMEOUT" })),
  );
  req.on("error", (/** @type {NodeJS.ErrnoException} */ error) => {
    if (
      !isRetry &&
      req.reusedSocket &&
      (error.code === "ECONNRESET" || error.message === "socket hang up")
    ) {
      outcomes.retried++;
      send(target, outcomes, { ...attempt, isRetry: true }, done);
      return;
    }
    outcomes.failed(atMs, error);
    done();
  });
  req.end();
}
