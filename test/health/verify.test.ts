// The verify engine without a network: version rules, failure descriptions and latency figures.
import { describe, expect, it } from "@jest/globals";
import { prepareChecks, type HealthCheck } from "../../src/health/checks.js";
import type { ResponseSnapshot } from "../../src/health/conditions.js";
import { checkVersion, sameVersion, verifyChecks } from "../../src/health/verify.js";

const snapshot = (body: unknown, overrides: Partial<ResponseSnapshot> = {}): ResponseSnapshot => ({
  connected: true,
  status: 200,
  responseTimeMs: 10,
  headers: { "content-type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
  ...overrides,
});

function prepared(checks: unknown[], lookup: Record<string, string> = {}): HealthCheck[] {
  const result = prepareChecks([{ checks, path: ["checks"] }], (name) => lookup[name]);
  if ("problems" in result)
    throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  return result.checks;
}

describe("versions", () => {
  it.each([
    ["1.5.0", "1.5.0", true],
    ["v1.5.0", "1.5.0", true],
    ["1.5.0", "1.5.1", false],
    ["1.5.0+build.7", "1.5.0", true],
    ["2024-11-01", "2024-11-01", true],
    ["abc", "abd", false],
  ])("sameVersion(%s, %s) = %s", (seen, expected, same) => {
    expect(sameVersion(seen, expected)).toBe(same);
  });

  it("reads [BODY].version by default, a version-path when given, and skips checks without one", () => {
    const [plain, nested] = prepared([
      { name: "a", url: "http://127.0.0.1/" },
      { name: "b", url: "http://127.0.0.1/", "version-path": "build.version" },
    ]);
    expect(checkVersion(plain!, snapshot({ version: "1.4.2" }), "1.5.0")).toEqual({
      expected: "1.5.0",
      seen: "1.4.2",
      ok: false,
      reason: "still serving 1.4.2, expected 1.5.0",
    });
    expect(checkVersion(plain!, snapshot({ status: "UP" }), "1.5.0")).toBeUndefined();
    expect(checkVersion(nested!, snapshot({ build: { version: "v1.5.0" } }), "1.5.0")?.ok).toBe(
      true,
    );
    expect(checkVersion(nested!, snapshot({ status: "UP" }), "1.5.0")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("cannot read build.version"),
    });
  });
});

describe("prepareChecks", () => {
  it("reports every problem with the check's name, before anything runs", () => {
    const result = prepareChecks(
      [
        {
          checks: [
            { name: "a", url: "ftp://x", interval: "5", conditions: ["[STATUS] =="] },
            { name: "a", url: "http://x/${secret:NOPE}" },
          ],
          path: ["checks"],
        },
      ],
      () => undefined,
    );
    expect("problems" in result && result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'checks[0].url (check "a"): expected an http:// or https:// URL',
      expect.stringMatching(/^checks\[0\]\.interval \(check "a"\): /),
      expect.stringMatching(
        /^checks\[0\]\.conditions\[0\] \(check "a"\): cannot parse condition "\[STATUS\] =="/,
      ),
      'checks[1].name (check "a"): duplicate check name "a"',
      expect.stringMatching(/^checks\[1\]\.url \(check "a"\): secret \$\{secret:NOPE\} is not set/),
    ]);
  });
});

describe("verifyChecks with an injected request", () => {
  it("judges attempts, describes the failure and computes latency", async () => {
    const checks = prepared([
      {
        name: "api",
        url: "http://127.0.0.1/",
        conditions: ["[BODY].status == UP"],
        interval: "1ms",
        "failure-threshold": 2,
      },
    ]);
    const times = [30, 50];
    const [report] = await verifyChecks(checks, {
      concurrency: 1,
      insecure: false,
      request: async () => snapshot({ status: "DOWN" }, { responseTimeMs: times.shift() ?? 0 }),
    });
    expect(report).toMatchObject({
      healthy: false,
      verdict: "unhealthy",
      latency: { p50: 30, p95: 50, max: 50 },
    });
    expect(report?.failure).toBe('2 consecutive failure(s); last: [BODY].status == UP: saw "DOWN"');
  });
});
