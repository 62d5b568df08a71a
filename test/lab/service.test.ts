// The demo service as a real process: endpoints, deterministic error injection, metrics, shutdown.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import {
  Cleanup,
  SERVICE_SCRIPT,
  httpGet,
  injectedFailure,
  isAlive,
  startService,
  versionBehaviour,
  type ServiceInstance,
} from "../../tools/lab/lab.js";

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe("injectedFailure", () => {
  it("fails exactly floor(n x rate) of the first n requests, evenly spread", () => {
    const failing = (rate: number, n: number) =>
      Array.from({ length: n }, (_, i) => i + 1).filter((k) => injectedFailure(k, rate));
    expect(failing(0.05, 100)).toEqual([20, 40, 60, 80, 100]);
    expect(failing(0.25, 12)).toEqual([4, 8, 12]);
    expect(failing(0.1, 30)).toEqual([10, 20, 30]);
    expect(failing(0, 1000)).toEqual([]);
    expect(failing(1, 5)).toEqual([1, 2, 3, 4, 5]);
    for (const rate of [0.01, 0.03, 0.07, 0.15, 0.3, 0.7])
      expect(failing(rate, 1000)).toHaveLength(Math.round(rate * 1000));
  });
});

describe("versions.yml", () => {
  it("gives the good versions no errors and 1.2.0 five percent", async () => {
    expect(await versionBehaviour("1.0.0")).toMatchObject({ errorRate: 0 });
    expect(await versionBehaviour("1.1.0")).toMatchObject({ errorRate: 0 });
    expect(await versionBehaviour("1.2.0")).toMatchObject({ errorRate: 0.05 });
    expect(await versionBehaviour("9.9.9")).toEqual({
      errorRate: 0,
      latencyMs: 15,
      latencyJitterMs: 5,
    });
  });
});

describe("lab/service.mjs", () => {
  let service: ServiceInstance;
  beforeAll(async () => {
    service = cleanup.track(
      await startService({
        version: "v1.1.0",
        slot: "green",
        errorRate: 0.05,
        latencyMs: 2,
        latencyJitterMs: 1,
      }),
    );
  });

  it("normalises the version and answers the health endpoints", async () => {
    expect(service.version).toBe("1.1.0");
    const healthz = await httpGet(`${service.url}/healthz`);
    expect([healthz.status, JSON.parse(healthz.body)]).toEqual([
      200,
      { status: "UP", version: "1.1.0" },
    ]);
    const readyz = await httpGet(`${service.url}/readyz`);
    expect([readyz.status, JSON.parse(readyz.body)]).toEqual([
      200,
      { status: "UP", checks: { database: "ok" } },
    ]);
    expect(JSON.parse((await httpGet(`${service.url}/version`)).body)).toEqual({
      version: "1.1.0",
    });
    expect((await httpGet(`${service.url}/nope`)).status).toBe(404);
  });

  it("fails exactly the configured share of traffic requests, on / and /api/work alike", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const response = await httpGet(`${service.url}${i < 50 ? "/api/work" : "/"}`);
      expect(response.headers["x-lab-version"]).toBe("1.1.0");
      expect(response.headers["x-lab-slot"]).toBe("green");
      statuses.push(response.status);
    }
    const failedAt = statuses.flatMap((status, i) => (status === 500 ? [i + 1] : []));
    expect(failedAt).toEqual([20, 40, 60, 80, 100]);
    expect(statuses.filter((status) => status === 200)).toHaveLength(95);
  });

  it("exposes request counters and latency histograms labelled with version and slot", async () => {
    const metrics = (await httpGet(`${service.url}/metrics`)).body;
    expect(metrics).toContain(
      'http_requests_total{method="GET",route="/api/work",code="500",version="1.1.0",slot="green"} 2',
    );
    expect(metrics).toContain(
      'http_requests_total{method="GET",route="/",code="500",version="1.1.0",slot="green"} 3',
    );
    expect(metrics).toContain(
      'http_requests_total{method="GET",route="/healthz",code="200",version="1.1.0",slot="green"}',
    );
    expect(metrics).toMatch(
      new RegExp(
        String.raw`http_request_duration_seconds_bucket\{le="0\.005",method="GET",` +
          String.raw`route="\/api\/work",code="200",version="1\.1\.0",slot="green"\} \d+`,
      ),
    );
    expect(metrics).toContain('le="2.5"');
    expect(metrics).toContain('demo_service_info{version="1.1.0",slot="green"} 1');
    expect(metrics).toContain("process_cpu_user_seconds_total");
    expect(metrics).not.toContain('route="/metrics"');
  });

  it("finishes in-flight requests on SIGTERM, then exits", async () => {
    const slow = cleanup.track(
      await startService({ version: "1.0.0", slot: "blue", latencyMs: 400, latencyJitterMs: 0 }),
    );
    const inFlight = Promise.all([
      httpGet(`${slow.url}/api/work`),
      httpGet(`${slow.url}/api/work`),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = slow.stop();
    const answers = await inFlight;
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    await stopping;
    expect(isAlive(slow.pid)).toBe(false);
    await expect(httpGet(`${slow.url}/healthz`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("fails a quarter of its traffic under a drill's SHIPGATE_DRILL=1, health still UP", async () => {
    const faulty = cleanup.track(
      await startService({
        version: "1.1.0",
        slot: "green",
        latencyMs: 1,
        latencyJitterMs: 0,
        env: { ...process.env, SHIPGATE_DRILL: "1" },
      }),
    );
    const codes: number[] = [];
    for (let n = 0; n < 12; n += 1) codes.push((await httpGet(`${faulty.url}/api/work`)).status);
    expect(codes).toEqual([200, 200, 200, 500, 200, 200, 200, 500, 200, 200, 200, 500]);
    const health = await httpGet(`${faulty.url}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "UP", version: "1.1.0", drill: true });
    // An empty switch (what deploy gives the hooks that restore stable) is off.
    const switchedOff = cleanup.track(
      await startService({
        version: "1.1.0",
        latencyMs: 1,
        latencyJitterMs: 0,
        env: { ...process.env, SHIPGATE_DRILL: "" },
      }),
    );
    for (let n = 0; n < 4; n += 1)
      expect((await httpGet(`${switchedOff.url}/api/work`)).status).toBe(200);
    expect(JSON.parse((await httpGet(`${switchedOff.url}/healthz`)).body)).not.toHaveProperty(
      "drill",
    );
  });

  it("refuses a version that is not semver, before listening", async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [SERVICE_SCRIPT, "--version", "1.2; touch /tmp/x"],
        (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is not a semantic version");
    await expect(startService({ version: "latest" })).rejects.toThrow("is not a semantic version");
  });
});
