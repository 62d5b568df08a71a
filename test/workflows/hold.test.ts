// Approval between canary steps, rehearsed as GitHub runs it on a lab: deploy.yml with hold-at stops
// a canary at 50% (the deploy job ends held, the rollout's state in its deployment record); the
// promote job waits for the required reviewers of the approval environment and, approved, carries
// the rollout on from the record in a job of its own (a fresh runner: nothing of the deploy job's
// workspace is left). A held rollout whose promotion was rejected outlives its run: it refuses a
// fresh deploy, naming resume, and a separate run of examples/canary-with-approval.yml aborts it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { GitHubClient } from "../../src/runtime/github.js";
import type { GitHubStandIn } from "../../tools/github-standin/index.js";
import {
  Cleanup,
  httpGet,
  labLive,
  labStatus,
  labWeights,
  startLoad,
} from "../../tools/lab/lab.js";
import {
  runWorkflow,
  type ExecutorOptions,
  type JobRun,
  type ReviewRequest,
  type WorkflowRun,
} from "../../tools/rehearsal/executor.js";
import type { OidcStandIn } from "../../tools/rehearsal/oidc.js";
import { checkWiring, wiringContext } from "../../tools/rehearsal/wiring.js";
import { loadWorkflow } from "../../tools/rehearsal/workflow-file.js";
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

const [OWNER, REPO] = REPOSITORY.split("/") as [string, string];
const DEPLOY_YML = ".github/workflows/deploy.yml";
const EXAMPLE = "examples/canary-with-approval.yml";
const APPROVAL = "production-approval";
/** A config-dir whose production.yml holds at 50% itself. */
const HELD_BY_FILE = "environments-held";

const SECRETS = { DB_PASSWORD: "Db-Pa55word-8831", HEALTH_TOKEN: "Health-T0ken-2207" };
/** Production's Prometheus answers only with this token: the approval environment holds it too. */
const METRICS_TOKEN = "Metrics-T0ken-6610";
const PLANTED = [
  ...Object.values(SECRETS),
  METRICS_TOKEN,
  "Ops-Secret-9047",
  "ghs_RehearsalToken4471",
];

const cleanup = new Cleanup();
let github: GitHubStandIn;
let client: GitHubClient;
let oidc: OidcStandIn;
let receiver: Receiver;
let workspace: string;
/** The caller's checked-in files: what a fresh runner's checkout has, and nothing else. */
let checkedIn: string[];
let lab: OrdersLab;

beforeAll(async () => {
  ({ github, client, oidc, receiver } = await startOrdersStage(cleanup, EXAMPLE));
  workspace = await ordersWorkspace(cleanup, "shipgate-orders-held-");
  // The same files with the hold in production's file (deploy.hold-at) rather than an input.
  await cp(join(workspace, "environments"), join(workspace, HELD_BY_FILE), { recursive: true });
  const production = join(workspace, HELD_BY_FILE, "production.yml");
  const text = await readFile(production, "utf8");
  await writeFile(
    production,
    text.replace("  steps: [50, 100]\n", "  steps: [50, 100]\n  hold-at: 50\n"),
  );
  expect(await readFile(production, "utf8")).toMatch(/\n {2}hold-at: 50\n/);
  checkedIn = await readdir(workspace);

  lab = await startOrdersLab(cleanup, "held", { metricsToken: METRICS_TOKEN });
}, 180_000);

afterAll(() => cleanup.run(), 60_000);

/**
 * A clean record: the stand-in emptied, and what the lab serves recorded as production's last good
 * deployment. Returns the live slot and version (the stable side of the next canary).
 */
async function freshRecord(): Promise<{ slot: "blue" | "green"; version: string }> {
  github.reset();
  receiver.received.length = 0;
  return recordLive(client, "production", lab.dir);
}

/**
 * GitHub's environments as the team set them up: production and its approval environment, both
 * with required reviewers; the promote job runs in the approval environment, so it holds the same
 * variables and the metrics token too.
 */
function environments(): NonNullable<ExecutorOptions["environments"]> {
  const settings = { vars: lab.vars, secrets: { METRICS_TOKEN }, reviewers: true };
  return { production: settings, [APPROVAL]: settings };
}

/** A run of `file` for the orders repository under steady traffic; reviewers approve unless told. */
async function rehearse(
  file: string,
  inputs: Record<string, string>,
  options: Pick<ExecutorOptions, "review" | "beforeJob"> = {},
): Promise<WorkflowRun> {
  const load = startLoad({ url: `${lab.url}/api/work`, rps: 50, durationMs: 600_000 });
  try {
    return await runWorkflow(file, inputs, {
      root: ROOT,
      workspace,
      checkouts: { "./.shipgate/": ROOT },
      github: {
        repository: REPOSITORY,
        apiUrl: github.url,
        token: "ghs_RehearsalToken4471",
        eventName: "workflow_dispatch",
      },
      secrets: { ...SECRETS, OPS_WEBHOOK: `${receiver.url}/hooks/Ops-Secret-9047` },
      vars: {},
      environments: environments(),
      oidc: { url: oidc.url, token: oidc.token },
      stepTimeoutMs: 240_000,
      ...(process.env.REHEARSAL_LOG ? { onLine: (line: string) => console.log(line) } : {}),
      ...options,
    });
  } finally {
    await load.stop();
  }
}

interface Deployment {
  id: number;
  payload: Record<string, unknown>;
  /** Newest first. */
  statuses: { state: string; description: string }[];
}

/** Production's deployments as GitHub answers for them, newest first, each with its statuses. */
async function deployments(): Promise<Deployment[]> {
  const listed = await client.request("GET /repos/{owner}/{repo}/deployments", {
    owner: OWNER,
    repo: REPO,
    environment: "production",
    per_page: 100,
  });
  const found: Deployment[] = [];
  for (const deployment of listed.data as { id: number; payload: unknown }[]) {
    const statuses = await client.request(
      "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
      { owner: OWNER, repo: REPO, deployment_id: deployment.id, per_page: 100 },
    );
    const payload =
      typeof deployment.payload === "string"
        ? (JSON.parse(deployment.payload || "{}") as Record<string, unknown>)
        : (deployment.payload as Record<string, unknown>);
    found.push({
      id: deployment.id,
      payload,
      statuses: (statuses.data as { state: string; description: string | null }[]).map(
        (status) => ({ state: status.state, description: status.description ?? "" }),
      ),
    });
  }
  return found;
}

/** The versions answering through the router (nginx) over `count` requests, sorted, each once. */
async function served(count = 20): Promise<string[]> {
  const versions = new Set<string>();
  for (let i = 0; i < count; i++) {
    const answer = await httpGet(`${lab.url}/version`);
    versions.add((JSON.parse(answer.body) as { version: string }).version);
  }
  return [...versions].sort();
}

/** Each slot's version (null when it runs nothing) and the router's weights. */
async function slots(): Promise<{
  versions: Record<string, string | null>;
  weights: Record<string, number>;
}> {
  const status = (await labStatus(lab.dir)) as unknown as {
    instances: Record<string, { version: string | null }>;
  };
  const versions = Object.fromEntries(
    Object.entries(status.instances).map(([name, instance]) => [name, instance.version]),
  );
  return { versions, weights: await labWeights(lab.dir) };
}

/** What a fresh runner has before its checkouts: the caller's files, nothing a job left behind. */
async function freshRunner(): Promise<string[]> {
  const left = (await readdir(workspace)).filter((name) => !checkedIn.includes(name));
  await Promise.all(
    left.map((name) => rm(join(workspace, name), { recursive: true, force: true })),
  );
  return left;
}

const step = (job: JobRun | undefined, id: string) =>
  job?.steps.find((candidate) => candidate.id === id);

/** Every step's log, outputs and summary, every GitHub write, and the chat channel's payloads. */
function places(run: WorkflowRun): Record<string, string> {
  const texts: Record<string, string> = {};
  const jobs = Object.values(run.jobs).flatMap((job) => [
    job,
    ...Object.values(job.workflow?.jobs ?? {}),
  ]);
  for (const job of jobs) {
    for (const each of job.steps) {
      const where = `${job.id}/${each.id}`;
      texts[`${where} log`] = each.log
        .split("\n")
        .filter((line) => !line.startsWith("::add-mask::"))
        .join("\n");
      texts[`${where} outputs`] = JSON.stringify(each.outputs);
      texts[`${where} summary`] = each.summary;
    }
  }
  return {
    ...texts,
    ...githubPlaces(github),
    webhook: receiver.received.map((request) => request.body).join("\n"),
  };
}

const other = (slot: "blue" | "green") => (slot === "blue" ? "green" : "blue");

/** What the reviewers saw when a job asked for them. */
interface Review extends ReviewRequest {
  deployment?: Deployment;
  weights: Record<string, number>;
  /** What the job before left in the workspace, removed as a fresh runner would not have it. */
  leftBehind: string[];
}

describe("deploy.yml with hold-at and an approval environment", () => {
  it("refuses hold-at without an approval environment before anything is deployed", async () => {
    await freshRecord();
    const before = await slots();
    const run = await rehearse(DEPLOY_YML, {
      environment: "production",
      version: "1.1.6",
      strategy: "canary",
      "hold-at": "50",
    });
    const job = run.jobs.deploy;
    expect(run.result).toBe("failure");
    expect(step(job, "shipgate")?.outcome).toBe("failure");
    expect(step(job, "shipgate")?.log).toMatch(
      /::error title=shipgate::hold-at needs approval-environment/,
    );
    expect(step(job, "deploy")?.outcome).toBe("skipped");
    expect(run.jobs.promote?.result).toBe("skipped");
    expect(run.outputs.result).toBe("failed");
    expect(await deployments()).toHaveLength(1);
    expect(await slots()).toEqual(before);
  }, 120_000);

  it("holds a canary at 50%, and the approved promote job carries it on from the record to 100%", async () => {
    const stable = await freshRecord();
    const canary = other(stable.slot);
    const reviews: Review[] = [];
    const run = await rehearse(
      DEPLOY_YML,
      {
        environment: "production",
        version: "1.1.1",
        strategy: "canary",
        steps: "50,75,100",
        "hold-at": "50",
        "approval-environment": APPROVAL,
      },
      {
        review: async (request) => {
          reviews.push({
            ...request,
            deployment: (await deployments())[0],
            weights: await labWeights(lab.dir),
            leftBehind: await freshRunner(),
          });
          return "approve" as const;
        },
      },
    );
    const deploy = run.jobs.deploy;
    const promote = run.jobs.promote;
    expect(run.result).toBe("success");

    // The deploy job: approved in production, the gate passed at 50%, held there; no verification.
    expect(deploy).toMatchObject({
      name: "deploy 1.1.1 to production",
      result: "success",
      approvals: 1,
      review: "approved",
      concurrency: { group: "deploy-production", cancelInProgress: false },
      outputs: { result: "held", version: "1.1.1", "shipgate-ref": SHIPGATE_SHA },
    });
    expect(deploy?.steps.map((each) => `${each.id} ${each.kind} ${each.outcome}`)).toEqual([
      expect.stringMatching(/ no-op success$/),
      "shipgate run success",
      expect.stringMatching(/ no-op success$/),
      "config action success",
      // require-safe-migrations is off: no dry run, no migration check.
      "plan action skipped",
      "migrations-base run skipped",
      "migrations action skipped",
      "deploy action success",
      "verify action skipped",
      "rollback action skipped",
      "conclude run success",
      "post-deploy post success",
    ]);
    expect(step(deploy, "deploy")?.with).toMatchObject({ "hold-at": "50", steps: "50,75,100" });
    expect(step(deploy, "deploy")?.log).toMatch(
      /✓ gate \(slot \w+, 50%\): every deciding metric passed/,
    );
    const id = Number(deploy?.outputs["deployment-id"]);

    // The reviewers of the approval environment were asked once the deploy job had ended: the
    // rollout held in its record, half the traffic on the canary, the deploy job's files gone.
    expect(reviews.map(({ job, environment }) => `${job} ${environment}`)).toEqual([
      "deploy production",
      `promote ${APPROVAL}`,
    ]);
    const asked = reviews[1];
    expect(asked?.deployment).toMatchObject({
      id,
      payload: expect.objectContaining({ version: "1.1.1", hold_at: 50, slot: canary }),
    });
    expect(asked?.deployment?.statuses[0]).toEqual({
      state: "in_progress",
      description: expect.stringMatching(/^held at 50%/),
    });
    expect(asked?.weights).toEqual({ [stable.slot]: 50, [canary]: 50 });
    expect(asked?.leftBehind).toContain(".shipgate-config");

    // The promote job: in the approval environment, the deploy environment's queue, the same pin;
    // resumed from 50%: the gate at 75% only, then all traffic, verified.
    expect(promote).toMatchObject({
      name: "promote 1.1.1 on production",
      result: "success",
      approvals: 1,
      review: "approved",
      environment: { name: APPROVAL, url: lab.vars.ORDERS_URL },
      concurrency: deploy?.concurrency,
      outputs: { result: "deployed", version: "1.1.1", "deployment-id": String(id) },
    });
    expect(promote?.steps.map((each) => `${each.id} ${each.kind} ${each.outcome}`)).toEqual([
      expect.stringMatching(/ no-op success$/),
      expect.stringMatching(/ no-op success$/),
      "config action success",
      "deploy action success",
      "verify action success",
      "rollback action skipped",
      "conclude run success",
      "post-deploy post success",
    ]);
    expect(promote?.steps[1]?.with).toMatchObject({
      repository: "shipgate/shipgate",
      ref: SHIPGATE_SHA,
    });
    expect(step(promote, "deploy")?.with).toMatchObject({ resume: "promote", version: "1.1.1" });
    const resumed = step(promote, "deploy")?.log ?? "";
    expect(resumed).toMatch(/✓ gate \(slot \w+, 75%\): every deciding metric passed/);
    expect(resumed).not.toMatch(/gate \(slot \w+, 50%\)/);
    expect(run.outputs).toMatchObject({
      result: "deployed",
      version: "1.1.1",
      "deployment-id": String(id),
    });

    // One deployment, carried from held to live; the lab serves 1.1.1 from the canary slot alone.
    const [latest, ...older] = await deployments();
    expect(older).toHaveLength(1);
    expect(latest?.id).toBe(id);
    expect(latest?.statuses.map((status) => status.state)).toEqual([
      "success",
      "in_progress",
      "in_progress",
      "in_progress",
    ]);
    expect(latest?.statuses.map((status) => status.description)).toEqual([
      "1.1.1 is live",
      expect.stringMatching(/^promote from 50%/),
      expect.stringMatching(/^held at 50%/),
      expect.stringMatching(/^deploying 1\.1\.1/),
    ]);
    expect(await labLive(lab.dir)).toEqual({ slot: canary, version: "1.1.1" });
    expect((await slots()).weights).toEqual({ [stable.slot]: 0, [canary]: 100 });
    expect(await served()).toEqual(["1.1.1"]);
    expect(github.requestViolations).toEqual([]);
    expect(findSecrets(places(run), PLANTED)).toEqual([]);
  }, 300_000);
});

describe("a held rollout whose promotion the reviewers rejected", () => {
  let stable: { slot: "blue" | "green"; version: string };
  let held: WorkflowRun;

  beforeAll(async () => {
    stable = await freshRecord();
    held = await rehearse(
      EXAMPLE,
      { action: "deploy", version: "1.1.4" },
      { review: ({ environment }) => (environment === APPROVAL ? "reject" : "approve") },
    );
  }, 300_000);

  it("stays held after its run: the canary at 50% and the record in progress", async () => {
    const canary = other(stable.slot);
    const call = held.jobs.canary?.workflow;
    expect(held.result).toBe("failure");
    expect(call?.jobs.deploy?.outputs.result).toBe("held");
    // Rejected: the promote job failed without a step, and the call's result says held.
    expect(call?.jobs.promote).toMatchObject({ result: "failure", review: "rejected", steps: [] });
    expect(held.jobs.canary?.outputs.result).toBe("held");
    const [latest] = await deployments();
    expect(latest?.payload).toMatchObject({ version: "1.1.4", hold_at: 50, slot: canary });
    expect(latest?.statuses[0]).toEqual({
      state: "in_progress",
      description: expect.stringMatching(/^held at 50%/),
    });
    expect(await slots()).toEqual({
      versions: { [stable.slot]: stable.version, [canary]: "1.1.4" },
      weights: { [stable.slot]: 50, [canary]: 50 },
    });
    expect(await served()).toEqual([stable.version, "1.1.4"].sort());
  });

  it("refuses a fresh deploy of the environment, naming resume", async () => {
    const before = await deployments();
    const world = await slots();
    const run = await rehearse(DEPLOY_YML, { environment: "production", version: "1.1.5" });
    const job = run.jobs.deploy;
    expect(run.result).toBe("failure");
    expect(run.outputs.result).toBe("failed");
    expect(step(job, "deploy")?.outcome).toBe("failure");
    expect(step(job, "deploy")?.log).toMatch(
      new RegExp(`deployment #${before[0]?.id} of 1\\.1\\.4 to production is held at 50%`),
    );
    expect(step(job, "deploy")?.log).toMatch(/resume: promote.*resume: abort/);
    // Nothing recorded, nothing moved.
    expect(await deployments()).toEqual(before);
    expect(await slots()).toEqual(world);
  }, 120_000);

  it("is rolled back by a separate run with resume: abort, the version before serving again", async () => {
    const [heldDeployment] = await deployments();
    const canary = other(stable.slot);
    const run = await rehearse(EXAMPLE, { action: "abort" });
    const call = run.jobs.canary?.workflow;
    const job = call?.jobs.deploy;
    expect(run.result).toBe("success");
    expect(job?.name).toBe("abort the held rollout of production");
    expect(step(job, "deploy")).toMatchObject({
      with: expect.objectContaining({ resume: "abort", version: "", "hold-at": "" }),
      // An abort that rolled back did what was asked: the step succeeds.
      outcome: "success",
      conclusion: "success",
      outputs: expect.objectContaining({ result: "rolled-back", version: "1.1.4" }),
    });
    expect(step(job, "verify")?.outcome).toBe("skipped");
    expect(step(job, "conclude")?.outcome).toBe("success");
    expect(call?.jobs.promote?.result).toBe("skipped");
    expect(run.jobs.canary?.outputs.result).toBe("rolled-back");

    // The held deployment failed as aborted; a rollback deployment of its own records the restore.
    const [rollback, aborted] = await deployments();
    expect(aborted?.id).toBe(heldDeployment?.id);
    expect(aborted?.statuses.slice(0, 2)).toEqual([
      { state: "failure", description: expect.stringMatching(/aborted at 50%/) },
      { state: "in_progress", description: expect.stringMatching(/^abort from 50%/) },
    ]);
    expect(rollback?.payload).toMatchObject({
      version: stable.version,
      strategy: "rollback",
      rollback_of: heldDeployment?.id,
    });
    expect(rollback?.statuses.map((status) => status.state)).toEqual(["success"]);

    // The version before serves every request again, from the stable slot.
    expect(await labLive(lab.dir)).toEqual(stable);
    expect((await slots()).weights).toEqual({ [stable.slot]: 100, [canary]: 0 });
    expect(await served()).toEqual([stable.version]);
    expect(github.requestViolations).toEqual([]);
    expect(findSecrets({ ...places(held), ...places(run) }, PLANTED)).toEqual([]);
  }, 120_000);
});

describe("a hold from the environment file, with no approval environment", () => {
  it("ends held without a promote job, and a call with resume: abort rolls it back", async () => {
    const stable = await freshRecord();
    const configDir = { environment: "production", "config-dir": HELD_BY_FILE };
    const run = await rehearse(DEPLOY_YML, { ...configDir, version: "1.1.7" });
    // No one named to approve it: the promote job never runs unreviewed; the rollout waits.
    expect(run.result).toBe("success");
    expect(run.outputs.result).toBe("held");
    expect(run.jobs.promote?.result).toBe("skipped");
    expect(step(run.jobs.deploy, "conclude")?.log).toMatch(
      /::warning title=shipgate::the rollout is held \(deploy\.hold-at\) and no approval-environment/,
    );
    expect((await slots()).weights).toEqual({ [stable.slot]: 50, [other(stable.slot)]: 50 });

    const aborted = await rehearse(DEPLOY_YML, { ...configDir, version: "1.1.7", resume: "abort" });
    expect(aborted.result).toBe("success");
    expect(aborted.outputs).toMatchObject({ result: "rolled-back", version: "1.1.7" });
    expect(await labLive(lab.dir)).toEqual(stable);
    expect(await served()).toEqual([stable.version]);
  }, 180_000);
});

describe("the promote job's wiring", () => {
  it("queues with the deploys of the environment it deploys to, not its approval environment's", async () => {
    const context = await wiringContext(ROOT);
    const promoteLike = (group: string) => `on: workflow_dispatch
permissions: {}
jobs:
  promote:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions:
      contents: read
    environment: orders-approvers
    concurrency:
      group: ${group}
      cancel-in-progress: false
    steps:
      - uses: ./actions/deploy
        with:
          environment: production
          resume: promote
`;
    const findings = async (group: string) =>
      checkWiring(
        await loadWorkflow("fixture.yml", { root: ROOT, content: promoteLike(group) }),
        context,
      );
    expect(await findings("deploy-production")).toEqual([]);
    expect((await findings("deploy-orders-approvers")).map((each) => each.message)).toEqual([
      expect.stringMatching(/not per environment \(production\)/),
    ]);
  });
});
