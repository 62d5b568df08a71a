// health-verify driven through its bundle against real local HTTP(S) servers.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { createServer } from "node:net";
import { stringify } from "yaml";
import {
  json,
  makeCertificates,
  startHttpServer,
  startHttpsServer,
  type Certificates,
  type FixtureServer,
} from "../support/http-fixtures.js";
import { runAction } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";

const TOKEN = "hv-token-5d0c2a9e7b";

let server: FixtureServer;
let ws: Workspace;

beforeAll(async () => {
  server = await startHttpServer({
    "/healthz": json(200, { status: "UP", version: "1.5.0", items: [{ id: 42 }, { id: 43 }] }),
    "/old": json(200, { status: "UP", version: "1.4.2" }),
    "/down": json(503, { status: "DOWN" }),
    "/slow": json(200, { status: "UP" }, 400),
    "/lagging": json(200, { status: "UP" }, 200),
    "/malformed": (_request, response) => {
      response.writeHead(200, { "content-type": "application/json" }).end('{"status": "UP",');
    },
    "/flapping": (_request, response, hits) => {
      const up = hits > 2;
      response
        .writeHead(up ? 200 : 500, { "content-type": "application/json" })
        .end(JSON.stringify({ status: up ? "UP" : "DOWN" }));
    },
    "/private": (request, response) => {
      const ok = request.headers.authorization === `Bearer ${TOKEN}`;
      response
        .writeHead(ok ? 200 : 401, { "content-type": "application/json" })
        .end(JSON.stringify({ status: ok ? "UP" : "DENIED" }));
    },
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  ws = await createWorkspace({ withExamples: false });
  server.hits.clear();
});
afterEach(async () => {
  await ws.remove();
});

type Check = Record<string, unknown>;
const verify = (
  checks: Check[],
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
) =>
  runAction({
    action: "health-verify",
    workspace: ws.dir,
    inputs: { checks: stringify(checks), ...inputs },
    env,
    timeoutMs: 30_000,
  });

const quick = { interval: "50ms", deadline: "5s" };

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("healthy service", () => {
  it("passes every condition form and reports outputs, latency and a summary row", async () => {
    const result = await verify([
      {
        name: "api",
        url: `${server.url}/healthz`,
        conditions: [
          "[STATUS] == 200",
          "[STATUS] == any(200, 204)",
          "[BODY].status == UP",
          "[BODY].items[0].id == 42",
          "len([BODY].items) > 1",
          "has([BODY].version) == true",
          "[BODY].version == pat(1.5.*)",
          "[HEADER].content-type == pat(application/json*)",
          "[RESPONSE_TIME] < 2s",
          "[CONNECTED] == true",
        ],
        ...quick,
      },
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.outputs.healthy).toBe("true");
    expect(result.outputs["failed-checks"]).toBe("[]");
    const report = JSON.parse(result.outputs.report ?? "");
    expect(report.checks[0]).toMatchObject({ name: "api", healthy: true, verdict: "healthy" });
    expect(report.checks[0].attempts).toHaveLength(1);
    expect(report.checks[0].attempts[0].conditions).toHaveLength(10);
    expect(
      report.checks[0].attempts[0].conditions.every((c: { success: boolean }) => c.success),
    ).toBe(true);
    expect(report.checks[0].latency).toEqual({
      p50: expect.any(Number),
      p95: expect.any(Number),
      max: expect.any(Number),
    });
    expect(result.summary).toContain("1/1 checks healthy");
    expect(result.summary).toMatch(/\| `api` \| ✅ healthy \| 1 \|/);
  });

  it("sends secret headers but never shows them", async () => {
    const result = await verify(
      [
        {
          name: "private",
          url: `${server.url}/private`,
          headers: { Authorization: "Bearer ${secret:HEALTH_TOKEN}" },
          conditions: ["[BODY].status == UP"],
          ...quick,
        },
      ],
      {},
      { HEALTH_TOKEN: TOKEN },
    );
    expect(result.exitCode).toBe(0);
    expect(server.lastHeaders.get("/private")?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.masked).toContain(TOKEN);
    const visible = [...result.lines, ...Object.values(result.outputs), result.summary].join("\n");
    expect(visible).not.toContain(TOKEN);
  });

  it("a check with no conditions means connected and [STATUS] < 400", async () => {
    const result = await verify([{ name: "plain", url: `${server.url}/healthz`, ...quick }]);
    expect(result.exitCode).toBe(0);
    const conditions = JSON.parse(result.outputs.report ?? "").checks[0].attempts[0].conditions.map(
      (c: { condition: string }) => c.condition,
    );
    expect(conditions).toEqual(["[CONNECTED] == true", "[STATUS] < 400"]);
  });

  // Needs the bundle rebuilt with src/health/conditions.ts's Gatus-compatible forms.
  it("reads conditions as Gatus does: prefixed numbers, len() of a number, matchers on the left", async () => {
    const result = await verify([
      {
        name: "api",
        url: `${server.url}/healthz`,
        conditions: [
          "[STATUS] == 0xC8",
          "len([BODY].items[0].id) == 2",
          "any(200, 204) == [STATUS]",
          "pat(1.5.*) == [BODY].version",
          "[BODY].status != UP==DOWN",
        ],
        ...quick,
      },
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.outputs.healthy).toBe("true");
  });
});

describe("failing services", () => {
  it("a 503 fails after failure-threshold attempts, naming the condition with actual and expected", async () => {
    const result = await verify([
      {
        name: "api",
        url: `${server.url}/down`,
        conditions: ["[STATUS] == 200"],
        "failure-threshold": 2,
        ...quick,
      },
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.outputs.healthy).toBe("false");
    expect(JSON.parse(result.outputs["failed-checks"] ?? "")).toEqual(["api"]);
    expect(server.hits.get("/down")).toBe(2);
    expect(result.summary).toContain("[STATUS] == 200 — saw 503, expected == 200");
    expect(result.annotations.find((a) => a.level === "error")?.message).toMatch(
      /check "api" failed: 2 consecutive failure\(s\)/,
    );
  });

  it("a flapping service passes only after success-threshold passes in a row", async () => {
    const result = await verify([
      {
        name: "flap",
        url: `${server.url}/flapping`,
        conditions: ["[STATUS] == 200"],
        "success-threshold": 2,
        "failure-threshold": 5,
        ...quick,
      },
    ]);
    expect(result.exitCode).toBe(0);
    const attempts = JSON.parse(result.outputs.report ?? "").checks[0].attempts.map(
      (a: { passed: boolean }) => a.passed,
    );
    expect(attempts).toEqual([false, false, true, true]);
    expect(
      result.lines.some(
        (line) => line.includes("[flap] attempt 3: pass") && line.includes("(1/2 passes"),
      ),
    ).toBe(true);
  });

  it("a slow answer past the timeout fails the attempt whatever the conditions say", async () => {
    const result = await verify([
      {
        name: "slow",
        url: `${server.url}/slow`,
        timeout: "100ms",
        conditions: ["[STATUS] < 600"],
        "failure-threshold": 1,
        ...quick,
      },
    ]);
    expect(result.exitCode).toBe(1);
    const attempt = JSON.parse(result.outputs.report ?? "").checks[0].attempts[0];
    expect(attempt).toMatchObject({ connected: false, status: 0, error: "timed out after 100ms" });
  });

  it("the wrong version fails a healthy-looking service", async () => {
    const result = await verify(
      [
        {
          name: "old",
          url: `${server.url}/old`,
          conditions: ["[STATUS] == 200"],
          "failure-threshold": 1,
          ...quick,
        },
      ],
      { "expect-version": "v1.5.0" },
    );
    expect(result.exitCode).toBe(1);
    expect(result.summary).toContain("still serving 1.4.2, expected v1.5.0");
    const ok = await verify([{ name: "new", url: `${server.url}/healthz`, ...quick }], {
      "expect-version": "1.5.0",
    });
    expect(ok.exitCode).toBe(0);
  });

  it("malformed JSON fails the body condition with a reason, without crashing", async () => {
    const result = await verify([
      {
        name: "bad-json",
        url: `${server.url}/malformed`,
        conditions: ["[BODY].status == UP"],
        "failure-threshold": 1,
        ...quick,
      },
    ]);
    expect(result.exitCode).toBe(1);
    const condition = JSON.parse(result.outputs.report ?? "").checks[0].attempts[0].conditions[0];
    expect(condition.success).toBe(false);
    expect(condition.reason).toMatch(/JSON/);
  });

  it("a refused connection fails, and passes only where [CONNECTED] == false is asked on purpose", async () => {
    const port = await closedPort();
    const result = await verify([
      {
        name: "refused",
        url: `http://127.0.0.1:${port}/healthz`,
        conditions: ["[STATUS] < 400"],
        "failure-threshold": 1,
        ...quick,
      },
      {
        name: "gone",
        url: `http://127.0.0.1:${port}/healthz`,
        conditions: ["[CONNECTED] == false"],
        ...quick,
      },
    ]);
    expect(JSON.parse(result.outputs["failed-checks"] ?? "")).toEqual(["refused"]);
    const refused = JSON.parse(result.outputs.report ?? "").checks[0].attempts[0];
    expect(refused).toMatchObject({ connected: false, status: 0 });
    expect(refused.error).toContain("connection refused");
  });

  it("a deadline stops a check that never settles", async () => {
    const result = await verify([
      {
        name: "api",
        url: `${server.url}/down`,
        conditions: ["[STATUS] == 200"],
        "failure-threshold": 100,
        interval: "100ms",
        deadline: "450ms",
      },
    ]);
    expect(result.exitCode).toBe(1);
    const check = JSON.parse(result.outputs.report ?? "").checks[0];
    expect(check.verdict).toBe("deadline");
    expect(check.attempts.length).toBeGreaterThanOrEqual(3);
    expect(check.attempts.length).toBeLessThanOrEqual(5);
  });
});

describe("https", () => {
  let tls: Certificates;
  let secure: FixtureServer;
  beforeAll(async () => {
    tls = makeCertificates(1);
    secure = await startHttpsServer({ "/healthz": json(200, { status: "UP" }) }, tls);
  });
  afterAll(async () => {
    await secure.close();
  });

  it("rejects an untrusted certificate by default", async () => {
    const result = await verify([
      { name: "tls", url: `${secure.url}/healthz`, "failure-threshold": 1, ...quick },
    ]);
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.outputs.report ?? "").checks[0].attempts[0].connected).toBe(false);
  });

  it("trusts a CA from ca-file and measures the certificate's expiry", async () => {
    await ws.write("ca.pem", tls.caCert);
    const result = await verify(
      [
        {
          name: "short-lived",
          url: `${secure.url}/healthz`,
          conditions: ["[CERTIFICATE_EXPIRATION] > 12h"],
          ...quick,
        },
        {
          name: "needs-two-days",
          url: `${secure.url}/healthz`,
          conditions: ["[CERTIFICATE_EXPIRATION] > 48h"],
          "failure-threshold": 1,
          ...quick,
        },
      ],
      { "ca-file": "ca.pem" },
    );
    expect(JSON.parse(result.outputs["failed-checks"] ?? "")).toEqual(["needs-two-days"]);
  });

  it("insecure accepts the certificate", async () => {
    const result = await verify([{ name: "tls", url: `${secure.url}/healthz`, ...quick }], {
      insecure: "true",
    });
    expect(result.exitCode).toBe(0);
  });
});

describe("configuration", () => {
  it("an unparseable condition fails the run before any request, naming the check and the condition", async () => {
    const result = await verify([
      {
        name: "api",
        url: `${server.url}/healthz`,
        conditions: ["[STATUS] == 200", "[STAUTS] == 200"],
      },
    ]);
    expect(result.exitCode).toBe(1);
    expect(server.hits.size).toBe(0);
    expect(result.outputs).toEqual({});
    expect(result.annotations[0]?.message).toMatch(
      /^checks\[0\]\.conditions\[1\] \(check "api"\): cannot parse condition "\[STAUTS\] == 200"/,
    );
  });

  it("reads checks from the environment file, with references, and locates errors in it", async () => {
    await ws.write(
      "environments/staging.yml",
      `health:\n  checks:\n    - name: api\n      url: \${env:APP_URL}/healthz\n` +
        `      conditions: ["[BODY].status == UP"]\n      interval: 50ms\n`,
    );
    const ok = await runAction({
      action: "health-verify",
      workspace: ws.dir,
      inputs: { environment: "staging" },
      env: { APP_URL: server.url },
    });
    expect(ok.exitCode).toBe(0);
    await ws.write(
      "environments/staging.yml",
      `health:\n  checks:\n    - name: api\n      url: http://127.0.0.1:1/\n      interval: 5\n`,
    );
    const bad = await runAction({
      action: "health-verify",
      workspace: ws.dir,
      inputs: { environment: "staging" },
    });
    expect(bad.exitCode).toBe(1);
    expect(bad.annotations[0]).toMatchObject({ file: "environments/staging.yml", line: 5 });
    expect(bad.annotations[0]?.message).toContain("health.checks[0].interval");
  });

  // Needs the bundle rebuilt with src/health/checks.ts's request and timer checks.
  it("refuses a request Node could not send, or a wait it could not time, before any request", async () => {
    await ws.write(
      "environments/staging.yml",
      [
        "health:",
        "  checks:",
        "    - name: api",
        "      url: ${env:APP_URL}/health z",
        "      headers:",
        "        X-Token: ${secret:LINE_TOKEN}",
        "      deadline: 30d",
        "",
      ].join("\n"),
    );
    const result = await runAction({
      action: "health-verify",
      workspace: ws.dir,
      inputs: { environment: "staging" },
      env: { APP_URL: server.url, LINE_TOKEN: `${TOKEN}\r\nX-Injected: 1` },
    });
    expect(result.exitCode).toBe(1);
    expect(server.hits.size).toBe(0);
    expect(result.annotations.map(({ file, line, message }) => ({ file, line, message }))).toEqual([
      {
        file: "environments/staging.yml",
        line: 4,
        message: expect.stringContaining("the URL contains a space"),
      },
      {
        file: "environments/staging.yml",
        line: 6,
        message: expect.stringContaining("the value contains a line break (CR or LF)"),
      },
      {
        file: "environments/staging.yml",
        line: 7,
        message: expect.stringContaining('"30d" is longer than a timer can wait'),
      },
    ]);
    const visible = [...result.lines, ...result.annotations.map((a) => a.message)].join("\n");
    expect(visible).not.toContain("internal error");
    expect(visible).not.toContain(TOKEN);
  });

  it("needs an environment or checks", async () => {
    const result = await runAction({ action: "health-verify", workspace: ws.dir, inputs: {} });
    expect(result.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toContain("give an environment");
  });
});

describe("concurrency", () => {
  it("50 checks against a 200 ms endpoint finish far sooner than one after another", async () => {
    const checks = Array.from({ length: 50 }, (_, i) => ({
      name: `c${i}`,
      url: `${server.url}/lagging`,
      ...quick,
    }));
    const started = Date.now();
    const result = await verify(checks, { concurrency: "25" });
    const elapsed = Date.now() - started;
    expect(result.exitCode).toBe(0);
    expect(server.hits.get("/lagging")).toBe(50);
    expect(elapsed).toBeLessThan(50 * 200 * 0.5);
  });
});
