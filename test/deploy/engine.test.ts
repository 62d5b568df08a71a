import { describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { deploymentRef } from "../../src/deploy/ref.js";
import { createStep, runUrlOf } from "../../src/runtime/step.js";
import {
  hookEnvironment,
  renderHook,
  shellQuote,
  unknownPlaceholders,
} from "../../src/deploy/hooks.js";
import {
  selectCurrent,
  selectRollbackTarget,
  selectRunning,
  type DeploymentSummary,
} from "../../src/deploy/records.js";
import { parseSteps, resolveDeploySettings } from "../../src/deploy/settings.js";
import { parseVersion } from "../../src/shared/version.js";

const values = {
  version: "1.2.0",
  previous_version: "1.1.0",
  slot: "green",
  weight: "25",
  environment: "production",
};

describe("hooks", () => {
  it("substitutes values shell-quoted, so a value is always one word and never a command", () => {
    const hostile = "1.2.0'; touch /tmp/pwned; echo '$(id)`id`";
    const command = renderHook("printf '%s\\n' {{ version }} {{slot}}", {
      ...values,
      version: hostile,
    });
    const run = spawnSync("bash", ["-c", command], { encoding: "utf8" });
    expect(run.stdout).toBe(`${hostile}\ngreen\n`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it("names unknown placeholders, and exports SHIPGATE_* variables", () => {
    expect(
      unknownPlaceholders("deploy {{ version }} {{ vresion }} {{ previous_version }}"),
    ).toEqual(["vresion"]);
    expect(() => renderHook("x {{ nope }}", values)).toThrow(/unknown placeholder \{\{ nope \}\}/);
    expect(hookEnvironment(values)).toEqual({
      SHIPGATE_VERSION: "1.2.0",
      SHIPGATE_PREVIOUS_VERSION: "1.1.0",
      SHIPGATE_SLOT: "green",
      SHIPGATE_WEIGHT: "25",
      SHIPGATE_ENVIRONMENT: "production",
      SHIPGATE_CONFIG_FILE: "",
      SHIPGATE_INSTANCE: "",
      SHIPGATE_INSTANCES: "",
      SHIPGATE_BATCH: "",
      SHIPGATE_WEIGHTS: "",
    });
    // The rendered configuration's file, and `{{ constructor }}` is a placeholder deploy lacks.
    const withFile = { ...values, config_file: "/work/.shipgate-config/production.json" };
    expect(renderHook("cp {{ config_file }} app/", withFile)).toBe(
      "cp '/work/.shipgate-config/production.json' app/",
    );
    expect(hookEnvironment(withFile).SHIPGATE_CONFIG_FILE).toBe(withFile.config_file);
    expect(() => renderHook("x {{ constructor }}", values)).toThrow(/unknown placeholder/);
  });
});

describe("versions and steps", () => {
  it("accepts semver with an optional leading v and rejects anything else", () => {
    expect(parseVersion("1.4.2")).toBe("1.4.2");
    expect(parseVersion("v2.0.0-rc.1")).toBe("2.0.0-rc.1");
    for (const bad of ["latest", "1.2", "1.2.0; rm -rf /", "=1.2.0", "01.2.0", ""]) {
      expect(() => parseVersion(bad)).toThrow(/is not a semantic version/);
    }
  });

  it("parses traffic steps: increasing whole percentages ending at 100", () => {
    expect(parseSteps("10,25,50,100")).toEqual([10, 25, 50, 100]);
    expect(parseSteps([5, 100])).toEqual([5, 100]);
    expect(parseSteps("10 50 100")).toEqual([10, 50, 100]);
    expect(parseSteps("10,50")).toMatch(/last step must be 100/);
    expect(parseSteps("50,25,100")).toMatch(/must increase/);
    expect(parseSteps("0,100")).toMatch(/whole percentages from 1 to 100, got 0/);
    expect(parseSteps("10,x,100")).toMatch(/got x/);
  });
});

describe("deploy settings", () => {
  const locate = (path: readonly (string | number)[]) => ({
    file: "environments/production.yml",
    line: path.length,
  });

  it("refuses a hook timeout or switch buffer longer than a timer can wait", () => {
    const settings = resolveDeploySettings(
      { hooks: { deploy: "d" }, timeout: "30d", "switch-buffer": "24d20h31m23s" },
      { hooks: {} },
      locate,
    );
    expect(settings).toEqual({
      problems: [
        {
          path: "deploy.timeout",
          at: { file: "environments/production.yml", line: 2 },
          message: '"30d" is longer than a timer can wait (at most 24d20h31m23s)',
        },
      ],
    });
  });

  it("layers inputs over the deploy section over defaults", () => {
    const settings = resolveDeploySettings(
      {
        strategy: "canary",
        steps: [20, 100],
        hooks: { deploy: "d {{ version }}", traffic: "t {{ weight }}" },
        "switch-buffer": "30s",
      },
      { steps: "10,100", hooks: { rollback: "r {{ previous_version }}" } },
      locate,
    );
    expect(settings).toEqual({
      strategy: "canary",
      steps: [10, 100],
      slots: ["blue", "green"],
      slotUrls: {},
      hooks: {
        deploy: "d {{ version }}",
        traffic: "t {{ weight }}",
        rollback: "r {{ previous_version }}",
      },
      hookTimeoutMs: 600_000,
      switchBufferMs: 30_000,
      onInconclusive: "rollback",
      drainMs: 0,
      skipAnalysis: false,
    });
  });

  it("reports every problem with its input or key, and the file line for the section", () => {
    const settings = resolveDeploySettings(
      { strategy: "canary", timeout: "10", hooks: { deploy: "d {{ verison }}" } },
      { "on-inconclusive": "pause", hooks: {} },
      locate,
    );
    expect(
      "problems" in settings &&
        settings.problems.map(
          (problem) => `${problem.at?.line ?? "-"} ${problem.path}: ${problem.message}`,
        ),
    ).toEqual([
      '- input "on-inconclusive": expected rollback or hold, got "pause"',
      '2 deploy.timeout: "10" needs a unit, such as 10s',
      "3 deploy.hooks.deploy: unknown placeholder {{ verison }}: " +
        "use {{ version }}, {{ previous_version }}, {{ slot }}, {{ weight }}, {{ environment }}, " +
        "{{ config_file }}, {{ instance }}, {{ instances }}, {{ batch }}, {{ weights }}",
      '- input "traffic-command": the canary strategy moves traffic: ' +
        "give the traffic-command input or deploy.hooks.traffic",
    ]);
    const unknownKey = resolveDeploySettings({ stratgy: "canary" }, { hooks: {} }, locate);
    expect("problems" in unknownKey && unknownKey.problems[0]).toMatchObject({
      path: "deploy.stratgy",
      message: "unknown key (check its spelling and indentation)",
    });
  });
});

const deployment = (
  id: number,
  version: string | undefined,
  state: DeploymentSummary["state"],
  slot?: string,
): DeploymentSummary => ({
  id,
  ref: "main",
  environment: "production",
  createdAt: "2026-11-23T12:00:00Z",
  payload: version ? { version, strategy: "canary", ...(slot ? { slot } : {}) } : {},
  ...(state ? { state } : {}),
});

describe("the record", () => {
  const history = [
    deployment(9, "1.3.0", "in_progress"),
    deployment(8, "1.2.0", "failure"),
    deployment(7, undefined, "success"),
    deployment(6, "1.3.0", "success", "green"),
    deployment(5, "1.1.0", "success", "blue"),
    deployment(4, "1.0.0", "inactive"),
  ];

  it("finds the last good version: newest success with another version and a known version", () => {
    expect(selectRollbackTarget(history, "1.3.0")?.id).toBe(5);
    expect(selectRollbackTarget(history, "1.4.0")?.id).toBe(6);
    expect(selectRollbackTarget([deployment(1, "1.0.0", "failure")], "1.1.0")).toBeUndefined();
  });

  it("finds what runs now and what is still running", () => {
    expect(selectCurrent(history)?.payload).toEqual({
      version: "1.3.0",
      strategy: "canary",
      slot: "green",
    });
    expect(selectRunning(history).map((entry) => entry.id)).toEqual([9]);
    expect(
      selectRunning([deployment(3, "1.0.0", "queued"), deployment(2, "1.0.0", undefined)]).map(
        (entry) => entry.id,
      ),
    ).toEqual([3]);
    // GitHub's own deployment of the job running deploy (a job with `environment:`): no payload.
    expect(selectRunning([deployment(11, undefined, "in_progress"), ...history])).toHaveLength(1);
  });

  it("holds only at the file's own steps: a run given other steps does not hold", () => {
    const locate = () => undefined;
    const section = {
      strategy: "canary",
      steps: [25, 50, 100],
      "hold-at": 50,
      hooks: { deploy: "d", traffic: "t" },
    };
    const held = resolveDeploySettings(section, { hooks: {} }, locate);
    expect("holdAt" in held && held.holdAt).toBe(50);
    const switchBack = resolveDeploySettings(section, { steps: "100", hooks: {} }, locate);
    expect("problems" in switchBack).toBe(false);
    expect("holdAt" in switchBack).toBe(false);
    const wrong = resolveDeploySettings(section, { "hold-at": "30", hooks: {} }, locate);
    expect("problems" in wrong && wrong.problems[0]?.message).toMatch(/one of the steps below 100/);
  });

  it("records the pull request's head commit on pull_request events, and links the run attempt", () => {
    const env = {
      GITHUB_REPOSITORY: "octo-org/demo-api",
      GITHUB_SHA: "merge",
      GITHUB_RUN_ID: "42",
      GITHUB_RUN_ATTEMPT: "2",
      GITHUB_SERVER_URL: "https://github.com",
    };
    expect(deploymentRef({ pull_request: { head: { sha: "headsha" } } }, env.GITHUB_SHA)).toBe(
      "headsha",
    );
    expect(runUrlOf(env)).toBe("https://github.com/octo-org/demo-api/actions/runs/42/attempts/2");
    expect(deploymentRef({}, env.GITHUB_SHA)).toBe("merge");
    expect(deploymentRef({}, env.GITHUB_SHA, "v1.2.0")).toBe("v1.2.0");
    expect(() => createStep("deploy", {}).repository()).toThrow(/GITHUB_REPOSITORY/);
  });
});
