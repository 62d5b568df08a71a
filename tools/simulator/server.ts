// The simulator's Prometheus-compatible HTTP API on 127.0.0.1: /api/v1/query and
// /api/v1/query_range (GET or POSTed forms, as the gate sends them) under one prefix per run,
// answered from that run's traffic model in Prometheus's JSON shapes, errors included.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { roundClock, identityClock, type RoundClockOptions, type TimeMapping } from "./clock.js";
import { evaluate, EvaluationError, type Value } from "./evaluate.js";
import { parsePromql, QuerySyntaxError, UnsupportedQuery, parseDurationMs } from "./promql.js";
import { labelsKey, type Labels } from "./store.js";
import { TrafficModel, type TrafficScenario } from "./traffic.js";

/** Prometheus refuses range queries of more than 11,000 points per series. */
const MAX_POINTS = 11_000;

export interface SimulatedRun {
  id: string;
  /** Base address for a Prometheus client: http://127.0.0.1:<port>/runs/<id>/ */
  address: string;
  model: TrafficModel;
  clock: TimeMapping;
  /** Queries answered, errors included. */
  queries: number;
  /** Every range-query step asked for, wall-clock milliseconds. */
  steps: Set<number>;
}

export interface RunOptions {
  scenario: TrafficScenario;
  /** Rounds of a client at a sub-second interval; without it, query times are virtual times. */
  rounds?: RoundClockOptions;
}

export interface Simulator {
  url: string;
  addRun(options: RunOptions): SimulatedRun;
  removeRun(id: string): void;
  close(): Promise<void>;
}

class BadData extends Error {}

/** A float as Prometheus writes it (Go's strconv.FormatFloat(f, 'f', -1, 64)): no exponent. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, head, tail = "", exponentText] = match;
  const digits = `${head}${tail}`;
  const exponent = Number(exponentText);
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  return `${sign}${digits}${"0".repeat(Math.max(0, exponent - tail.length))}`;
}

/** A time parameter: unix seconds (decimals allowed) or RFC 3339, as wall-clock milliseconds. */
function parseTime(name: string, text: string | null, fallback?: number): number {
  if (text === null || text === "") {
    if (fallback !== undefined) return fallback;
    throw new BadData(`invalid parameter "${name}": cannot parse "" to a valid timestamp`);
  }
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed))
    throw new BadData(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return parsed;
}

function parseStep(text: string | null): number {
  if (!text) throw new BadData('invalid parameter "step": cannot parse "" to a valid duration');
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : tryDuration(text);
  if (!(ms > 0))
    throw new BadData(
      "zero or negative query resolution step widths are not accepted. Try a positive integer",
    );
  return ms;
}

function tryDuration(text: string): number {
  try {
    return parseDurationMs(text);
  } catch {
    throw new BadData(`invalid parameter "step": cannot parse "${text}" to a valid duration`);
  }
}

const seconds = (ms: number) => Math.round(ms) / 1000;

function instantAnswer(value: Value, wallMs: number): unknown {
  if (value.type === "scalar")
    return { resultType: "scalar", result: [seconds(wallMs), formatValue(value.value)] };
  return {
    resultType: "vector",
    result: value.samples.map((sample) => ({
      metric: sample.labels,
      value: [seconds(wallMs), formatValue(sample.value)],
    })),
  };
}

function instantQuery(run: SimulatedRun, params: URLSearchParams): unknown {
  const expr = parsePromql(requiredQuery(params));
  const wallMs = parseTime("time", params.get("time"), Date.now());
  const at = run.clock.anchor(wallMs);
  return instantAnswer(evaluate(expr, at, run.model, { durationScale: run.clock.scale }), wallMs);
}

function rangeQuery(run: SimulatedRun, params: URLSearchParams): unknown {
  const expr = parsePromql(requiredQuery(params));
  const start = parseTime("start", params.get("start"));
  const end = parseTime("end", params.get("end"));
  if (end < start)
    throw new BadData('invalid parameter "end": end timestamp must not be before start time');
  const step = parseStep(params.get("step"));
  run.steps.add(step);
  if ((end - start) / step > MAX_POINTS)
    throw new BadData(
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
  const virtualEnd = run.clock.anchor(end);
  const virtualStart = run.clock.relative(start);
  const virtualStep = step * run.clock.scale;
  const series = new Map<string, { metric: Labels; values: [number, string][] }>();
  for (let index = 0; virtualStart + index * virtualStep <= virtualEnd + 1e-6; index++) {
    const value = evaluate(expr, virtualStart + index * virtualStep, run.model, {
      durationScale: run.clock.scale,
    });
    const samples = value.type === "scalar" ? [{ labels: {}, value: value.value }] : value.samples;
    for (const sample of samples) {
      const key = labelsKey(sample.labels);
      const entry = series.get(key) ?? { metric: sample.labels, values: [] };
      entry.values.push([seconds(start + index * step), formatValue(sample.value)]);
      series.set(key, entry);
    }
  }
  return { resultType: "matrix", result: [...series.values()] };
}

function requiredQuery(params: URLSearchParams): string {
  const query = params.get("query");
  if (!query)
    throw new BadData(
      'invalid parameter "query": unknown position: parse error: no expression found in input',
    );
  return query;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function answer(
  run: SimulatedRun,
  endpoint: string,
  params: URLSearchParams,
  response: ServerResponse,
): void {
  run.queries += 1;
  try {
    const data = endpoint === "query" ? instantQuery(run, params) : rangeQuery(run, params);
    send(response, 200, { status: "success", data });
  } catch (error) {
    const message = (error as Error).message;
    if (
      error instanceof BadData ||
      error instanceof QuerySyntaxError ||
      error instanceof UnsupportedQuery
    )
      send(response, 400, { status: "error", errorType: "bad_data", error: message });
    else if (error instanceof EvaluationError)
      send(response, 422, { status: "error", errorType: "execution", error: message });
    else send(response, 500, { status: "error", errorType: "internal", error: message });
  }
}

async function readParams(request: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.searchParams);
  if (request.method !== "POST") return params;
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString("utf8")))
    params.set(name, value);
  return params;
}

/** Starts the simulator's HTTP server on 127.0.0.1 (port 0: any free port). */
export async function startSimulator(port = 0): Promise<Simulator> {
  const runs = new Map<string, SimulatedRun>();
  let next = 0;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const match = /^\/runs\/([^/]+)\/api\/v1\/(query|query_range)$/.exec(url.pathname);
    const run = match ? runs.get(match[1]!) : undefined;
    if (!match || !run) {
      response.writeHead(404, { "content-type": "text/plain" }).end("404 page not found");
      return;
    }
    readParams(request, url).then(
      (params) => answer(run, match[2]!, params, response),
      (error: Error) =>
        send(response, 400, { status: "error", errorType: "bad_data", error: error.message }),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    addRun(options) {
      const id = `r${++next}`;
      const { scenario, rounds } = options;
      const clock = rounds ? roundClock(rounds) : identityClock;
      const run: SimulatedRun = {
        id,
        address: `${url}/runs/${id}/`,
        model: new TrafficModel(scenario),
        clock,
        queries: 0,
        steps: new Set(),
      };
      runs.set(id, run);
      return run;
    },
    removeRun: (id) => void runs.delete(id),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
