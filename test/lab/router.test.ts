// nginx as the weighted router between the blue and green slots, against real processes.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Cleanup,
  httpGet,
  renderNginxConfig,
  startLoad,
  startNginx,
  startService,
  type NginxRouter,
  type ServiceInstance,
} from "../../tools/lab/lab.js";

const cleanup = new Cleanup();
let dir: string;
let blue: ServiceInstance;
let green: ServiceInstance;
let router: NginxRouter;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shipgate-lab-router-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  [blue, green] = await Promise.all([
    startService({ version: "1.0.0", slot: "blue", latencyMs: 2, latencyJitterMs: 1 }),
    startService({ version: "1.1.0", slot: "green", latencyMs: 2, latencyJitterMs: 1 }),
  ]);
  cleanup.track(blue);
  cleanup.track(green);
  router = cleanup.track(
    await startNginx({
      dir,
      upstream: [
        { name: "blue", port: blue.port, weight: 100 },
        { name: "green", port: green.port, weight: 0 },
      ],
    }),
  );
});
afterAll(() => cleanup.run());

describe("renderNginxConfig", () => {
  it("marks a weight of 0 down, keeps a zone for the upstream, and does not retry HTTP 500s", () => {
    const config = renderNginxConfig({
      dir: "/srv/lab",
      port: 8080,
      generation: 3,
      upstream: [
        { name: "blue", port: 9001, weight: 100 },
        { name: "green", port: 9002, weight: 0 },
      ],
    });
    expect(config).toContain("server 127.0.0.1:9001 weight=100 max_fails=0; # blue");
    expect(config).toContain("server 127.0.0.1:9002 down; # green");
    expect(config).toContain("zone demo 64k;");
    expect(config).toMatch(/^\s*proxy_next_upstream error timeout;$/m);
    expect(config).not.toMatch(/^\s*proxy_next_upstream\b[^;#]*http_/m);
    expect(config).toContain("listen 127.0.0.1:8080;");
    for (const temp of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
      expect(config).toContain(`/srv/lab/temp/${temp};`);
  });

  it("refuses weights nginx cannot express", () => {
    const render = (weights: number[]) =>
      renderNginxConfig({
        dir: "/x",
        port: 1,
        generation: 1,
        upstream: weights.map((weight, i) => ({ name: `s${i}`, port: 9000 + i, weight })),
      });
    expect(() => render([0, 0])).toThrow("every weight is 0");
    expect(() => render([50.5, 49.5])).toThrow("weight must be an integer from 0 to 100");
    expect(() => render([101, 0])).toThrow("weight must be an integer from 0 to 100");
  });
});

describe("startNginx", () => {
  it("sends all traffic to the only server not marked down", async () => {
    const result = await sendThroughNginx(200, 400);
    expect(result).toMatchObject({ sent: 200, ok: 200, failed: 0, bySlot: { blue: 200 } });
  });

  it("splits 1000 requests exactly 900/100 at weights 90/10", async () => {
    await router.setWeights({ blue: 90, green: 10 });
    expect(router.upstream().map((s) => [s.name, s.weight])).toEqual([
      ["blue", 90],
      ["green", 10],
    ]);
    const result = await sendThroughNginx(1000, 500);
    expect(result).toMatchObject({
      sent: 1000,
      ok: 1000,
      failed: 0,
      bySlot: { blue: 900, green: 100 },
      byVersion: { "1.0.0": 900, "1.1.0": 100 },
    });
  });

  it("passes a canary's HTTP 500s through to clients instead of retrying them on the other slot", async () => {
    const canary = cleanup.track(
      await startService({
        version: "1.2.0",
        slot: "green",
        errorRate: 0.5,
        latencyMs: 1,
        latencyJitterMs: 0,
      }),
    );
    await halfToCanary(canary);
    const result = await sendThroughNginx(200, 400);
    expect(result).toMatchObject({
      sent: 200,
      ok: 150,
      failed: 50,
      byStatus: { 200: 150, 500: 50 },
      bySlot: { blue: 100, green: 100 },
    });
    const accessLog = await readFile(join(dir, "logs", "access.log"), "utf8");
    expect(accessLog).toMatch(
      new RegExp(`" 500 upstream=127\\.0\\.0\\.1:${canary.port} upstream_status=500 `),
    );
    await allOnBlue();
    await canary.stop();
  });

  it("retries a slot that refuses connections on the other slot: clients do not see a dead canary", async () => {
    const canary = await startService({
      version: "1.2.0",
      slot: "green",
      latencyMs: 1,
      latencyJitterMs: 0,
    });
    await halfToCanary(canary);
    await canary.kill();
    const result = await sendThroughNginx(100, 400);
    expect(result).toMatchObject({ sent: 100, ok: 100, failed: 0, bySlot: { blue: 100 } });
    await allOnBlue();
  });

  it("switches blue to green under steady load (100 rps) and stops blue without losing a request", async () => {
    await router.setWeights({ blue: 100, green: 0 });
    const load = startLoad({ url: `${router.url}/api/work`, rps: 100, durationMs: 5000 });
    await waitForSent(load, 150);
    await router.setWeights({ blue: 0, green: 100 });
    // setWeights resolves once no old worker is left, so blue receives nothing more.
    await blue.stop();
    const result = await load.done;
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ sent: 500, ok: 500, failed: 0 });
    expect(result.bySlot.blue).toBeGreaterThanOrEqual(150);
    expect(result.bySlot.green).toBeGreaterThan(100);
    expect(result.latencyMs.p99).toBeLessThan(1000);
  });

  it("stops with nginx -s quit: the port then refuses connections", async () => {
    await router.stop();
    await expect(httpGet(`${router.url}/api/work`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});

/** `count` requests through nginx at `rps`, and what they met. */
function sendThroughNginx(count: number, rps: number) {
  return startLoad({ url: `${router.url}/api/work`, rps, durationMs: 10_000, maxRequests: count })
    .done;
}

/** Half the traffic to `canary` in the green slot's place. */
function halfToCanary(canary: ServiceInstance): Promise<void> {
  return router.setWeights([
    { name: "blue", port: blue.port, weight: 50 },
    { name: "green", port: canary.port, weight: 50 },
  ]);
}

/** Back to the file's set-up: all traffic on blue, green marked down. */
function allOnBlue(): Promise<void> {
  return router.setWeights([
    { name: "blue", port: blue.port, weight: 100 },
    { name: "green", port: green.port, weight: 0 },
  ]);
}

async function waitForSent(load: ReturnType<typeof startLoad>, count: number): Promise<void> {
  while (load.progress().sent < count) await new Promise((resolve) => setTimeout(resolve, 20));
}
