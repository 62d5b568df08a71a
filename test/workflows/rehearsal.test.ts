// deploy.yml rehearsed without a runner: the test-only executor (GitHub's parser and expression
// evaluator) runs its job graph with the real action bundles against the lab and the GitHub API
// stand-in. A good version is deployed; a bad one is rolled back by the deploy action itself; a
// version that breaks after its deploy is rolled back by the workflow's rollback job.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labLive, labStop, seedDeployment, startLoad } from "../../tools/lab/lab.js";
import { ROOT } from "../../tools/runner/run-action.js";
import {
  runWorkflow,
  type ExecutorOptions,
  type JobRun,
  type WorkflowRun,
} from "../../tools/rehearsal/executor.js";
import type { Json } from "../../tools/rehearsal/expressions.js";
import { matrixCombinations } from "../../tools/rehearsal/job-runner.js";
import { useDeployLab } from "../support/deploy-lab.js";

const REPOSITORY = "octo-org/demo-api";
const DEPLOY_WORKFLOW = ".github/workflows/deploy.yml";

describe("the executor's semantics", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "shipgate-executor-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("follows needs, status functions, matrix, env, step and job outputs as a runner does", async () => {
    await writeFile(
      join(dir, "graph.yml"),
      `on:
  workflow_call:
    inputs:
      who: { type: string, required: true }
      flag: { type: boolean, default: false }
    outputs:
      greeting: { value: "\${{ jobs.second.outputs.greeting }}" }
env:
  TOP: top-\${{ inputs.who }}
jobs:
  first:
    runs-on: ubuntu-24.04
    strategy:
      matrix:
        n: [1, 2]
    outputs:
      x: \${{ steps.s.outputs.x }}
    steps:
      - id: s
        env: { WHO: "\${{ inputs.who }}" }
        run: echo "x=$WHO-$TOP-\${{ matrix.n }}" >> "$GITHUB_OUTPUT"
  second:
    needs: first
    runs-on: ubuntu-24.04
    outputs:
      greeting: \${{ steps.g.outputs.greeting }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with: { path: elsewhere }
      - id: f
        run: exit 3
        continue-on-error: true
      - id: g
        run: echo "greeting=hello \${{ needs.first.outputs.x }} ` +
        `\${{ steps.f.outcome }}/\${{ steps.f.conclusion }}" >> "$GITHUB_OUTPUT"
      - run: exit 1
      - if: failure()
        run: echo cleaning up
      - run: echo never
  third:
    needs: second
    runs-on: ubuntu-24.04
    steps: [{ run: echo }]
  after-third:
    needs: third
    if: always() && inputs.flag
    runs-on: ubuntu-24.04
    steps: [{ run: echo }]
  on-failure:
    needs: third
    if: failure()
    runs-on: ubuntu-24.04
    steps: [{ run: echo }]
`,
    );
    const run = await runWorkflow(
      "graph.yml",
      { who: "me", flag: "true" },
      { root: dir, workspace: dir },
    );
    expect(run.outputs).toEqual({ greeting: "hello me-top-me-2 failure/success" });
    expect(run.inputs).toEqual({ who: "me", flag: true });
    expect(results(run)).toEqual({
      first: "success",
      second: "failure",
      third: "skipped",
      "after-third": "success",
      "on-failure": "success",
    });
    expect(run.jobs.first?.instances?.map((instance) => instance.outputs.x)).toEqual([
      "me-top-me-1",
      "me-top-me-2",
    ]);
    expect(
      run.jobs.second?.steps.map((step) => `${step.kind} ${step.outcome}/${step.conclusion}`),
    ).toEqual([
      "no-op success/success",
      "run failure/success",
      "run success/success",
      "run failure/failure",
      "run success/success",
      "run skipped/skipped",
    ]);
    expect(run.jobs.second?.steps[0]?.with).toEqual({ path: "elsewhere" });
    await expect(
      runWorkflow("graph.yml", { who: "me", whom: "you" }, { root: dir, workspace: dir }),
    ).rejects.toThrow(/unexpected input 'whom'/);
    await expect(runWorkflow("graph.yml", {}, { root: dir, workspace: dir })).rejects.toThrow(
      /input 'who' is required/,
    );
  });
  it("expands a matrix as GitHub does: product, exclude, include extending or adding", () => {
    const strategy: Json = {
      matrix: {
        os: ["linux", "mac"],
        node: [20, 24],
        exclude: [{ os: "mac", node: 20 }],
        include: [
          { node: 24, experimental: true },
          { os: "windows", node: 24 },
        ],
      },
    };
    expect(matrixCombinations(strategy)).toEqual([
      { os: "linux", node: 20 },
      { os: "linux", node: 24, experimental: true },
      { os: "mac", node: 24, experimental: true },
      { os: "windows", node: 24 },
    ]);
    expect(matrixCombinations({})).toEqual([{}]);
  });

  it("runs a job that calls a reusable workflow, passing inputs and secrets and reading its outputs", async () => {
    await writeFile(
      join(dir, "callee.yml"),
      `on:
  workflow_call:
    inputs:
      environment: { type: string, required: true }
    secrets:
      token: { required: false }
    outputs:
      where: { value: "\${{ jobs.work.outputs.where }}" }
jobs:
  work:
    runs-on: ubuntu-24.04
    outputs:
      where: \${{ steps.w.outputs.where }}
    steps:
      - id: w
        env: { ENVIRONMENT: "\${{ inputs.environment }}", TOKEN: "\${{ secrets.token }}" }
        run: echo "where=$ENVIRONMENT:\${#TOKEN}" >> "$GITHUB_OUTPUT"
`,
    );
    await writeFile(
      join(dir, "caller.yml"),
      `on: workflow_dispatch
jobs:
  staging:
    uses: ./callee.yml
    with: { environment: staging }
    secrets: { token: "\${{ secrets.DEPLOY_TOKEN }}" }
  report:
    needs: staging
    runs-on: ubuntu-24.04
    outputs:
      seen: \${{ steps.r.outputs.seen }}
    steps:
      - id: r
        run: echo "seen=\${{ needs.staging.outputs.where }}" >> "$GITHUB_OUTPUT"
`,
    );
    const seen: string[] = [];
    const run = await runWorkflow(
      "caller.yml",
      {},
      {
        root: dir,
        workspace: dir,
        secrets: { DEPLOY_TOKEN: "12345" },
        beforeJob: (job) => void seen.push(job),
      },
    );
    expect(results(run)).toEqual({ staging: "success", report: "success" });
    expect(run.jobs.staging?.workflow?.jobs.work?.outputs).toEqual({ where: "staging:5" });
    expect(run.jobs.report?.outputs).toEqual({ seen: "staging:5" });
    expect(seen).toEqual(["staging", "staging/work", "report"]);
  });
});

function results(run: WorkflowRun): Record<string, JobRun["result"]> {
  return Object.fromEntries(Object.entries(run.jobs).map(([id, job]) => [id, job.result]));
}

describe("deploy.yml rehearsed against the lab", () => {
  const lab = useDeployLab(REPOSITORY);

  beforeEach(async () => {
    lab.github.reset();
    await seedRecord();
  });

  const live = () => labLive(lab.dir);

  /** GitHub's record says what the lab runs now: one successful deployment to production. */
  async function seedRecord(): Promise<void> {
    await seedDeployment(lab.client, REPOSITORY, { ...(await live()), state: "success" });
  }

  /**
   * deploy.yml called as a caller would, with the lab's variables as its workflow-level env, under
   * steady traffic (the canary gate needs some). REHEARSAL_LOG=1 prints every step's log lines.
   */
  async function rehearse(
    version: string,
    options: Pick<ExecutorOptions, "beforeJob"> = {},
  ): Promise<WorkflowRun> {
    const load = startLoad({ url: `${lab.env.LAB_URL}/api/work`, rps: 100, durationMs: 600_000 });
    try {
      return await runWorkflow(
        DEPLOY_WORKFLOW,
        {
          environment: "production",
          version,
          strategy: "canary",
          steps: "50,100",
          "config-dir": "lab/environments",
        },
        {
          root: ROOT,
          workspace: ROOT,
          checkouts: { "./.shipgate/": ROOT },
          github: { repository: REPOSITORY, apiUrl: lab.github.url, token: "test-token" },
          env: lab.env,
          stepTimeoutMs: 240_000,
          ...(process.env.REHEARSAL_LOG ? { onLine: (line: string) => console.log(line) } : {}),
          ...options,
        },
      );
    } finally {
      await load.stop();
    }
  }

  const step = (job: JobRun | undefined, id: string) =>
    job?.steps.find((candidate) => candidate.id === id);

  it("deploys a good version: config, deploy, verify and conclude succeed, rollback is skipped", async () => {
    const before = await live();
    const run = await rehearse("1.1.1");
    expect(results(run)).toEqual({
      config: "success",
      deploy: "success",
      verify: "success",
      rollback: "skipped",
      conclude: "success",
    });
    expect(run.outputs).toEqual({
      result: "deployed",
      version: "1.1.1",
      "deployment-id": expect.stringMatching(/^\d+$/),
    });
    expect(run.result).toBe("success");

    const deploy = run.jobs.deploy;
    expect(deploy?.name).toBe("deploy 1.1.1 to production");
    expect(deploy?.environment).toEqual({ name: "production", url: lab.env.LAB_URL });
    expect(deploy?.concurrency).toEqual({ group: "deploy-production", cancelInProgress: false });
    expect(deploy?.outputs).toMatchObject({
      result: "deployed",
      "previous-version": before.version,
      "environment-url": lab.env.LAB_URL,
    });
    // The two checkouts are recorded, not run; the deploy action ran its real bundle, then its post step.
    expect(deploy?.steps.map((each) => `${each.kind} ${each.uses} ${each.outcome}`)).toEqual([
      "no-op actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 success",
      "no-op actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 success",
      "action ./.shipgate/actions/deploy success",
      "post ./.shipgate/actions/deploy success",
    ]);
    expect(deploy?.steps[1]?.with).toMatchObject({
      path: ".shipgate",
      repository: "shipgate/shipgate",
      ref: "v1",
    });
    // Inputs as the runner hands them over: given, then action.yml defaults (github.token included).
    expect(step(deploy, "deploy")?.with).toMatchObject({
      version: "1.1.1",
      strategy: "canary",
      steps: "50,100",
      token: "test-token",
      force: "false",
    });
    expect(step(run.jobs.config, "config")?.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.jobs.config?.outputs.digest).toBe(step(run.jobs.config, "config")?.outputs.digest);
    expect(step(run.jobs.verify, "verify")?.with).toMatchObject({
      "expect-version": "1.1.1",
      concurrency: "10",
    });
    expect(run.jobs.verify?.outputs).toEqual({ healthy: "true" });
    expect(run.jobs.conclude?.outputs).toEqual({ result: "deployed" });

    expect(await live()).toEqual({
      slot: before.slot === "blue" ? "green" : "blue",
      version: "1.1.1",
    });
    expect(lab.github.requestViolations).toEqual([]);
  }, 300_000);

  it(
    "takes the rollback path for a bad version: the deploy action rolls back, " +
      "verify and rollback are skipped, conclude fails",
    async () => {
      const before = await live();
      const run = await rehearse("1.2.0");
      expect(results(run)).toEqual({
        config: "success",
        deploy: "failure",
        verify: "skipped",
        rollback: "skipped",
        conclude: "failure",
      });
      expect(step(run.jobs.deploy, "deploy")).toMatchObject({
        outcome: "failure",
        outputs: expect.objectContaining({
          result: "rolled-back",
          "previous-version": before.version,
        }),
      });
      expect(run.jobs.conclude?.outputs).toEqual({ result: "rolled-back" });
      expect(run.outputs.result).toBe("rolled-back");
      expect(run.result).toBe("failure");
      expect(await live()).toEqual(before);
      expect(lab.github.requestViolations).toEqual([]);
    },
    300_000,
  );

  it("rolls back through the workflow's rollback job when the service breaks after its deploy", async () => {
    const before = await live();
    // The incident: the new version's instance dies between the deploy and the verification.
    const run = await rehearse("1.1.2", {
      beforeJob: async (job) => {
        if (job === "verify") await labStop(lab.dir, { slot: (await live()).slot, force: true });
      },
    });
    expect(results(run)).toEqual({
      config: "success",
      deploy: "success",
      verify: "failure",
      rollback: "success",
      conclude: "failure",
    });
    expect(run.jobs.verify?.outputs).toEqual({ healthy: "false" });
    expect(run.jobs.rollback?.name).toBe(`roll production back to ${before.version}`);
    expect(run.jobs.rollback?.concurrency).toEqual({
      group: "deploy-production",
      cancelInProgress: false,
    });
    expect(step(run.jobs.rollback, "rollback")?.with).toMatchObject({
      version: before.version,
      steps: "100",
    });
    expect(run.jobs.rollback?.outputs).toEqual({ result: "deployed" });
    expect(run.outputs.result).toBe("rolled-back");
    expect((await live()).version).toBe(before.version);
  }, 300_000);
});
