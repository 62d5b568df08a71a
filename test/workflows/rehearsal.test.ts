// The rehearsal executor itself (GitHub's parser and expression evaluator, steps run for real): its
// job graph, status functions, matrix, reusable workflows, and the values GitHub passes or keeps
// back. test/workflows/adoption.test.ts rehearses shipgate's own workflows with it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWorkflow, type JobRun, type WorkflowRun } from "../../tools/rehearsal/executor.js";
import type { Json } from "../../tools/rehearsal/expressions.js";
import { matrixCombinations } from "../../tools/rehearsal/job-runner.js";

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

describe("the executor passes values as GitHub does", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "shipgate-executor-values-"));
    await writeFile(
      join(dir, "callee.yml"),
      `on:
  workflow_call:
    inputs:
      target: { type: string, required: true }
    outputs:
      seen: { value: "\${{ jobs.work.outputs.seen }}" }
jobs:
  work:
    runs-on: ubuntu-24.04
    environment: \${{ inputs.target }}
    permissions:
      id-token: write
    outputs:
      seen: \${{ steps.s.outputs.seen }}
    steps:
      - id: s
        env:
          FROM_VARS: \${{ vars.WHERE }}
          FROM_SECRETS: \${{ secrets.TOKEN }}
          FAIL_AT: \${{ vars.FAIL_AT }}
        run: |
          if [ "$FAIL_AT" = "\${{ inputs.target }}" ]; then exit 1; fi
          oidc=$([ -n "\${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ] && echo yes || echo no)
          echo "seen=$FROM_VARS/$FROM_SECRETS/env:\${CALLER_ENV:-none}/oidc:$oidc" >> "$GITHUB_OUTPUT"
`,
    );
    await writeFile(
      join(dir, "caller.yml"),
      `on: workflow_dispatch
env:
  CALLER_ENV: from-the-caller-workflow
jobs:
  chain:
    strategy:
      max-parallel: 1
      matrix:
        target: [dev, prod, later]
    uses: ./callee.yml
    with: { target: "\${{ matrix.target }}" }
    secrets: inherit
`,
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function chain(failAt = "nowhere") {
    return runWorkflow(
      "caller.yml",
      {},
      {
        root: dir,
        workspace: dir,
        secrets: { TOKEN: "repo-token" },
        vars: { WHERE: "repository", FAIL_AT: failAt },
        environments: {
          prod: { vars: { WHERE: "prod-vars" }, secrets: { TOKEN: "prod-token" }, reviewers: true },
        },
        oidc: { url: "http://127.0.0.1:9", token: "request-token" },
        // The caller's env: GitHub never passes it to the workflow it calls.
        env: { CALLER_ENV: "from-the-caller" },
      },
    );
  }

  it("scopes an environment's secrets and variables to its jobs, and counts its approvals", async () => {
    const run = await chain();
    const instances = run.jobs.chain?.instances ?? [];
    const seen = instances.map((instance) => instance.workflow?.jobs.work?.outputs.seen);
    // No caller env crosses into the called workflow; the OIDC request variables are there.
    expect(seen).toEqual([
      "repository/repo-token/env:none/oidc:yes",
      "prod-vars/prod-token/env:none/oidc:yes",
      "repository/repo-token/env:none/oidc:yes",
    ]);
    expect(instances.map((instance) => instance.workflow?.jobs.work?.approvals ?? 0)).toEqual([
      0, 1, 0,
    ]);
  });

  it("runs a matrix of a reusable workflow in order and cancels the rest after a failure", async () => {
    const run = await chain("prod");
    expect(run.jobs.chain?.instances?.map((instance) => instance.result)).toEqual([
      "success",
      "failure",
      "cancelled",
    ]);
    expect(run.result).toBe("failure");
  });
});
