// deploy's rollback drill against the lab, as a schedule runs it: a deliberately faulty build
// (the demo service's fault switch, SHIPGATE_DRILL=1) put on the drill environment under load,
// rolled back by the canary gate, the recovery time measured against recovery.rto, recorded with
// task deploy:drill, pushed to a real Pushgateway; a drill over its RTO fails and opens an incident.
import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpGet } from "../../lab/lib/http.mjs";
import { incidentMarker } from "../../src/incidents/render.js";
import { Cleanup, labLive, startLoad } from "../../tools/lab/lab.js";
import { ROOT, runAction, type ActionResult } from "../../tools/runner/run-action.js";
import { useDeployLab } from "../support/deploy-lab.js";
import { startPushgateway, type RealServer } from "../support/receivers.js";

const REPOSITORY = "octo-org/demo-api";
const [OWNER, REPO] = REPOSITORY.split("/") as [string, string];
const cleanup = new Cleanup();
const lab = useDeployLab(REPOSITORY, cleanup);
let pushgateway: RealServer;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "shipgate-drill-"));
  cleanup.add(() => rm(scratch, { recursive: true, force: true }));
  pushgateway = await startPushgateway(join(scratch, "pushgateway"));
  cleanup.add(() => pushgateway.stop());
}, 60_000);

beforeEach(() => lab.github.reset());

/** The record a schedule finds: the version the lab runs now, deployed successfully. */
async function seedLive(environment: string): Promise<void> {
  const live = await labLive(lab.dir);
  const { data } = await lab.client.request("POST /repos/{owner}/{repo}/deployments", {
    owner: OWNER,
    repo: REPO,
    ref: "main",
    environment,
    payload: { version: live.version, strategy: "canary", slot: live.slot },
    required_contexts: [],
    auto_merge: false,
  });
  await lab.client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
    owner: OWNER,
    repo: REPO,
    deployment_id: Number((data as { id: number }).id),
    state: "success",
  });
}

function drill(inputs: Record<string, string>, configDir = "lab/environments") {
  return runAction({
    action: "deploy",
    workspace: ROOT,
    repository: REPOSITORY,
    apiUrl: lab.github.url,
    inputs: {
      environment: "drill",
      "config-dir": configDir,
      token: "test-token",
      vars: JSON.stringify(lab.env),
      "pushgateway-url": pushgateway.url,
      ...inputs,
    },
    timeoutMs: 120_000,
  });
}

/** The drill under 100 requests/s through nginx; what the clients saw. */
async function underLoad(run: () => Promise<ActionResult>) {
  const load = startLoad({ url: `${lab.env.LAB_URL}/api/work`, rps: 100, durationMs: 120_000 });
  const started = Date.now();
  try {
    const result = await run();
    const endedAtMs = Date.now() - started;
    return { result, endedAtMs, load: await load.stop() };
  } catch (error) {
    await load.stop();
    throw error;
  }
}

interface CreatedDeployment {
  task?: string;
  environment: string;
  payload: { version: string; strategy: string; rollback_of?: number; drill?: unknown };
}

const errorsOf = (result: ActionResult): string =>
  result.annotations
    .filter((annotation) => annotation.level === "error")
    .map((annotation) => annotation.message)
    .join("\n");

const createdDeployments = () =>
  lab.github.calls
    .filter((call) => call.operationId === "repos/create-deployment")
    .map((call) => call.requestBody as CreatedDeployment);

/** An open incident issue of the environment, as an earlier run left it; returns its number. */
async function seedIncident(environment: string, cause: "drill-failed" | "rollback") {
  const { data } = await lab.client.request("POST /repos/{owner}/{repo}/issues", {
    owner: OWNER,
    repo: REPO,
    title: `Incident on ${environment}: ${cause}`,
    body: `${incidentMarker(environment, cause)}\n\nan earlier failure`,
    labels: ["incident", `env:${environment}`],
  });
  return data.number;
}

const issuesClosed = () =>
  lab.github.calls
    .filter(
      (call) =>
        call.operationId === "issues/update" &&
        (call.requestBody as { state?: string }).state === "closed",
    )
    .map((call) => Number(/issues\/(\d+)$/.exec(call.path)?.[1]));

/** The incident issues the drill opened (the test's own seeds left out). */
const issuesOpened = () =>
  lab.github.calls
    .filter((call) => call.operationId === "issues/create")
    .map((call) => call.requestBody as { title: string; body: string })
    .filter((issue) => !issue.body.endsWith("an earlier failure"));

/** The drill's gauges for an environment, from the Pushgateway's own exposition. */
async function drillGauges(environment: string): Promise<Record<string, number>> {
  const text = (await httpGet(`${pushgateway.url}/metrics`, { timeoutMs: 5000 })).body;
  const gauges: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^(shipgate_drill_\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const [, name = "", labels = "", value = ""] = match;
    if (!labels.includes(`environment="${environment}"`) || !labels.includes('kind="rollback"'))
      continue;
    expect(labels).toContain('job="shipgate_deploy"');
    expect(labels).toContain('service="lab-demo"');
    gauges[name] = Number(value);
  }
  return gauges;
}

describe("a rollback drill on the lab", () => {
  it("rolls the faulty build back within the RTO, records it as a drill, and passes", async () => {
    await seedLive("drill");
    const failedDrill = await seedIncident("drill", "drill-failed");
    await seedIncident("drill", "rollback");
    const before = await labLive(lab.dir);
    const { result, endedAtMs, load } = await underLoad(() =>
      drill({ version: "1.1.1", drill: "rollback" }),
    );
    expect(result.exitCode).toBe(0);
    expect(result.outputs.result).toBe("rolled-back");
    const verdict = JSON.parse(result.outputs.drill ?? "{}") as Record<string, unknown>;
    const report = JSON.parse(result.outputs.report ?? "{}") as {
      figures: { secondsToRestore: number };
    };
    expect(verdict).toEqual({
      kind: "rollback",
      rto_seconds: 60,
      recovery_seconds: expect.any(Number),
      passed: true,
    });
    // The recovery time is the rollout's own measure: faulty traffic to stable serving everything.
    expect(verdict.recovery_seconds).toBeCloseTo(report.figures.secondsToRestore, 2);
    expect(verdict.recovery_seconds as number).toBeGreaterThan(0);
    expect(verdict.recovery_seconds as number).toBeLessThanOrEqual(60);
    // Stable serves everything again, and the faulty build really was faulty: 1.1.1 fails nothing
    // in versions.yml, so every failure the clients saw is the fault switch's.
    expect(await labLive(lab.dir)).toEqual(before);
    expect(load.byVersion["1.1.1"] ?? 0).toBeGreaterThan(0);
    expect(load.failed).toBeGreaterThan(0);
    expect(load.failures.every((failure) => failure.status === 500)).toBe(true);
    expect(load.failures.every((failure) => failure.atMs < endedAtMs)).toBe(true);

    // Both records are the drill's: the faulty deployment as it started, the rollback with the verdict.
    const [faulty, rollback, ...more] = createdDeployments().slice(1);
    expect(more).toEqual([]);
    expect(faulty).toMatchObject({
      task: "deploy:drill",
      environment: "drill",
      payload: {
        version: "1.1.1",
        strategy: "canary",
        drill: { kind: "rollback", rto_seconds: 60, recovery_seconds: null, passed: false },
      },
    });
    expect(rollback).toMatchObject({
      task: "deploy:drill",
      environment: "drill",
      payload: { version: before.version, strategy: "rollback", drill: verdict },
    });
    // The passed drill resolves the open incident of a failed drill, and that one alone.
    expect(issuesOpened()).toEqual([]);
    expect(issuesClosed()).toEqual([failedDrill]);
    expect(result.summary).toContain("rollback drill — ✅ passed");
    expect(await drillGauges("drill")).toEqual({
      shipgate_drill_passed: 1,
      shipgate_drill_rto_seconds: 60,
      shipgate_drill_recovery_seconds: verdict.recovery_seconds,
      shipgate_drill_timestamp_seconds: expect.any(Number),
    });
  }, 120_000);

  it("fails the step and opens an incident when the rollback comes later than the RTO", async () => {
    const configDir = join(scratch, "environments");
    await cp(join(ROOT, "lab/environments"), configDir, { recursive: true });
    const file = join(configDir, "drill.yml");
    await writeFile(file, (await readFile(file, "utf8")).replace("rto: 60s", "rto: 1s"));
    await seedLive("drill");
    const before = await labLive(lab.dir);
    const { result } = await underLoad(() =>
      drill({ version: "1.1.2", drill: "rollback" }, configDir),
    );
    expect(result.exitCode).toBe(1);
    const verdict = JSON.parse(result.outputs.drill ?? "{}") as Record<string, unknown>;
    expect(verdict).toMatchObject({ kind: "rollback", rto_seconds: 1, passed: false });
    expect(verdict.recovery_seconds as number).toBeGreaterThan(1);
    // The rollback itself happened: only the drill's clock was too slow.
    expect(await labLive(lab.dir)).toEqual(before);
    expect(errorsOf(result)).toMatch(
      /rollback drill of drill: drill failed: .* over the RTO of 1s/,
    );
    const [incident, ...others] = issuesOpened();
    expect(others).toEqual([]);
    expect(incident?.title).toMatch(
      /^Incident on drill: recovery drill failed \(1\.1\.2 rollback drill failed/,
    );
    expect(incident?.body).toContain("over the RTO of 1s");
    expect(await drillGauges("drill")).toMatchObject({ shipgate_drill_passed: 0 });
  }, 120_000);

  it("refuses to drill production, or to plan a drill, before anything is recorded", async () => {
    const result = await drill({ environment: "production", version: "1.1.1", drill: "rollback" });
    expect(result.exitCode).toBe(1);
    const refusal = errorsOf(result);
    expect(refusal).toMatch(
      /input "drill": .*production is refused: it is marked production: true/,
    );
    expect(refusal).toMatch(/\(.*lab\/environments\/production\.yml:3\)/);
    expect(createdDeployments()).toEqual([]);
    const planned = await drill({ version: "1.1.1", drill: "rollback", "dry-run": "true" });
    expect(planned.exitCode).toBe(1);
    expect(errorsOf(planned)).toContain(
      "a drill runs a fresh deploy or restore; it does not take dry-run",
    );
  }, 60_000);
});
