// deploy's bundle against a fleet lab: three instances of the demo service, all serving behind a
// real nginx, watched by a real Prometheus, under 100 requests/s. Each rollout is judged by what
// the lab saw (its history of weights and deploys), what the load saw, and what every instance
// serves at the end, read from the instance itself.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGitHubClient, type GitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import {
  Cleanup,
  minServing,
  readLabEvents,
  runLabCli,
  startFleetLab,
  startLoad,
  type FleetLab,
} from "../../tools/lab/lab.js";
import { ROOT, runAction, type ActionResult } from "../../tools/runner/run-action.js";

const REPOSITORY = "octo-org/fleet-api";
const [OWNER, REPO] = REPOSITORY.split("/") as [string, string];
const INSTANCES = ["vm1", "vm2", "vm3"];
const cleanup = new Cleanup();
let fleet: FleetLab;
let github: GitHubStandIn;
let client: GitHubClient;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "shipgate-fleet-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  fleet = await startFleetLab(dir, { instances: INSTANCES, version: "1.1.0", cleanup });
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  cleanup.add(() => github.stop());
  client = createGitHubClient({ token: "t", baseUrl: github.url, secondMs: 1, getCache: false });
}, 120_000);
afterAll(() => cleanup.run(), 60_000);

function deploy(inputs: Record<string, string>): Promise<ActionResult> {
  return runAction({
    action: "deploy",
    workspace: ROOT,
    repository: REPOSITORY,
    apiUrl: github.url,
    inputs: {
      environment: "fleet",
      "config-dir": "lab/environments",
      token: "test-token",
      vars: JSON.stringify(fleet.variables),
      ...inputs,
    },
    timeoutMs: 240_000,
  });
}

/** What every instance serves, asked of each instance directly. */
async function versions(): Promise<Record<string, string>> {
  const entries = await Promise.all(
    fleet.instances.map(async (instance) => {
      const response = await fetch(`${instance.url}/version`);
      return [instance.name, ((await response.json()) as { version: string }).version] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const everywhere = (version: string) =>
  Object.fromEntries(INSTANCES.map((name) => [name, version]));

/**
 * Runs `body` under 100 requests/s through nginx and checks what the lab saw meanwhile: at least
 * two instances serving at every moment, and no instance given a version while it had traffic.
 */
async function underLoad(body: () => Promise<ActionResult>) {
  const before = (await readLabEvents(fleet.dir)).length;
  const load = startLoad({ url: `${fleet.url}/api/work`, rps: 100, durationMs: 300_000 });
  let result: ActionResult;
  try {
    result = await body();
  } finally {
    await load.stop();
  }
  const stats = await load.stop();
  const events = (await readLabEvents(fleet.dir)).slice(before);
  expect(minServing(events)).toBeGreaterThanOrEqual(2);
  const intoTraffic = events.filter(
    (event) => event.type === "deploy" && (event.weightAtDeploy ?? 0) > 0,
  );
  expect(intoTraffic).toEqual([]);
  return { result, stats, events };
}

interface Report {
  result: string;
  analysisSkipped?: string;
  instances?: string[];
  timeline: { step: string; ok: boolean; weight?: number; verdict?: string }[];
}

const reportOf = (result: ActionResult) => JSON.parse(result.outputs.report ?? "{}") as Report;

async function deployments() {
  const { data } = await client.request("GET /repos/{owner}/{repo}/deployments", {
    owner: OWNER,
    repo: REPO,
    per_page: 100,
  });
  return data;
}

async function latestStatus(id: number) {
  const { data } = await client.request(
    "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    { owner: OWNER, repo: REPO, deployment_id: id },
  );
  return data[0];
}

describe("deploy to a fleet of three instances", () => {
  it("promotes a first canary without analysis, across the fleet a batch at a time", async () => {
    const { result, stats } = await underLoad(() => deploy({ version: "1.1.1" }));
    expect(result.exitCode).toBe(0);
    expect(result.outputs.result).toBe("deployed");
    const report = reportOf(result);
    expect(report.analysisSkipped).toBe("first deployment, nothing to compare with");
    expect(report.timeline.some((event) => event.step === "gate")).toBe(false);
    expect(report.instances).toEqual(INSTANCES);
    expect(stats.failed).toBe(0);
    expect(await versions()).toEqual(everywhere("1.1.1"));
    const [first] = await deployments();
    expect(first?.payload).toMatchObject({ version: "1.1.1", analysis: "skipped", slot: "fleet" });
    expect(result.summary).toMatch(/Promoted without analysis: first deployment/);
    // No incident for a first deployment: no issue was opened.
    expect(github.calls.filter((call) => call.path.includes("/issues"))).toEqual([]);
    expect(github.requestViolations).toEqual([]);
  }, 180_000);

  it("rolls across three instances in batches of one, with no request lost", async () => {
    const { result, stats, events } = await underLoad(() =>
      deploy({ version: "1.1.2", strategy: "rolling" }),
    );
    expect(result.exitCode).toBe(0);
    expect(stats.failed).toBe(0);
    expect(await versions()).toEqual(everywhere("1.1.2"));
    const deploys = events.filter((event) => event.type === "deploy");
    expect(deploys.map((event) => event.instance)).toEqual(INSTANCES);
    expect(minServing(events)).toBe(2);
  }, 180_000);

  it("puts a canary on one of three, gates it, then widens it to all", async () => {
    const { result, stats } = await underLoad(() =>
      deploy({ version: "1.1.3", strategy: "canary", steps: "33,67,100" }),
    );
    expect(result.exitCode).toBe(0);
    expect(stats.failed).toBe(0);
    const gates = reportOf(result).timeline.filter((event) => event.step === "gate");
    expect(gates.map((event) => `${event.weight} ${event.verdict}`)).toEqual([
      "33 promote",
      "67 promote",
    ]);
    expect(await versions()).toEqual(everywhere("1.1.3"));
  }, 240_000);

  it("rolls a bad canary back mid-way: only the bad version's own errors reach clients", async () => {
    const { result, stats } = await underLoad(() =>
      deploy({ version: "1.2.0", strategy: "canary", steps: "33,67,100" }),
    );
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ result: "rolled-back", "previous-version": "1.1.3" });
    // 1.2.0 answers 5% of requests with a 500: those are its own; nothing else failed.
    expect(stats.failures.every((failure) => failure.status === 500)).toBe(true);
    expect(
      Object.keys(stats.byStatus).filter((status) => status !== "200" && status !== "500"),
    ).toEqual([]);
    expect(await versions()).toEqual(everywhere("1.1.3"));
    const weights = JSON.parse((await runLabCli(["weights"], { dir: fleet.dir })).stdout);
    expect(weights).toEqual({ vm1: 34, vm2: 33, vm3: 33 });
  }, 240_000);

  it("holds a canary for approval, resumes it in a second run and aborts the next in a third", async () => {
    const { result: held } = await underLoad(() =>
      deploy({
        version: "1.1.4",
        strategy: "canary",
        steps: "33,100",
        "hold-at": "33",
      }),
    );
    expect(held.exitCode).toBe(0);
    expect(held.outputs.result).toBe("held");
    const [record] = await deployments();
    expect(record?.payload).toMatchObject({ version: "1.1.4", hold_at: 33, instances: INSTANCES });
    expect(await latestStatus(Number(record?.id))).toMatchObject({ state: "in_progress" });
    expect((await latestStatus(Number(record?.id)))?.description).toMatch(/^held at 33%/);
    expect(await versions()).toEqual({ vm1: "1.1.4", vm2: "1.1.3", vm3: "1.1.3" });

    const refused = await deploy({ version: "1.1.5" });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr + refused.stdout).toMatch(/held at 33%.*resume: promote/s);

    const { result: promoted, stats } = await underLoad(() =>
      deploy({ resume: "promote", steps: "33,100" }),
    );
    expect(promoted.outputs).toMatchObject({ result: "deployed", version: "1.1.4" });
    expect(stats.failed).toBe(0);
    expect(await latestStatus(Number(record?.id))).toMatchObject({ state: "success" });
    expect(await versions()).toEqual(everywhere("1.1.4"));

    const { result: second } = await underLoad(() =>
      deploy({
        version: "1.1.5",
        strategy: "canary",
        steps: "33,100",
        "hold-at": "33",
      }),
    );
    expect(second.outputs.result).toBe("held");
    const aborted = await deploy({ resume: "abort", steps: "33,100" });
    expect(aborted.outputs).toMatchObject({ result: "rolled-back", "previous-version": "1.1.4" });
    const [rollback, abortedRecord] = await deployments();
    expect(rollback?.payload).toMatchObject({ strategy: "rollback", version: "1.1.4" });
    expect(await latestStatus(Number(abortedRecord?.id))).toMatchObject({ state: "failure" });
    expect(await versions()).toEqual(everywhere("1.1.4"));
    expect(github.requestViolations).toEqual([]);
  }, 240_000);

  it("plans a fleet's rollout in a dry run: the very hooks the deploy then runs", async () => {
    const planned = await deploy({ version: "1.1.6", strategy: "rolling", "dry-run": "true" });
    expect(planned.exitCode).toBe(0);
    const plan = JSON.parse(planned.outputs.report ?? "{}") as {
      fleet: { instances: string[]; batch: number; minHealthy: number };
      steps: { step: string; command?: string }[];
    };
    expect(plan.fleet).toEqual({ instances: INSTANCES, batch: 1, minHealthy: 2 });
    expect(planned.summary).toMatch(/vm1 0%, vm2 50%, vm3 50%/);
    const { result } = await underLoad(() => deploy({ version: "1.1.6", strategy: "rolling" }));
    expect(result.exitCode).toBe(0);
    const ran = [...result.stdout.matchAll(/^::group::(deploy|traffic|promote) hook: (.*)$/gm)].map(
      (match) => match[2],
    );
    expect(plan.steps.flatMap((step) => (step.command ? [step.command] : []))).toEqual(ran);
  }, 120_000);

  it("refuses to start from weights it did not expect, saying what it found", async () => {
    await runLabCli(["traffic", "--weights", "vm1=0,vm2=50,vm3=50"], { dir: fleet.dir });
    const count = (await deployments()).length;
    const result = await deploy({ version: "1.1.7", strategy: "rolling" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr + result.stdout).toMatch(
      /traffic weights are not as the last deployment left them \(vm1=0,vm2=50,vm3=50\): vm1 out of traffic/,
    );
    expect((await deployments()).length).toBe(count);
    await runLabCli(["traffic", "--weights", "vm1=34,vm2=33,vm3=33"], { dir: fleet.dir });
  }, 60_000);
});
