// planGate and runGate over an environment file and a local stand-in for Prometheus: credentials
// from the analysis section, addresses with userinfo (used, masked, never reported), and checks
// that refuse a bad address, range or duration with its file and line before any query.
import { afterEach, describe, expect, it } from "@jest/globals";
import type { IncomingMessage } from "node:http";
import type { Clock } from "../../src/analysis/analysis.js";
import { planGate, runGate, type GateOverrides } from "../../src/analysis/gate.js";
import { gateReportJson, renderGateSummary } from "../../src/analysis/report.js";
import { layerEnvironment, type LayeredEnvironment } from "../../src/config/layering.js";
import type { VariableLookup } from "../../src/config/references.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import { problemsOf } from "../support/configuration-error.js";
import { startHttpServer, type FixtureServer } from "../support/http-fixtures.js";

const FILE = "environments/staging.yml";
const SECRETS: Record<string, string> = {
  METRICS_TOKEN: "tok-7f3a9",
  METRICS_PASSWORD: "pa55:wörd",
};
const lookup: VariableLookup = (name) => SECRETS[name];
const base64 = (text: string) => Buffer.from(text).toString("base64");

function environment(lines: string[]): LayeredEnvironment {
  return layerEnvironment({
    name: "staging",
    layers: [parseYamlSource(FILE, `${lines.join("\n")}\n`)],
  });
}

const NO_OVERRIDES: GateOverrides = { settings: {}, settingPath: (key) => `input "${key}"` };
const METRIC = [
  "  metrics:",
  "    - name: errors",
  '      query: errors{version="{{ canary }}"}',
  "      condition: result <= 0.01",
];

/** An analysis section at `address`, with `extra` lines before its metric. */
const section = (address: string, ...extra: string[]) =>
  environment(["analysis:", `  address: ${address}`, "  interval: 1s", ...extra, ...METRIC]);

/** A clock that only moves when the analysis sleeps. */
function fakeClock(): Clock {
  let now = Date.UTC(2026, 10, 23, 12);
  return { now: () => now, sleep: async (ms) => void (now += Math.max(0, ms)) };
}

/** A stand-in Prometheus answering every instant query with `value`, keeping each query sent. */
async function prometheus(value: string): Promise<FixtureServer & { queries: string[] }> {
  const queries: string[] = [];
  const readForm = async (request: IncomingMessage) => {
    let body = "";
    for await (const chunk of request) body += String(chunk);
    return new URLSearchParams(body);
  };
  const server = await startHttpServer({
    "/api/v1/query": async (request, response) => {
      queries.push((await readForm(request)).get("query") ?? "");
      response.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          status: "success",
          data: { resultType: "vector", result: [{ metric: {}, value: [1, value] }] },
        }),
      );
    },
  });
  return { ...server, queries };
}

let server: (FixtureServer & { queries: string[] }) | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const authorizationSent = () => server?.lastHeaders.get("/api/v1/query")?.authorization;

describe("credentials from the analysis section", () => {
  it("are planned as the gate's auth, masked, and used when the caller gives none", async () => {
    server = await prometheus("0");
    const plan = planGate(
      section(server.url, "  bearer-token: ${secret:METRICS_TOKEN}"),
      NO_OVERRIDES,
      { canary: "1.2.0" },
      lookup,
    );
    expect(plan.auth).toEqual({ bearerToken: "tok-7f3a9" });
    expect(plan.secrets).toContain("tok-7f3a9");
    const result = await runGate(plan, {
      clock: fakeClock(),
      auth: { bearerToken: undefined, username: undefined, password: undefined },
    });
    expect(result.verdict).toBe("promote");
    expect(authorizationSent()).toBe("Bearer tok-7f3a9");
  });

  it("give Basic auth from username and password, the credentials masked as sent", async () => {
    server = await prometheus("0");
    const plan = planGate(
      section(server.url, "  username: metrics", "  password: ${secret:METRICS_PASSWORD}"),
      NO_OVERRIDES,
      { canary: "1.2.0" },
      lookup,
    );
    expect(plan.auth).toEqual({ username: "metrics", password: "pa55:wörd" });
    expect(plan.secrets).toEqual(
      expect.arrayContaining(["pa55:wörd", base64("metrics:pa55:wörd")]),
    );
    await runGate(plan, { clock: fakeClock() });
    expect(authorizationSent()).toBe(`Basic ${base64("metrics:pa55:wörd")}`);
  });

  it("give way to the caller's credentials", async () => {
    server = await prometheus("0");
    const plan = planGate(
      section(server.url, "  bearer-token: ${secret:METRICS_TOKEN}"),
      NO_OVERRIDES,
      { canary: "1.2.0" },
      lookup,
    );
    await runGate(plan, { clock: fakeClock(), auth: { username: "ci", password: "from-input" } });
    expect(authorizationSent()).toBe(`Basic ${base64("ci:from-input")}`);
  });
});

describe("an address with userinfo", () => {
  it("sends it as Basic auth, masks it, and never reports it", async () => {
    server = await prometheus("0");
    const address = server.url.replace("http://", "http://reader:s3cr%40t@");
    const plan = planGate(section(address), NO_OVERRIDES, { canary: "1.2.0" }, lookup);
    expect(plan.secrets).toEqual(
      expect.arrayContaining(["s3cr@t", "s3cr%40t", base64("reader:s3cr@t")]),
    );
    const result = await runGate(plan, { clock: fakeClock() });
    expect(authorizationSent()).toBe(`Basic ${base64("reader:s3cr@t")}`);
    const report = gateReportJson(result, plan.settings, { canary: "1.2.0" });
    const summary = renderGateSummary(result, plan.metrics, plan.settings, { canary: "1.2.0" });
    for (const text of [report, summary]) {
      expect(text).not.toContain("reader");
      expect(text).not.toContain("s3cr");
    }
    expect(JSON.parse(report)).toMatchObject({
      settings: { address: server.url.replace("http://", "http://***@") },
    });
  });

  it("gives way to explicit credentials", async () => {
    server = await prometheus("0");
    const address = server.url.replace("http://", "http://reader:s3cret@");
    const plan = planGate(section(address), NO_OVERRIDES, { canary: "1.2.0" }, lookup);
    await runGate(plan, { clock: fakeClock(), auth: { bearerToken: "explicit" } });
    expect(authorizationSent()).toBe("Bearer explicit");
  });
});

describe("what reaches Prometheus", () => {
  it("is the query with the version escaped, never a rewritten one", async () => {
    server = await prometheus("0");
    const plan = planGate(section(server.url), NO_OVERRIDES, {
      canary: '1.0.0"} or errors{version="1.1.0',
    });
    await runGate(plan, { clock: fakeClock() });
    expect(server.queries[0]).toBe('errors{version="1.0.0\\"} or errors{version=\\"1.1.0"}');
  });

  it("answers with a value Prometheus never writes: an error, never a promote", async () => {
    server = await prometheus("0x0");
    const plan = planGate(section(server.url, "  consecutive-error-limit: 0"), NO_OVERRIDES, {
      canary: "1.2.0",
    });
    const result = await runGate(plan, { clock: fakeClock() });
    expect(result.verdict).toBe("inconclusive");
    expect(result.metrics[0]?.measurements[0]).toMatchObject({
      phase: "Error",
      error: 'unexpected sample value "0x0": expected a decimal number, NaN, +Inf or -Inf',
    });
  });
});

describe("the environment file is checked before any query", () => {
  it("refuses an address that is not an http(s) URL, with its file and line", () => {
    for (const address of ["prometheus:9090", "ftp://prom.example", "http//prom"])
      expect(problemsOf(() => planGate(section(address), NO_OVERRIDES, {}, lookup))).toEqual([
        `${FILE}:2 analysis.address: expected an http(s) URL such as http://prometheus:9090, ` +
          `got ${JSON.stringify(address)}`,
      ]);
    expect(
      problemsOf(() =>
        planGate(section("${env:PROMETHEUS_URL}"), NO_OVERRIDES, {}, (name, kind) =>
          kind === "env" && name === "PROMETHEUS_URL" ? "tcp://u:p@prom:9090" : undefined,
        ),
      ),
    ).toEqual([
      `${FILE}:2 analysis.address: expected an http(s) URL such as http://prometheus:9090, ` +
        'got "tcp://***@prom:9090"',
    ]);
  });

  it("says the range of a number out of range", () => {
    expect(
      problemsOf(() => section("http://prom:9090", "  pass-score: 101", "  count: 0")),
    ).toEqual([
      `${FILE}:5 analysis.count: expected a whole number, 1 or more`,
      `${FILE}:4 analysis.pass-score: expected a number from 0 to 100`,
    ]);
  });

  it("refuses an interval longer than a timer holds, naming the key", () => {
    expect(
      problemsOf(() =>
        planGate(
          section("http://prom:9090"),
          {
            ...NO_OVERRIDES,
            settings: { interval: "30d", count: 3 },
          },
          {},
        ),
      ),
    ).toEqual(['input "interval": "30d" is longer than a timer can wait (at most 24d20h31m23s)']);
  });
});
