// cost-report driven through its bundle, as the runner runs it, against the GitHub API stand-in:
// pull request comments (each behaviour, late runs, forks), CI minutes, budgets, and digests of
// the real FOCUS sample, its Parquet twin and a generated multi-million-row export.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { startReceiver } from "../support/receivers.js";
import { execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { once } from "node:events";
import { startHttpServer, type FixtureServer } from "../support/http-fixtures.js";
import {
  examplePayload,
  ROOT,
  runAction,
  type ActionResult,
} from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";
import {
  errorBody,
  startGitHubStandIn,
  type GitHubStandIn,
  type JsonObject,
} from "../../tools/github-standin/index.js";

const REPO = "octo-org/demo-api";
const PR = 42;
const HEAD_SHA = "a".repeat(40);
const TOKEN = "ghs_costreport_token_8c1f0e";
const FIXTURES = join(ROOT, "test", "fixtures", "cost");

let github: GitHubStandIn;
let ws: Workspace;
let baseSha: string;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPO] });
});
afterAll(() => github.stop());
beforeEach(async () => {
  github.reset();
  ws = await createWorkspace();
});
afterEach(async () => {
  expect(github.requestViolations).toEqual([]);
  expect(github.responseViolations).toEqual([]);
  await ws.remove();
});

const git = (...args: string[]): string =>
  execFileSync("git", ["-C", ws.dir, ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  }).trim();

/** Commits the example environments as the base branch; later edits in the workspace are the head. */
function commitBase(): string {
  git("init", "-q", "-b", "main");
  git("add", "environments");
  git("commit", "-q", "-m", "base");
  return git("rev-parse", "HEAD");
}

function pullRequestEvent(overrides: { base?: string; forkOf?: string } = {}): {
  name: string;
  payload: unknown;
} {
  const payload = examplePayload("pull_request", "opened") as JsonObject & {
    pull_request: JsonObject & { base: JsonObject; head: JsonObject };
  };
  payload.number = PR;
  payload.pull_request.number = PR;
  payload.pull_request.base = {
    ...payload.pull_request.base,
    sha: overrides.base ?? baseSha,
    ref: "main",
  };
  payload.pull_request.head = {
    ...payload.pull_request.head,
    sha: HEAD_SHA,
    ref: "bigger-api",
    repo: {
      ...(payload.pull_request.head.repo as JsonObject),
      full_name: overrides.forkOf ?? REPO,
    },
  };
  return { name: "pull_request", payload };
}

/** A workflow run of this pull request's head; its start time goes into the comment marker. */
function seedRun(startedAt: string, extra: JsonObject = {}): number {
  const run = github.seedWorkflowRun(REPO, {
    head_sha: HEAD_SHA,
    head_branch: "bigger-api",
    event: "pull_request",
    status: "completed",
    conclusion: "success",
    created_at: startedAt,
    run_started_at: startedAt,
    ...extra,
  });
  return Number(run.id);
}

async function setCount(environment: string, from: number, to: number): Promise<void> {
  const file = `environments/${environment}.yml`;
  const text = await ws.read(file);
  const next = text.replace(`count: ${from}\n`, `count: ${to}\n`);
  if (next === text) throw new Error(`no count: ${from} in ${file}`);
  await ws.write(file, next);
}

function run(
  inputs: Record<string, string> = {},
  options: { runId?: number; event?: { name: string; payload: unknown } } = {},
): Promise<ActionResult> {
  return runAction({
    action: "cost-report",
    workspace: ws.dir,
    inputs: { mode: "pr", token: TOKEN, ...inputs },
    event: options.event ?? pullRequestEvent(),
    apiUrl: github.url,
    repository: REPO,
    env: options.runId === undefined ? {} : { GITHUB_RUN_ID: String(options.runId) },
  });
}

const comments = () => github.storedComments(REPO, PR);
const warnings = (result: ActionResult) =>
  result.annotations
    .filter((annotation) => annotation.level === "warning")
    .map((annotation) => annotation.message);

/** Exit 1 with an error at `file`:`line` whose message contains `message`; no outputs, no summary. */
function expectFailedAt(result: ActionResult, file: string, line: number, message: string): void {
  expect(result.exitCode).toBe(1);
  expect(result.annotations).toContainEqual(
    expect.objectContaining({
      level: "error",
      file,
      line,
      message: expect.stringContaining(message),
    }),
  );
  expect(result.outputs).toEqual({});
  expect(result.summary).toBe("");
}

function expectNoTokenLeak(result: ActionResult): void {
  const visible = [
    ...result.lines,
    ...Object.values(result.outputs),
    result.summary,
    ...comments().map((comment) => comment.body),
  ].join("\n");
  expect(visible).not.toContain(TOKEN);
}

describe("pull request mode", () => {
  beforeEach(() => {
    baseSha = commitBase();
  });

  it("comments once, then updates the same comment in place on the next push", async () => {
    await setCount("production", 4, 6);
    const first = await run({}, { runId: seedRun("2026-03-02T10:00:00Z") });
    expect(first.exitCode).toBe(0);
    // production api: m7g.large $0.0816 × 730 h × 4 = $238.27 before, × 6 = $357.41 after.
    expect(first.outputs["total-monthly-delta"]).toBe("119.14");
    const report = JSON.parse(first.outputs.report ?? "");
    const production = report.environments.find(
      (environment: { name: string }) => environment.name === "production",
    );
    expect(production).toMatchObject({
      monthlyBefore: "610.09",
      monthlyAfter: "729.23",
      delta: "119.14",
      percent: 19.5,
    });
    expect(production.changes).toEqual([
      expect.objectContaining({
        resource: "compute/api",
        change: "changed",
        delta: "119.14",
        before: expect.objectContaining({ monthly: "238.27" }),
        after: expect.objectContaining({ monthly: "357.41" }),
      }),
    ]);
    expect(
      report.environments.map((environment: { name: string; delta: string }) => [
        environment.name,
        environment.delta,
      ]),
    ).toEqual([
      ["development", "0"],
      ["production", "119.14"],
      ["staging", "0"],
    ]);
    const [comment] = comments();
    expect(comments()).toHaveLength(1);
    expect(comment!.body).toMatch(
      /^<!-- shipgate:cost-report run-time="2026-03-02T10:00:00.000Z" -->\n### 💰 Cost report/,
    );
    expect(comment!.body).toContain(
      "This pull request raises the monthly cost by **+$119.14** (+15.4%): production +$119.14.",
    );
    expect(first.outputs["comment-url"]).toBe(
      `${github.url}/${REPO}/issues/${PR}#issuecomment-${comment!.id}`,
    );
    expect(first.summary).toContain("production +$119.14");
    expect(first.masked).toContain(TOKEN);
    expectNoTokenLeak(first);

    await setCount("production", 6, 5);
    const second = await run({}, { runId: seedRun("2026-03-02T11:00:00Z") });
    expect(second.exitCode).toBe(0);
    expect(second.outputs["total-monthly-delta"]).toBe("59.57");
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.id).toBe(comment!.id);
    expect(comments()[0]!.body).toContain('run-time="2026-03-02T11:00:00.000Z"');
    expect(comments()[0]!.body).toContain("+$59.57");
    expect(github.callsTo("issues/update-comment")).toHaveLength(1);
    expect(github.callsTo("issues/create-comment")).toHaveLength(1);
  });

  it(
    "never lets an older run that finishes late overwrite a newer report, " +
      "and does not re-post an identical one",
    async () => {
      await setCount("production", 4, 6);
      const older = seedRun("2026-03-02T10:00:00Z");
      const newer = seedRun("2026-03-02T11:00:00Z");
      expect((await run({}, { runId: newer })).exitCode).toBe(0);
      const posted = comments()[0]!.body;

      await setCount("production", 6, 8);
      const late = await run({}, { runId: older });
      expect(late.exitCode).toBe(0);
      expect(comments()[0]!.body).toBe(posted);
      expect(late.annotations.map((annotation) => annotation.message)).toContainEqual(
        expect.stringContaining("a newer run (2026-03-02T11:00:00.000Z) already reported"),
      );
      expect(late.summary).toContain("+$238.27"); // the late run still reports in its own summary

      await setCount("production", 8, 6);
      const again = await run({}, { runId: newer });
      expect(again.annotations.map((annotation) => annotation.message)).toContainEqual(
        expect.stringContaining("identical to the one posted"),
      );
      expect(github.callsTo("issues/update-comment")).toHaveLength(0);
      expect(again.outputs["comment-url"]).toContain(`#issuecomment-${comments()[0]!.id}`);
    },
  );

  it.each([
    ["new", 2, []],
    ["hide-and-new", 2, ["OUTDATED"]],
    ["delete-and-new", 1, []],
  ] as const)("behavior %s: %d comment(s) afterwards", async (behavior, count, minimized) => {
    await setCount("production", 4, 6);
    expect((await run({ behavior }, { runId: seedRun("2026-03-02T10:00:00Z") })).exitCode).toBe(0);
    const firstId = comments()[0]!.id;
    await setCount("production", 6, 7);
    const second = await run({ behavior }, { runId: seedRun("2026-03-02T11:00:00Z") });
    expect(second.exitCode).toBe(0);
    expect(comments()).toHaveLength(count);
    expect(comments().at(-1)!.body).toContain("+$178.71");
    expect(second.outputs["comment-url"]).toContain(`#issuecomment-${comments().at(-1)!.id}`);
    expect(
      comments()
        .filter((comment) => comment.minimizedAs)
        .map((comment) => comment.minimizedAs),
    ).toEqual(minimized);
    if (behavior === "hide-and-new") {
      expect(comments()[0]!.id).toBe(firstId);
      expect(github.callsTo("graphql/minimizeComment")).toHaveLength(1);
    }
    if (behavior === "delete-and-new") expect(comments()[0]!.id).not.toBe(firstId);
    expect(github.callsTo("issues/update-comment")).toHaveLength(0);
  });

  it("skips the comment below comment-threshold, but still writes the summary and outputs", async () => {
    await setCount("production", 4, 5); // +$59.57, 9.8% of production
    const money = await run({ "comment-threshold": "100" });
    expect(money.exitCode).toBe(0);
    expect(comments()).toHaveLength(0);
    expect(money.outputs["total-monthly-delta"]).toBe("59.57");
    expect(money.outputs["comment-url"]).toBeUndefined();
    expect(money.summary).toContain("+$59.57");
    expect((await run({ "comment-threshold": "10%" })).exitCode).toBe(0);
    expect(comments()).toHaveLength(0);
    expect((await run({ "comment-threshold": "9%" })).exitCode).toBe(0);
    expect(comments()).toHaveLength(1);
  });

  it("updates a posted comment when a later push brings the change under comment-threshold", async () => {
    await setCount("production", 4, 6); // +$119.14
    const first = await run(
      { "comment-threshold": "100" },
      { runId: seedRun("2026-03-02T10:00:00Z") },
    );
    expect(comments()).toHaveLength(1);
    await setCount("production", 6, 5); // +$59.57, under the threshold
    const second = await run(
      { "comment-threshold": "100" },
      { runId: seedRun("2026-03-02T11:00:00Z") },
    );
    expect(second.exitCode).toBe(0);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain("+$59.57");
    expect(comments()[0]!.body).not.toContain("+$119.14");
    expect(second.outputs["comment-url"]).toBe(first.outputs["comment-url"]);
    expect(github.callsTo("issues/update-comment")).toHaveLength(1);
  });

  it("hide-and-new hides each old comment once, never one already hidden", async () => {
    for (const [index, [from, to]] of [
      [4, 5],
      [5, 6],
      [6, 7],
      [7, 8],
    ].entries()) {
      await setCount("production", from!, to!);
      const result = await run(
        { behavior: "hide-and-new" },
        { runId: seedRun(`2026-03-02T1${index}:00:00Z`) },
      );
      expect(result.exitCode).toBe(0);
    }
    expect(comments()).toHaveLength(4);
    expect(comments().map((comment) => comment.minimizedAs ?? null)).toEqual([
      "OUTDATED",
      "OUTDATED",
      "OUTDATED",
      null,
    ]);
    // One hide per push after the first: 3, where re-hiding made 1 + 2 + 3 = 6.
    expect(github.callsTo("graphql/minimizeComment")).toHaveLength(3);
  });

  it("keys the sticky comment by tag, so two cost-report steps on one pull request keep their own", async () => {
    await setCount("production", 4, 6);
    await ws.write(
      "infra/production.yml",
      "resources:\n  storage:\n    - { name: logs, type: aws.ebs.gp3, gb: 100 }\n",
    );
    const apps = await run({ tag: "apps" }, { runId: seedRun("2026-03-02T10:00:00Z") });
    const infra = await run(
      { tag: "infra", "config-dir": "infra" },
      { runId: seedRun("2026-03-02T10:00:00Z") },
    );
    expect([apps.exitCode, infra.exitCode]).toEqual([0, 0]);
    expect(comments()).toHaveLength(2);
    expect(comments()[0]!.body).toMatch(
      /^<!-- shipgate:cost-report tag="apps" run-time="[^"]+" -->\n/,
    );
    expect(comments()[0]!.body).toContain("+$119.14");
    expect(comments()[1]!.body).toMatch(
      /^<!-- shipgate:cost-report tag="infra" run-time="[^"]+" -->\n/,
    );
    expect(comments()[1]!.body).toContain("+$8.00"); // 100 GB × $0.08, new
    expect(apps.outputs["comment-url"]).not.toBe(infra.outputs["comment-url"]);

    await setCount("production", 6, 5);
    const again = await run({ tag: "apps" }, { runId: seedRun("2026-03-02T11:00:00Z") });
    expect(again.outputs["comment-url"]).toBe(apps.outputs["comment-url"]);
    expect(comments()).toHaveLength(2);
    expect(comments()[0]!.body).toContain("+$59.57");
    expect(comments()[1]!.body).toContain("+$8.00");
  });

  it("comments and warns on an unpriced addition, even below comment-threshold", async () => {
    await ws.write(
      "environments/development.yml",
      (await ws.read("environments/development.yml")).replace(
        "      type: aws.ec2.t3.medium\n",
        "      type: aws.ec2.t3.medium\n    - name: worker\n      type: acme.vm.huge\n",
      ),
    );
    const result = await run({ "comment-threshold": "10" });
    expect(result.exitCode).toBe(0);
    expect(result.outputs["total-monthly-delta"]).toBe("0");
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain(
      "but adds 1 unpriced item, not counted: development `compute/worker` (acme.vm.huge, added).",
    );
    expect(warnings(result)).toContainEqual(
      expect.stringContaining(
        "development: compute/worker (acme.vm.huge) is not priced: not in the pricing catalog",
      ),
    );
  });

  it("shows what changed on a line, before -> after, in the Change column", async () => {
    await setCount("production", 4, 6);
    const result = await run();
    expect(result.summary).toContain(
      "| `compute/api` | count 4 → 6 | $238.27 | $357.41 | +$119.14 |",
    );
    const report = JSON.parse(result.outputs.report ?? "");
    expect(report.environments[1].changes[0].details).toEqual(["count 4 → 6"]);
  });

  it("links the run, each price's source and flags unverified prices, in the comment and the report", async () => {
    await setCount("production", 4, 6);
    const runId = seedRun("2026-03-02T10:00:00Z");
    github.seedJob(REPO, runId, {
      name: "test",
      labels: ["ubuntu-latest"],
      started_at: "2026-03-02T10:00:00Z",
      completed_at: "2026-03-02T10:01:00Z",
      status: "completed",
      conclusion: "success",
    });
    const result = await run({}, { runId });
    const body = comments()[0]!.body;
    expect(body).toMatch(
      new RegExp(`\\[this workflow run\\]\\([^)]*/${REPO}/actions/runs/${runId}`),
    );
    // t3.medium is marked verified: false in the bundled catalog; m7g.large has a secondary source.
    expect(body).toContain(
      "| development | `compute/api` | `aws.ec2.t3.medium` | 1 × 730 h | " +
        "[$0.0416/hour](https://aws.amazon.com/ec2/pricing/on-demand/) ⚠ unverified |",
    );
    expect(body).toContain(
      "| production | `compute/api` | `aws.ec2.m7g.large` | 6 × 730 h | " +
        "[$0.0816/hour](https://aws.amazon.com/ec2/pricing/on-demand/) |",
    );
    expect(body).toContain(
      "| test | ubuntu-latest | [actions_linux](https://docs.github.com/en/billing/reference/actions-runner-pricing) |",
    );
    const report = JSON.parse(result.outputs.report ?? "");
    expect(report.environments[1].changes[0].after).toMatchObject({
      source: "https://aws.amazon.com/ec2/pricing/on-demand/",
      verified: expect.stringContaining("secondary"),
    });
  });

  it("falls back to the job summary with a warning when the token cannot write (a fork's pull request)", async () => {
    github.override("issues/create-comment", () => ({
      status: 403,
      body: errorBody(403, "Resource not accessible by integration"),
    }));
    await setCount("production", 4, 6);
    const result = await run({}, { event: pullRequestEvent({ forkOf: "someone/demo-api" }) });
    expect(result.exitCode).toBe(0);
    expect(comments()).toHaveLength(0);
    expect(result.outputs["comment-url"]).toBeUndefined();
    expect(result.outputs["total-monthly-delta"]).toBe("119.14");
    expect(result.summary).toContain("This pull request raises the monthly cost");
    expect(warnings(result)).toContainEqual(
      expect.stringContaining("pull requests from forks get a read-only token"),
    );
  });

  it(
    "prices this pull request's CI jobs by runner SKU, " +
      "whole minutes, with the rate card of the job's day",
    async () => {
      const current = seedRun("2026-03-02T10:00:00Z");
      const older = seedRun("2025-12-31T23:00:00Z", {
        head_sha: "b".repeat(40),
        pull_requests: [
          {
            id: 1,
            number: PR,
            url: `${github.url}/repos/${REPO}/pulls/${PR}`,
            head: {
              ref: "bigger-api",
              sha: "b".repeat(40),
              repo: { id: 1, url: `${github.url}/repos/${REPO}`, name: "demo-api" },
            },
            base: {
              ref: "main",
              sha: baseSha,
              repo: { id: 1, url: `${github.url}/repos/${REPO}`, name: "demo-api" },
            },
          },
        ],
      });
      github.seedWorkflowRun(REPO, {
        head_sha: "c".repeat(40),
        head_branch: "bigger-api",
        pull_requests: [],
      }); // another pull request's run on a same-named branch
      const job = (
        runId: number,
        name: string,
        labels: string[],
        started: string,
        completed: string | null,
      ) =>
        github.seedJob(REPO, runId, {
          name,
          labels,
          started_at: started,
          completed_at: completed,
          status: completed ? "completed" : "in_progress",
          conclusion: completed ? "success" : null,
        });
      job(current, "test", ["ubuntu-latest"], "2026-03-02T10:00:00Z", "2026-03-02T10:03:20Z"); // 4 min × $0.006
      job(current, "windows", ["windows-latest"], "2026-03-02T10:00:00Z", "2026-03-02T10:05:00Z"); // 5 min × $0.010
      job(
        current,
        "gpu",
        ["self-hosted", "linux", "gpu"],
        "2026-03-02T10:00:00Z",
        "2026-03-02T10:10:00Z",
      ); // mapped below
      job(current, "big", ["org-16-core"], "2026-03-02T10:00:00Z", "2026-03-02T10:00:30Z"); // 1 min × $0.042
      job(current, "odd", ["mystery-runner"], "2026-03-02T10:00:00Z", "2026-03-02T10:01:00Z"); // unpriced
      job(current, "deploy", ["ubuntu-latest"], "2026-03-02T10:06:00Z", null); // still running
      job(older, "mac", ["macos-14"], "2025-12-31T23:00:00Z", "2025-12-31T23:01:30Z"); // 2 min × $0.08 (2025 rates)
      await ws.write(
        ".github/cost-rates.yml",
        "skus:\n  gpu-box:\n    price: '0.05'\n    labels: [gpu]\nlabels:\n  org-16-core: actions_linux_16_core\n",
      );
      const result = await run({ rates: ".github/cost-rates.yml" }, { runId: current });
      expect(result.exitCode).toBe(0);
      const { ci } = JSON.parse(result.outputs.report ?? "");
      expect(ci.runs).toBe(2);
      expect(
        ci.jobs.map((item: { name: string; minutes: number; sku: string; cost: string }) => [
          item.name,
          item.minutes,
          item.sku,
          item.cost,
        ]),
      ).toEqual([
        ["mac", 2, "actions_macos", "0.16"],
        ["test", 4, "actions_linux", "0.024"],
        ["windows", 5, "actions_windows", "0.05"],
        ["gpu", 10, "gpu-box", "0.5"],
        ["big", 1, "actions_linux_16_core", "0.042"],
      ]);
      expect(ci.unpriced).toEqual([
        expect.objectContaining({
          name: "odd",
          minutes: 1,
          reason: expect.stringContaining("mystery-runner map to no price"),
        }),
      ]);
      expect(ci.minutes).toBe(22);
      expect(ci.total).toBe("0.776");
      expect(ci.rateCards).toEqual(["2023-01-01", "2026-01-01"]);
      expect(comments()[0]!.body).toContain(
        "Its CI so far: 6 job(s), 22 billable minute(s), $0.776.",
      );
    },
  );

  it(
    "fails on fail-on-budget when the pull request pushes an environment over budget, " +
      "and only warns without it",
    async () => {
      await setCount("production", 4, 16); // api $953.09 (was $238.27): $1,324.91 of a $1,200 budget
      const warned = await run();
      expect(warned.exitCode).toBe(0);
      expect(warnings(warned)).toContainEqual(
        expect.stringContaining("pushes production over its budget: 110.4% of 1200 USD"),
      );
      const failed = await run({ "fail-on-budget": "true" });
      expect(failed.exitCode).toBe(1);
      expect(failed.annotations).toContainEqual(
        expect.objectContaining({ level: "error", title: "cost-report: over budget" }),
      );
      expect(failed.summary).toContain("pushes production over budget");
      expect(failed.outputs["total-monthly-delta"]).toBe("714.82");
    },
  );

  it("sends budget-breach to production's notify channels when a pull request would push it over", async () => {
    const receiver = await startReceiver();
    try {
      await setCount("production", 4, 16);
      const hook = `${receiver.url}/services/T000/B000/secret-hook`;
      const result = await runAction({
        action: "cost-report",
        workspace: ws.dir,
        inputs: { mode: "pr", token: TOKEN },
        event: pullRequestEvent(),
        apiUrl: github.url,
        repository: REPO,
        env: { SLACK_WEBHOOK_URL: hook },
      });
      expect(result.exitCode).toBe(0);
      // Slack takes warning and above (the file's min-severity); budget-breach is a warning.
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]?.body).toContain("would push production over its budget");
      expect(result.masked).toContain(hook);
      expect(result.lines.join("\n")).not.toContain("secret-hook");
    } finally {
      await receiver.stop();
    }
  });

  it("reads the base through the contents API when the checkout has no history", async () => {
    execFileSync("rm", ["-rf", join(ws.dir, ".git")]);
    for (const file of ["base.yml", "production.yml", "staging.yml", "development.yml"]) {
      github.seedFile(REPO, baseSha, `environments/${file}`, await ws.read(`environments/${file}`));
    }
    await setCount("staging", 2, 3);
    const result = await run();
    expect(result.exitCode).toBe(0);
    // staging api: m7g.large $0.0816 × weekdays 07-21 (4,200 min/week → 304 1/6 h) × 2 = $49.64, × 3 = $74.46.
    expect(result.outputs["total-monthly-delta"]).toBe("24.82");
    expect(github.callsTo("repos/get-content").map((call) => call.query.ref)).toEqual(
      Array(5).fill(baseSha),
    );
    expect(result.summary).toContain(`base read from contents API at ${baseSha.slice(0, 12)}`);
  });

  it(
    "warns and says so in the comment when the contents API has no base directory (404), " +
      "instead of treating every environment as new in silence",
    async () => {
      execFileSync("rm", ["-rf", join(ws.dir, ".git")]);
      const result = await run();
      expect(result.exitCode).toBe(0);
      expect(github.callsTo("repos/get-content").map((call) => call.status)).toEqual([404]);
      const why = `the contents API answered 404 for environments at ${baseSha.slice(0, 12)}`;
      expect(warnings(result)).toContainEqual(expect.stringContaining(why));
      expect(warnings(result)).toContainEqual(
        expect.stringContaining("every environment is compared as new"),
      );
      expect(comments()[0]!.body).toContain(why);
      expect(JSON.parse(result.outputs.report ?? "").notes).toEqual([expect.stringContaining(why)]);
    },
  );

  it("lists unknown types as unpriced (never zero) and advises with estimated savings", async () => {
    const text = await ws.read("environments/staging.yml");
    await ws.write(
      "environments/staging.yml",
      text.replace("      count: 2\n      schedule: weekdays 07-21\n", "      count: 2\n"),
    );
    await ws.write(
      "environments/development.yml",
      (await ws.read("environments/development.yml")).replace(
        "      type: aws.ec2.t3.medium\n",
        "      type: aws.ec2.t3.medium\n    - name: worker\n      type: acme.vm.huge\n",
      ),
    );
    const result = await run();
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.outputs.report ?? "");
    const development = report.environments.find(
      (environment: { name: string }) => environment.name === "development",
    );
    expect(development.unpriced).toEqual([
      {
        kind: "compute",
        name: "worker",
        type: "acme.vm.huge",
        reason: "not in the pricing catalog",
      },
    ]);
    expect(development.delta).toBe("0");
    expect(result.summary).toContain("Unpriced (not counted, never zero)");
    // staging api now 24/7 (the pull request removed its schedule): $0.0816 × 730 × 2 = $119.14,
    // weekdays 08-20 would stop it 6,480 of 10,080 minutes a week: 9/14 of it = $76.59.
    // Advice on lines the pull request does not touch (development's 24/7 api, production's
    // steady on-demand api) belongs to the digest, not to this comment.
    expect(
      report.recommendations.map(
        (item: { kind: string; environment: string; monthlySaving: string }) => [
          item.kind,
          item.environment,
          item.monthlySaving,
        ],
      ),
    ).toEqual([["schedule-non-production", "staging", "76.59"]]);
  });

  it("fails on a bad environment file with its file and line, writing nothing and commenting nothing", async () => {
    await ws.write(
      "environments/staging.yml",
      (await ws.read("environments/staging.yml")).replace(
        "schedule: weekdays 07-21",
        "schedule: weekdays 07-25",
      ),
    );
    const result = await run();
    expectFailedAt(
      result,
      "environments/staging.yml",
      22,
      "resources.compute[0].schedule: 25:00 is not a time of day",
    );
    expect(comments()).toHaveLength(0);
    expect(github.calls).toHaveLength(0);
  });

  it("rejects a bad input before any request, naming it", async () => {
    const result = await run({ behavior: "replace", "comment-threshold": "lots" });
    expect(result.exitCode).toBe(1);
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      expect.stringContaining('input "behavior"'),
      expect.stringContaining(
        'input "comment-threshold": expected an amount such as 10 or a percentage such as 5% (got "lots")',
      ),
    ]);
    expect(github.calls).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------

interface SampleTotals {
  rows: number;
  period: { from: string; to: string };
  billed: string;
  effective: string;
  environments: Record<string, { billed: string; effective: string }>;
  services: Record<string, { billed: string; effective: string }>;
  subAccounts: Record<string, { billed: string; effective: string }>;
}

const loadTotals = async (): Promise<SampleTotals> =>
  JSON.parse(await readFile(join(FIXTURES, "focus-sample-totals.json"), "utf8")) as SampleTotals;
type Row = { name: string; billed: string; effective: string };
const asRecord = (rows: Row[]): Record<string, { billed: string; effective: string }> =>
  Object.fromEntries(
    rows.map((row) => [row.name, { billed: row.billed, effective: row.effective }]),
  );

function digest(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionResult> {
  return runAction({
    action: "cost-report",
    workspace: ws.dir,
    inputs: { mode: "digest", ...inputs },
    apiUrl: github.url,
    repository: REPO,
    env,
    timeoutMs: 120_000,
  });
}

describe("digest mode", () => {
  it.each([
    ["CSV", "focus-1.0-sample-1000.csv"],
    ["Parquet", "focus-1.0-sample-1000.parquet"],
  ])(
    "on the FOCUS sample (%s): totals per environment, service and sub-account match the independent computation",
    async (_kind, file) => {
      const expected = await loadTotals();
      await ws.write("costs/README", "exports\n");
      execFileSync("cp", [join(FIXTURES, file), join(ws.dir, "costs", file)]);
      const result = await digest({ "focus-files": `costs/${file}`, period: "2024-09" });
      expect(result.exitCode).toBe(0);
      expect(result.outputs["total-billed"]).toBe(expected.billed);
      expect(result.outputs["total-effective"]).toBe(expected.effective);
      const report = JSON.parse(result.outputs.report ?? "");
      expect(report.rows).toBe(expected.rows);
      expect(report.unusableRows).toEqual([]);
      expect(asRecord(report.environments)).toEqual(expected.environments);
      expect(asRecord(report.services)).toEqual(expected.services);
      expect(asRecord(report.subAccounts)).toEqual(expected.subAccounts);
      expect(report.previous.hasData).toBe(false);
      expect(report.forecast).toMatchObject({ complete: true, elapsedDays: 30 });
      expect(result.summary).toContain("### 📊 Cost digest 2024-09 (2024-09-01..2024-09-30)");
      const billed = Number(expected.billed).toLocaleString("en-US", {
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      });
      expect(result.summary).toContain(`2024-09-01..2024-09-30: **$${billed} billed**`);
      expect(result.summary).toContain("modified z-score");
    },
  );

  it(
    "budgets from environments/ burn against the tagged cost; " +
      "anomalies and recommendations come from the data",
    async () => {
      execFileSync("cp", [join(FIXTURES, "focus-1.0-sample-1000.csv"), join(ws.dir, "sample.csv")]);
      await ws.write("environments/dev.yml", "budget:\n  monthly: 100\n");
      await ws.write(
        "environments/prod.yml",
        "production: true\nbudget:\n  monthly: 10\n  warn: 50\n",
      );
      const result = await digest({ "focus-files": "sample.csv", period: "2024-09" });
      expect(result.exitCode).toBe(0);
      const report = JSON.parse(result.outputs.report ?? "");
      const byName = Object.fromEntries(
        report.environments.map((environment: { name: string }) => [environment.name, environment]),
      );
      const expected = await loadTotals();
      expect(byName.dev.budget).toMatchObject({ monthly: "100", status: expect.any(String) });
      expect(byName.prod.production).toBe(true);
      expect(byName.prod.budget.usedPercent).toBe(
        Math.round((Number(expected.environments.prod!.billed) / 10) * 1000) / 10,
      );
      expect(result.summary).toContain("#### Budget burn and month-end forecast");
    },
  );

  it("creates the period's issue once and updates it on re-runs, and sends a short text to the webhook", async () => {
    const received: string[] = [];
    const hook: FixtureServer = await startHttpServer({
      "/hooks/T000/B000/secret-path": async (request, response) => {
        let body = "";
        for await (const chunk of request) body += String(chunk);
        received.push(body);
        response.writeHead(200).end("ok");
      },
    });
    try {
      execFileSync("cp", [join(FIXTURES, "focus-1.0-sample-1000.csv"), join(ws.dir, "sample.csv")]);
      const webhook = `${hook.url}/hooks/T000/B000/secret-path`;
      const inputs = {
        "focus-files": "*.csv",
        period: "2024-09",
        "digest-issue": "true",
        token: TOKEN,
        "webhook-url": webhook,
      };
      const first = await digest(inputs);
      expect(first.exitCode).toBe(0);
      const second = await digest(inputs);
      expect(second.exitCode).toBe(0);
      const issues = github.storedIssues(REPO);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({
        title: "Cost digest 2024-09 (2024-09-01..2024-09-30)",
        labels: ["cost-digest"],
      });
      expect(issues[0]!.body).toMatch(
        /^<!-- shipgate:cost-digest period="2024-09-01..2024-09-30" -->\n### 📊/,
      );
      expect(first.outputs["issue-url"]).toBe(second.outputs["issue-url"]);
      expect(github.callsTo("issues/create")).toHaveLength(1);
      expect(received).toHaveLength(2);
      const message = JSON.parse(received[0]!) as { text: string };
      expect(message.text).toContain("Cost digest 2024-09 (2024-09-01..2024-09-30): $");
      expect(message.text).toContain(first.outputs["issue-url"]);
      for (const result of [first, second]) {
        const visible = [...result.lines, ...Object.values(result.outputs), result.summary].join(
          "\n",
        );
        expect(visible).not.toContain("secret-path");
        expect(visible).not.toContain(TOKEN);
        expect(result.masked).toContain(webhook);
      }
    } finally {
      await hook.close();
    }
  });

  it("names the file and the missing columns of an export it cannot use, writing nothing", async () => {
    await ws.write("bad.csv", "BilledCost,ServiceName\n1.00,EC2\n");
    const result = await digest({ "focus-files": "bad.csv", period: "2024-09" });
    expectFailedAt(
      result,
      "bad.csv",
      1,
      "EffectiveCost, BillingCurrency, ChargePeriodStart missing",
    );
  });

  it("counts rows it cannot use, with reasons, instead of guessing", async () => {
    const header =
      "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ServiceName,SubAccountId,Tags";
    const rows = [
      '1.50,1.25,USD,2024-09-03 10:00:00,EC2,111,"{""environment"": ""prod""}"',
      "NULL,1.00,USD,2024-09-03 10:00:00,EC2,111,NULL",
      "abc,1.00,USD,2024-09-03 10:00:00,EC2,111,NULL",
      "2.00,2.00,EUR,2024-09-04 10:00:00,EC2,111,NULL",
      "3.00,3.00,USD,yesterday,EC2,111,NULL",
      "4.00,4.00,USD,2024-09-05T10:00:00Z,S3,222",
      '0.25,0.25,USD,2024-09-06T10:00:00Z,S3,222,"{""env"": ""prod""}"',
    ];
    await ws.write("mixed.csv", `${header}\n${rows.join("\n")}\n`);
    const result = await digest({ "focus-files": "mixed.csv", period: "2024-09" });
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.outputs.report ?? "");
    expect(report.unusableRows).toEqual([
      { reason: "BilledCost is empty", count: 1, records: [2] },
      { reason: "BilledCost is not a number", count: 1, records: [3] },
      { reason: "BillingCurrency is EUR, not USD", count: 1, records: [4] },
      { reason: "ChargePeriodStart is not a date and time", count: 1, records: [5] },
      { reason: "has 6 fields where the header has 7", count: 1, records: [6] },
    ]);
    expect(result.outputs["total-billed"]).toBe("1.75");
    expect(asRecord(report.environments)).toEqual({
      prod: { billed: "1.5", effective: "1.25" },
      "(untagged)": { billed: "0.25", effective: "0.25" },
    });
    expect(result.summary).toContain("5 row(s) could not be used");
  });

  it("digests a generated 2,000,000-row export: totals known by construction", async () => {
    // Each generated row is one of four templates; row i falls on day i mod 30 of September 2024.
    const templates = [
      {
        billed: "0.00001605990",
        effective: "0.00001605990",
        service: "Elastic Load Balancing",
        environment: "dev",
      },
      {
        billed: "1.20000000000",
        effective: "0.95000000000",
        service: "Amazon Elastic Compute Cloud",
        environment: "prod",
      },
      {
        billed: "-0.00000000603",
        effective: "-0.00000000603",
        service: "AmazonCloudWatch",
        environment: "prod",
      },
      { billed: "0.01666666670", effective: "0", service: "Storage Accounts", environment: "" },
    ];
    const rows = 2_000_000;
    const path = join(ws.dir, "generated.csv");
    const out = createWriteStream(path);
    out.write(
      "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ServiceName,SubAccountId,SubAccountName,Tags\n",
    );
    let batch = "";
    for (let i = 0; i < rows; i++) {
      const template = templates[i % 4]!;
      const day = String((i % 30) + 1).padStart(2, "0");
      const tags = template.environment
        ? `"{""environment"": ""${template.environment}""}"`
        : "NULL";
      batch +=
        `${template.billed},${template.effective},USD,` +
        `2024-09-${day} ${String(i % 24).padStart(2, "0")}:00:00,` +
        `"${template.service}",${1000 + (i % 3)},"Account ${i % 3}",${tags}\n`;
      if (batch.length > 1 << 20) {
        if (!out.write(batch)) await once(out, "drain");
        batch = "";
      }
    }
    out.end(batch);
    await once(out, "finish");
    const result = await digest({ "focus-files": "generated.csv", period: "2024-09" });
    expect(result.exitCode).toBe(0);
    // 500,000 rows per template: billed 500,000 × (0.0000160599 + 1.2 - 0.00000000603 + 0.0166666667).
    expect(result.outputs["total-billed"]).toBe("608341.360285");
    expect(result.outputs["total-effective"]).toBe("475008.026935");
    const report = JSON.parse(result.outputs.report ?? "");
    expect(report.rows).toBe(rows);
    expect(asRecord(report.environments)).toEqual({
      dev: { billed: "8.02995", effective: "8.02995" },
      prod: { billed: "599999.996985", effective: "474999.996985" },
      "(untagged)": { billed: "8333.33335", effective: "0" },
    });
  }, 180_000);
});
