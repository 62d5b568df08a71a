// @ts-check
// The demo service's HTTP server: traffic endpoints with injected errors and latency, health, metrics.
import { createServer } from "node:http";
import { clearTimeout, setTimeout } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Buckets from 5 ms: the lab's versions answer in 10-200 ms, and a canary's shift must show. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Requests to these paths are the service's traffic: they count toward the injected error rate. */
const TRAFFIC_ROUTES = new Set(["/", "/api/work"]);
const ROUTES = new Set([...TRAFFIC_ROUTES, "/healthz", "/readyz", "/version", "/metrics"]);

/**
 * @typedef {object} DemoServiceOptions
 * @property {string} version
 * @property {string} slot
 * @property {number} errorRate share of traffic requests that fail with HTTP 500, 0..1
 * @property {number} latencyMs
 * @property {number} latencyJitterMs
 * @property {boolean} [drill] a recovery drill's faulty build (SHIPGATE_DRILL=1): said on /healthz
 *   and /version
 */

/**
 * Whether the n-th traffic request (1-based) fails: exactly floor(n * rate) of the first n
 * requests fail, so a rate of 0.05 fails requests 20, 40, 60, ... and never drifts.
 * @param {number} n
 * @param {number} rate
 */
export function injectedFailure(n, rate) {
  // The epsilon absorbs binary fractions: 0.1 * 30 is 3.0000000000000004, 0.7 * 10 is 7.000000000000001.
  const failedBy = (/** @type {number} */ k) => Math.floor(k * rate + 1e-9);
  return failedBy(n) > failedBy(n - 1);
}

/**
 * A latency generator: latencyMs +/- jitter from a fixed-seed sequence, so runs are repeatable.
 * @param {number} latencyMs
 * @param {number} jitterMs
 */
function latencies(latencyMs, jitterMs) {
  let seed = 12345;
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return latencyMs + (seed / 2147483648) * 2 * jitterMs - jitterMs;
  };
}

/**
 * Builds the server (not yet listening) and its graceful shutdown.
 * @param {DemoServiceOptions} options
 */
export function createDemoService(options) {
  const metrics = serviceMetrics(options.version, options.slot);
  const traffic = trafficBehaviour(options);
  let shuttingDown = false;
  const server = createServer((req, res) => {
    handle(req, res, { options, metrics, traffic, draining: shuttingDown }).catch(
      (/** @type {unknown} */ error) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(`${JSON.stringify({ error: String(error) })}\n`);
      },
    );
  });
  // Longer than nginx's upstream keepalive_timeout (60 s default), so nginx closes idle connections first.
  server.keepAliveTimeout = 65_000;

  /**
   * Stops accepting connections, lets in-flight requests finish, then resolves; connections still
   * open after `graceMs` are cut.
   * @param {number} [graceMs]
   * @returns {Promise<void>}
   */
  const shutdown = (graceMs = 10_000) => {
    shuttingDown = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
  };

  return { server, shutdown, register: metrics.register };
}

/**
 * The service's own metrics in a registry of their own, with prom-client's process metrics.
 * @param {string} version
 * @param {string} slot
 */
function serviceMetrics(version, slot) {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const labelNames = /** @type {const} */ (["method", "route", "code", "version", "slot"]);
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by route and status code.",
    labelNames,
    registers: [register],
  });
  const durations = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer an HTTP request, by route and status code.",
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [register],
  });
  new Gauge({
    name: "demo_service_info",
    help: "Always 1; labels name the running version and slot.",
    labelNames: ["version", "slot"],
    registers: [register],
  }).set({ version, slot }, 1);
  return { register, requests, durations };
}

/**
 * The fate of each traffic request in arrival order: its number, whether it fails, its latency.
 * @param {DemoServiceOptions} options
 */
function trafficBehaviour(options) {
  // Jitter is capped at the latency so that the mean latency stays latencyMs.
  const nextLatency = latencies(
    options.latencyMs,
    Math.min(options.latencyJitterMs, options.latencyMs),
  );
  let count = 0;
  return () => {
    const n = ++count;
    return { n, failed: injectedFailure(n, options.errorRate), latencyMs: nextLatency() };
  };
}

/**
 * @typedef {object} RequestContext what answering a request needs besides the request
 * @property {DemoServiceOptions} options
 * @property {ReturnType<typeof serviceMetrics>} metrics
 * @property {ReturnType<typeof trafficBehaviour>} traffic
 * @property {boolean} draining whether the service was shutting down when the request came
 */

/**
 * @param {import("node:http").IncomingMessage} req
 * @param {import("node:http").ServerResponse} res
 * @param {RequestContext} context
 */
async function handle(req, res, { options, metrics, traffic, draining }) {
  const { version, slot } = options;
  const drill = options.drill ? { drill: true } : {};
  const started = process.hrtime.bigint();
  const path = new URL(req.url ?? "/", "http://lab").pathname;
  const route = ROUTES.has(path) ? path : "other";
  res.setHeader("x-lab-version", version);
  res.setHeader("x-lab-slot", slot);
  // While draining, each answer closes its connection so the peer (nginx) opens a new one elsewhere.
  if (draining) res.setHeader("connection", "close");
  if (route !== "/metrics") {
    res.on("finish", () => {
      const labels = {
        method: req.method ?? "GET",
        route,
        code: String(res.statusCode),
        version,
        slot,
      };
      metrics.requests.inc(labels);
      metrics.durations.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
  }
  if (req.method !== "GET" && req.method !== "HEAD")
    return json(res, 405, { error: "method not allowed" });
  if (TRAFFIC_ROUTES.has(route)) {
    const { n, failed, latencyMs } = traffic();
    await sleep(latencyMs);
    return failed
      ? json(res, 500, { error: "injected failure", version, slot, request: n })
      : json(res, 200, { ok: true, version, slot, request: n });
  }
  switch (route) {
    case "/healthz":
      return json(res, 200, { status: "UP", version, ...drill });
    case "/readyz":
      return draining
        ? json(res, 503, { status: "DOWN", checks: { database: "ok", shutdown: "draining" } })
        : json(res, 200, { status: "UP", checks: { database: "ok" } });
    case "/version":
      return json(res, 200, { version, ...drill });
    case "/metrics": {
      const text = await metrics.register.metrics();
      res.writeHead(200, { "content-type": metrics.register.contentType });
      return res.end(text);
    }
    default:
      return json(res, 404, { error: "not found", path });
  }
}

/**
 * @param {import("node:http").ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
}
