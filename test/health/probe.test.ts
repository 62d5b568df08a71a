// Probe semantics with a virtual clock: thresholds, intervals, deadlines and bounded concurrency.
import { describe, expect, it } from "@jest/globals";
import {
  mapWithConcurrency,
  runProbe,
  type Clock,
  type ProbeSettings,
} from "../../src/health/probe.js";

/** A clock that only moves when the probe sleeps or an attempt takes time. */
function virtualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

const settings = (overrides: Partial<ProbeSettings> = {}): ProbeSettings => ({
  initialDelayMs: 0,
  intervalMs: 1000,
  successThreshold: 1,
  failureThreshold: 3,
  deadlineMs: 60_000,
  ...overrides,
});

/** Attempts that pass or fail by script, each taking `costMs`. */
function scripted(clock: ReturnType<typeof virtualClock>, results: boolean[], costMs = 10) {
  let index = 0;
  return async () => {
    clock.advance(costMs);
    const passed = results[Math.min(index++, results.length - 1)] ?? false;
    return { passed, detail: index };
  };
}

describe("runProbe", () => {
  it("is healthy after success-threshold consecutive passes", async () => {
    const clock = virtualClock();
    const result = await runProbe(
      settings({ successThreshold: 2 }),
      scripted(clock, [false, true, false, true, true]),
      clock,
    );
    expect(result.verdict).toBe("healthy");
    expect(result.attempts.map((a) => a.passed)).toEqual([false, true, false, true, true]);
  });

  it("is unhealthy after failure-threshold consecutive failures, a pass resetting the count", async () => {
    const clock = virtualClock();
    const result = await runProbe(
      settings({ successThreshold: 3 }),
      scripted(clock, [false, false, true, false, false, false]),
      clock,
    );
    expect(result.verdict).toBe("unhealthy");
    expect(result.attempts).toHaveLength(6);
  });

  it("starts attempts one interval apart, after the initial delay", async () => {
    const clock = virtualClock();
    const result = await runProbe(
      settings({ initialDelayMs: 500, intervalMs: 1000 }),
      scripted(clock, [false, false, false]),
      clock,
    );
    expect(result.attempts.map((a) => a.startedAtMs)).toEqual([500, 1500, 2500]);
  });

  it("starts the next attempt at once when an attempt outlasts the interval", async () => {
    const clock = virtualClock();
    const result = await runProbe(
      settings({ intervalMs: 100 }),
      scripted(clock, [false, false, false], 250),
      clock,
    );
    expect(result.attempts.map((a) => a.startedAtMs)).toEqual([0, 250, 500]);
  });

  it("stops at the deadline and never starts an attempt past it", async () => {
    const clock = virtualClock();
    const result = await runProbe(
      settings({ failureThreshold: 100, intervalMs: 1000, deadlineMs: 3500 }),
      scripted(clock, [false]),
      clock,
    );
    expect(result.verdict).toBe("deadline");
    expect(result.attempts.map((a) => a.startedAtMs)).toEqual([0, 1000, 2000, 3000]);
  });

  it("gives each attempt the time left before the deadline", async () => {
    const clock = virtualClock();
    const remaining: number[] = [];
    await runProbe(
      settings({ failureThreshold: 100, intervalMs: 1000, deadlineMs: 2500 }),
      async (left) => {
        remaining.push(left);
        return { passed: false, detail: null };
      },
      clock,
    );
    expect(remaining).toEqual([2500, 1500, 500]);
  });
});

describe("mapWithConcurrency", () => {
  it("keeps at most `limit` tasks in flight and results in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 3, async (ms, index) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight -= 1;
      return index * 10;
    });
    expect(results).toEqual([0, 10, 20, 30, 40, 50]);
    expect(peak).toBe(3);
  });
});
