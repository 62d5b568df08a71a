// The drill's pure parts: which environments may be drilled, recovery.rto/rpo as the schema and
// the objectives read them, the verdicts of both kinds, the backup's time from a hook's output,
// what the deployment payload keeps of a drill, which hooks get the fault switch, the metrics.
import { describe, expect, it } from "@jest/globals";
import { layerEnvironment } from "../../src/config/layering.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import {
  admitDrill,
  backupTimeOf,
  drillMetricsText,
  drillObjectives,
  drillPushUrl,
  judgeRestoreDrill,
  judgeRollbackDrill,
} from "../../src/deploy/drill.js";
import { hookEnvironment } from "../../src/deploy/hooks.js";
import { drillHook } from "../../src/deploy/ports.js";
import { readDeploymentPayload } from "../../src/schema/deployment.js";
import { ConfigurationError } from "../../src/shared/errors.js";

function environment(text: string, name = "staging") {
  return layerEnvironment({ name, layers: [parseYamlSource(`environments/${name}.yml`, text)] });
}

function problemsOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigurationError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigurationError");
}

describe("recovery objectives", () => {
  it("reads rto and rpo as durations", () => {
    const staging = environment("recovery:\n  rto: 5m\n  rpo: 1h30m\n");
    expect(drillObjectives(staging, "rollback")).toEqual({ rtoMs: 300_000, rpoMs: 5_400_000 });
  });

  it.each([
    ["rto: 300", "expected a duration with a unit"],
    ["rto: 5 minutes", "expected a duration with a unit"],
    ["rto: 0s", "expected a duration longer than zero"],
    ["rto: 5", "expected a duration with a unit"],
  ])("refuses %s at its file and line", (line, message) => {
    const text = problemsOf(() => environment(`service: api\nrecovery:\n  ${line}\n`));
    expect(text).toContain("environments/staging.yml:3");
    expect(text).toContain("recovery.rto");
    expect(text).toContain(message);
  });

  it("needs rto for a drill, naming the key", () => {
    expect(problemsOf(() => drillObjectives(environment("service: api\n"), "restore"))).toMatch(
      /recovery\.rto: a restore drill is judged against .* declare recovery\.rto/,
    );
  });
});

describe("which environments may be drilled", () => {
  it("refuses production and environments with required reviewers, at their line", () => {
    expect(
      problemsOf(() =>
        admitDrill(environment("service: api\nproduction: true\n", "prod"), "rollback"),
      ),
    ).toMatch(/prod is refused: it is marked production: true \(environments\/prod\.yml:2\)/);
    const reviewed = environment("protection:\n  required-reviewers: [octocat]\n");
    expect(problemsOf(() => admitDrill(reviewed, "restore"))).toMatch(
      /needs? a reviewer's approval .*\(environments\/staging\.yml:2\)/,
    );
  });

  it("admits a non-production environment", () => {
    expect(() => admitDrill(environment("production: false\n"), "rollback")).not.toThrow();
  });
});

describe("a rollback drill's verdict", () => {
  const objectives = { rtoMs: 30_000 };

  it("passes a rollback within the RTO, measured from the faulty build's first traffic", () => {
    const verdict = judgeRollbackDrill(
      { result: "rolled-back", cancelled: false, badTrafficAtMs: 4_000, restoredAtMs: 16_500 },
      objectives,
    );
    expect(verdict.payload).toEqual({
      kind: "rollback",
      rto_seconds: 30,
      recovery_seconds: 12.5,
      passed: true,
    });
    expect(verdict.reason).toMatch(
      /^drill passed: .* 12\.5s after the faulty build took traffic \(RTO 30s\)/,
    );
  });

  it("fails a rollback later than the RTO, keeping its time", () => {
    const verdict = judgeRollbackDrill(
      { result: "rolled-back", cancelled: false, badTrafficAtMs: 1_000, restoredAtMs: 41_000 },
      objectives,
    );
    expect(verdict.payload).toMatchObject({ recovery_seconds: 40, passed: false });
    expect(verdict.reason).toContain("over the RTO of 30s");
  });

  it("counts a faulty build stopped before any traffic as no time lost", () => {
    const verdict = judgeRollbackDrill(
      { result: "rolled-back", cancelled: false, restoredAtMs: 3_000 },
      objectives,
    );
    expect(verdict.payload).toMatchObject({ recovery_seconds: 0, passed: true });
  });

  it.each([
    [{ result: "deployed" as const }, "nothing rolled it back"],
    [{ result: "failed" as const }, "restoring the stable version failed"],
    [{ result: "held" as const }, "held, not rolled back"],
  ])("fails a drill that did not recover (%o)", (outcome, why) => {
    const verdict = judgeRollbackDrill(
      { ...outcome, cancelled: false, badTrafficAtMs: 1 },
      objectives,
    );
    expect(verdict.payload).toMatchObject({ recovery_seconds: null, passed: false });
    expect(verdict.reason).toContain(why);
  });
});

describe("a restore drill's verdict", () => {
  const objectives = { rtoMs: 60_000, rpoMs: 3_600_000 };

  it("passes a fresh backup served within the RTO", () => {
    const verdict = judgeRestoreDrill(
      { served: true, recoveryMs: 8_250, backupAgeMs: 600_000 },
      objectives,
    );
    expect(verdict.payload).toEqual({
      kind: "restore",
      rto_seconds: 60,
      recovery_seconds: 8.25,
      rpo_seconds: 3600,
      backup_age_seconds: 600,
      passed: true,
    });
  });

  it("fails on each objective missed, saying each", () => {
    const verdict = judgeRestoreDrill(
      { served: true, recoveryMs: 90_000, backupAgeMs: 7_200_000 },
      objectives,
    );
    expect(verdict.payload.passed).toBe(false);
    expect(verdict.reason).toContain("over the RTO of 1m");
    expect(verdict.reason).toContain("the backup was 2h old, over the RPO of 1h");
  });

  it("fails when it does not serve, or when the backup's time is unknown", () => {
    expect(
      judgeRestoreDrill({ served: false, recoveryMs: 5_000, backupAgeMs: 1 }, objectives).payload,
    ).toMatchObject({ recovery_seconds: null, passed: false });
    expect(judgeRestoreDrill({ served: true, recoveryMs: 5_000 }, objectives).reason).toContain(
      "did not print the backup's time",
    );
  });
});

describe("the backup's time from the restore hook", () => {
  it("takes the last line that is a time with a zone, with or without backup-time:", () => {
    expect(
      backupTimeOf([
        "restoring...",
        "backup-time: 2026-12-01T20:00:00Z",
        "2026-12-01T21:30:00+01:00",
        "done",
      ]),
    ).toBe(Date.parse("2026-12-01T20:30:00Z"));
    expect(backupTimeOf(["Backup_Time=2026-12-01 18:00:05.250Z"])).toBe(
      Date.parse("2026-12-01T18:00:05.250Z"),
    );
  });

  it("ignores times without a zone and dates alone", () => {
    expect(backupTimeOf(["2026-12-01T20:00:00", "2026-12-01", "yesterday"])).toBeUndefined();
  });
});

describe("a drill on the deployment payload", () => {
  it("keeps a well-formed drill and drops a forged one", () => {
    const drill = {
      kind: "restore",
      rto_seconds: 60,
      recovery_seconds: null,
      backup_age_seconds: 5,
      passed: false,
    };
    expect(readDeploymentPayload({ version: "1.0.0", strategy: "restore", drill }).drill).toEqual(
      drill,
    );
    for (const forged of [
      { ...drill, kind: "chaos" },
      { ...drill, passed: "yes" },
      { ...drill, recovery_seconds: -1 },
      { ...drill, rto_seconds: "60" },
    ])
      expect(readDeploymentPayload({ version: "1.0.0", drill: forged }).drill).toBeUndefined();
    expect(
      readDeploymentPayload({ version: "1.0.0", drill: { ...drill, rpo_seconds: "x" } }).drill,
    ).not.toHaveProperty("rpo_seconds");
  });
});

describe("the fault switch", () => {
  const values = {
    version: "2.0.0",
    previous_version: "1.0.0",
    slot: "green",
    weight: "10",
    environment: "staging",
  };
  const context = { drillVersion: "2.0.0" };

  it("is on for the hooks of the faulty build, off for everything that restores stable", () => {
    expect(drillHook(context, "deploy", values, false)).toBe(true);
    expect(drillHook(context, "traffic", values, false)).toBe(true);
    expect(drillHook(context, "rollback", values, false)).toBe(false);
    expect(drillHook(context, "traffic", values, true)).toBe(false);
    expect(drillHook(context, "deploy", { ...values, version: "1.0.0" }, false)).toBe(false);
    expect(drillHook({}, "deploy", values, false)).toBe(false);
    expect(drillHook({ drillVersion: "1.0.0" }, "restore", values, false)).toBe(true);
  });

  it("reaches the hook as SHIPGATE_DRILL: 1 when on, empty when off in a drill, unset outside", () => {
    expect(hookEnvironment(values, true).SHIPGATE_DRILL).toBe("1");
    expect(hookEnvironment(values, false).SHIPGATE_DRILL).toBe("");
    expect(hookEnvironment(values)).not.toHaveProperty("SHIPGATE_DRILL");
  });
});

describe("a drill's metrics", () => {
  it("go to a group of their own beside the deploy's, with what was measured", async () => {
    expect(drillPushUrl("http://pg:9091/", "staging", "api", "restore")).toBe(
      "http://pg:9091/metrics/job/shipgate_deploy/environment/staging/service/api/kind/restore",
    );
    const text = await drillMetricsText(
      {
        kind: "restore",
        rto_seconds: 60,
        recovery_seconds: 8.25,
        rpo_seconds: 3600,
        backup_age_seconds: 600,
        passed: true,
      },
      1_700_000_000_000,
    );
    const values = Object.fromEntries(
      text
        .split("\n")
        .filter((line) => line.startsWith("shipgate_drill_"))
        .map((line) => line.split(" ") as [string, string]),
    );
    expect(values).toEqual({
      shipgate_drill_passed: "1",
      shipgate_drill_rto_seconds: "60",
      shipgate_drill_recovery_seconds: "8.25",
      shipgate_drill_rpo_seconds: "3600",
      shipgate_drill_backup_age_seconds: "600",
      shipgate_drill_timestamp_seconds: "1700000000",
    });
    const failed = await drillMetricsText(
      { kind: "rollback", rto_seconds: 60, recovery_seconds: null, passed: false },
      0,
    );
    expect(failed).toContain("shipgate_drill_passed 0");
    expect(failed).not.toContain("shipgate_drill_recovery_seconds");
  });
});
