// The reusable workflows as a team adopts them, rehearsed as GitHub runs them: the caller passes
// `secrets: inherit` and no env (GitHub passes none to a called workflow); every address is a
// configuration variable and every credential a secret, some of them scoped to an environment;
// the shipgate actions run at the commit the OIDC token names. Each environment of the "orders"
// service (test/fixtures/orders) runs on a lab of its own, production's Prometheus behind a token.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import type { GitHubClient } from "../../src/runtime/github.js";
import type { GitHubStandIn } from "../../tools/github-standin/index.js";
import { Cleanup, labLive, labStop, startLoad } from "../../tools/lab/lab.js";
import { runWorkflow, type JobRun, type WorkflowRun } from "../../tools/rehearsal/executor.js";
import type { OidcStandIn } from "../../tools/rehearsal/oidc.js";
import type { EnvironmentSettings } from "../../tools/rehearsal/run-record.js";
import { ROOT } from "../../tools/runner/run-action.js";
import type { Receiver } from "../support/receivers.js";
import {
  ordersWorkspace,
  recordLive,
  REPOSITORY,
  SHIPGATE_SHA,
  startOrdersLab,
  startOrdersStage,
  type OrdersLab,
} from "../support/orders.js";
import { findSecrets, githubPlaces } from "../support/secrets.js";

const ENVIRONMENTS = ["development", "staging", "production"] as const;
type Name = (typeof ENVIRONMENTS)[number];

/** Secrets of the repository (every job) and of production alone; each is looked for afterwards. */
const SECRETS = {
  DB_PASSWORD: "Db-Pa55word-8831",
  HEALTH_TOKEN: "Health-T0ken-2207",
};
const METRICS_TOKEN = "Metrics-T0ken-6610";

const cleanup = new Cleanup();
let github: GitHubStandIn;
let client: GitHubClient;
let oidc: OidcStandIn;
let receiver: Receiver;
let workspace: string;
const labs = {} as Record<Name, OrdersLab>;

beforeAll(async () => {
  ({ github, client, oidc, receiver } = await startOrdersStage(cleanup, "examples/release.yml"));
  workspace = await ordersWorkspace(cleanup, "shipgate-orders-");
  for (const name of ENVIRONMENTS) {
    const metricsToken = name === "production" ? { metricsToken: METRICS_TOKEN } : {};
    labs[name] = await startOrdersLab(cleanup, name, metricsToken);
  }
}, 180_000);

afterAll(() => cleanup.run(), 60_000);

/** GitHub's environments as the team set them up: variables and secrets per environment. */
function environments(): Record<string, EnvironmentSettings> {
  const settings: Record<string, EnvironmentSettings> = {};
  for (const name of ENVIRONMENTS) {
    settings[name] = {
      vars: labs[name].vars,
      ...(name === "production" ? { secrets: { METRICS_TOKEN }, reviewers: true } : {}),
    };
  }
  return settings;
}

/** What every lab serves now, recorded as the last successful deployment of each environment. */
async function seedRecords(): Promise<void> {
  for (const name of ENVIRONMENTS) await recordLive(client, name, labs[name].dir);
}

beforeEach(async () => {
  github.reset();
  receiver.received.length = 0;
  await seedRecords();
});

/** A workflow run as GitHub would make it for the orders repository, under steady traffic. */
async function rehearse(
  file: string,
  inputs: Record<string, string>,
  options: { beforeStep?: (job: string, step: string) => Promise<void> | void } = {},
): Promise<WorkflowRun> {
  const loads = ENVIRONMENTS.map((name) =>
    startLoad({ url: `${labs[name].vars.ORDERS_URL}/api/work`, rps: 50, durationMs: 600_000 }),
  );
  try {
    return await runWorkflow(file, inputs, {
      root: ROOT,
      workspace,
      checkouts: { "./.shipgate/": ROOT },
      github: { repository: REPOSITORY, apiUrl: github.url, token: "ghs_RehearsalToken4471" },
      secrets: { ...SECRETS, OPS_WEBHOOK: `${receiver.url}/hooks/Ops-Secret-9047` },
      vars: {},
      environments: environments(),
      oidc: { url: oidc.url, token: oidc.token },
      stepTimeoutMs: 240_000,
      ...(process.env.REHEARSAL_LOG ? { onLine: (line: string) => console.log(line) } : {}),
      ...options,
    });
  } finally {
    await Promise.all(loads.map((load) => load.stop()));
  }
}

const step = (job: JobRun | undefined, id: string) =>
  job?.steps.find((candidate) => candidate.id === id);

/** The deploy job of a run of deploy.yml, however deep it was called. */
function deployJobs(run: WorkflowRun): JobRun[] {
  const found: JobRun[] = [];
  const visit = (job: JobRun) => {
    for (const instance of job.instances ?? []) visit(instance);
    for (const inner of Object.values(job.workflow?.jobs ?? {})) visit(inner);
    if (job.steps.some((candidate) => candidate.id === "deploy")) found.push(job);
  };
  for (const job of Object.values(run.jobs)) visit(job);
  return found;
}

/** Every step's log, output and summary, every GitHub write, and the chat channel's payloads. */
function places(run: WorkflowRun): Record<string, string> {
  const texts: Record<string, string> = {};
  deployJobs(run).forEach((job, index) => {
    for (const each of job.steps) {
      const where = `${index}:${job.name}/${each.id}`;
      // ::add-mask:: lines are commands the runner consumes, never shown.
      texts[`${where} log`] = each.log
        .split("\n")
        .filter((line) => !line.startsWith("::add-mask::"))
        .join("\n");
      texts[`${where} outputs`] = JSON.stringify(each.outputs);
      texts[`${where} summary`] = each.summary;
    }
  });
  return {
    ...texts,
    ...githubPlaces(github),
    webhook: receiver.received.map((request) => request.body).join("\n"),
  };
}

const PLANTED = [
  ...Object.values(SECRETS),
  METRICS_TOKEN,
  "Ops-Secret-9047",
  "ghs_RehearsalToken4471",
];

describe("deploy.yml as GitHub runs it", () => {
  it("deploys a canary judged by a Prometheus that needs the environment's token", async () => {
    const before = await labLive(labs.production.dir);
    const run = await rehearse(".github/workflows/deploy.yml", {
      environment: "production",
      version: "1.1.1",
    });
    const job = run.jobs.deploy;
    expect(run.result).toBe("success");
    expect(run.outputs).toMatchObject({ result: "deployed", version: "1.1.1" });
    expect(job?.approvals).toBe(1);
    expect(job?.environment).toEqual({ name: "production", url: labs.production.vars.ORDERS_URL });
    expect(job?.concurrency).toEqual({ group: "deploy-production", cancelInProgress: false });
    expect(job?.steps.map((each) => `${each.id} ${each.kind} ${each.outcome}`)).toEqual([
      expect.stringMatching(/ no-op success$/),
      "shipgate run success",
      expect.stringMatching(/ no-op success$/),
      "config action success",
      // require-safe-migrations is off: no dry run, no migration check.
      "plan action skipped",
      "migrations-base run skipped",
      "migrations action skipped",
      "deploy action success",
      "verify action success",
      "rollback action skipped",
      "conclude run success",
      "post-deploy post success",
    ]);
    // One pin: shipgate is checked out at the commit the OIDC token names.
    expect(job?.steps[2]?.with).toMatchObject({
      repository: "shipgate/shipgate",
      ref: SHIPGATE_SHA,
    });
    expect(oidc.issued.at(-1)).toMatchObject({
      job_workflow_ref: `shipgate/shipgate/.github/workflows/deploy.yml@${SHIPGATE_SHA}`,
      environment: "production",
    });
    // The gate ran at 50%, through the token: the canary was judged, never refused.
    expect(step(job, "deploy")?.log).toMatch(
      /✓ gate \(slot \w+, 50%\): every deciding metric passed/,
    );
    expect(await labLive(labs.production.dir)).toEqual({
      slot: before.slot === "blue" ? "green" : "blue",
      version: "1.1.1",
    });
    expect(github.requestViolations).toEqual([]);
    expect(findSecrets(places(run), PLANTED)).toEqual([]);
  }, 300_000);

  it("rolls back in the same job when the service breaks after its deploy, the gate not run", async () => {
    const before = await labLive(labs.production.dir);
    const run = await rehearse(
      ".github/workflows/deploy.yml",
      { environment: "production", version: "1.1.2" },
      {
        // The incident: once deployed, the new version's instance dies before verification.
        beforeStep: async (_job, id) => {
          if (id === "verify") await breakLive();
        },
      },
    );
    const job = run.jobs.deploy;
    expect(step(job, "verify")?.outcome).toBe("failure");
    expect(step(job, "rollback")).toMatchObject({
      outcome: "success",
      with: expect.objectContaining({ version: before.version, steps: "100" }),
      outputs: expect.objectContaining({ result: "deployed" }),
    });
    expect(step(job, "rollback")?.log).not.toMatch(/canary gate/);
    expect(run.outputs.result).toBe("rolled-back");
    expect((await labLive(labs.production.dir)).version).toBe(before.version);
    expect(findSecrets(places(run), PLANTED)).toEqual([]);
  }, 300_000);
});

/** Stops the production lab's live slot: the version just deployed stops answering. */
async function breakLive(): Promise<void> {
  const live = await labLive(labs.production.dir);
  await labStop(labs.production.dir, { slot: live.slot, force: true });
}

describe("examples/release.yml as GitHub runs it", () => {
  it("takes a version through development, staging and production, one approval each", async () => {
    const run = await rehearse("examples/release.yml", { version: "1.1.3" });
    expect(run.result).toBe("success");
    const deploys = deployJobs(run);
    expect(deploys.map((job) => job.environment?.name)).toEqual([...ENVIRONMENTS]);
    expect(deploys.map((job) => job.result)).toEqual(["success", "success", "success"]);
    // Approvals: production's reviewers were asked once for its one job.
    expect(deploys.map((job) => job.approvals ?? 0)).toEqual([0, 0, 1]);
    for (const name of ENVIRONMENTS) expect((await labLive(labs[name].dir)).version).toBe("1.1.3");
    // Every deploy job read its own environment's variables, and production its own token.
    expect(step(deploys[2], "deploy")?.log).toMatch(/✓ gate \(slot \w+, 50%\)/);
    expect(github.requestViolations).toEqual([]);
    expect(findSecrets(places(run), PLANTED)).toEqual([]);
  }, 600_000);
});
