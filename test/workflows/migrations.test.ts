// Migrations in the reusable workflows, rehearsed as GitHub runs them (real bundles, bash for
// `run:`, a real PostgreSQL for migration-check's proof), on the demo of examples/migrations:
// pr-checks.yml with migrations-path flags the pull request that renames a column; deploy.yml with
// require-safe-migrations refuses a canary of that rename before anything is deployed (compared
// with the environment's last successful deployment's commit), lets its expand/contract rewrite
// through, and does not hold back a rolling deploy.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGitHubClient, type GitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { runWorkflow, type JobRun, type WorkflowRun } from "../../tools/rehearsal/executor.js";
import { ROOT } from "../../tools/runner/run-action.js";
import { findSecrets, githubPlaces } from "../support/secrets.js";

const REPOSITORY = "octo-org/orders";
const [OWNER, REPO] = REPOSITORY.split("/") as [string, string];
const SHIPGATE_SHA = "5b1e7c0ffee0d15ea5e0ba5eba11c0de0ddba115";
const DEMO = join(ROOT, "examples/migrations");
const MIGRATIONS = "db/migrations";
const OLD_QUERIES = "db/old-queries.sql";
const TOKEN = "ghs_RehearsalToken4471";

/** A canary with shell hooks that leave a trace and no gate; its health check asks `health`. */
const production = () => `production: true
deploy:
  strategy: canary
  steps: [50, 100]
  skip-analysis: true
  hooks:
    deploy: echo deploy {{ version }} >> hooks.log
    traffic: echo traffic {{ weight }} >> hooks.log
health:
  checks:
    - name: up
      url: ${healthUrl}
      conditions: ["[STATUS] == 200"]
`;

let github: GitHubStandIn;
let client: GitHubClient;
let workspace: string;
let health: Server;
let healthUrl: string;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  health = createServer((_request, response) => response.end("ok"));
  await new Promise<void>((resolve) => health.listen(0, "127.0.0.1", resolve));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/healthz`;
  client = createGitHubClient({
    token: "t0ken",
    baseUrl: github.url,
    secondMs: 1,
    getCache: false,
  });
}, 60_000);
afterAll(async () => {
  health.close();
  await github.stop();
});

beforeEach(async () => {
  github.reset();
  workspace = await mkdtemp(join(tmpdir(), "shipgate-migrations-wf-"));
  return () => rm(workspace, { recursive: true, force: true });
});

const git = (...args: string[]) =>
  execFileSync(
    "git",
    ["-C", workspace, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
    { encoding: "utf8" },
  ).trim();

/** Copies the demo's folder `from` (db/ and below) into the workspace's db/. */
const add = (from: string) =>
  cp(join(DEMO, from, "db"), join(workspace, "db"), { recursive: true });

/** Commits what the workspace holds; returns the commit. */
function commit(message: string): string {
  if (!existsSync(join(workspace, ".git"))) git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", message);
  return git("rev-parse", "HEAD");
}

/** The base branch (the demo's three migrations and 1.4's queries), then `change` on top of it. */
async function history(
  change: "rename" | "expand-contract",
): Promise<{ base: string; head: string }> {
  await writeFile(join(workspace, ".gitignore"), "hooks.log\n.shipgate-deployed/\n");
  await mkdir(join(workspace, "environments"));
  await writeFile(join(workspace, "environments", "production.yml"), production());
  await add(".");
  const base = commit("base");
  await add(change);
  return { base, head: commit(change) };
}

const rehearse = (file: string, inputs: Record<string, string | boolean>, github_: object) =>
  runWorkflow(file, inputs, {
    root: ROOT,
    workspace,
    checkouts: { "./.shipgate/": ROOT },
    github: {
      repository: REPOSITORY,
      apiUrl: github.url,
      token: TOKEN,
      ...github_,
    },
    stepTimeoutMs: 180_000,
    ...(process.env.REHEARSAL_LOG ? { onLine: (line: string) => console.log(line) } : {}),
  });

/** Every step's log (less the ::add-mask:: commands the runner consumes), outputs and summary; every GitHub write. */
function places(run: WorkflowRun): Record<string, string> {
  const texts: Record<string, string> = githubPlaces(github);
  for (const job of Object.values(run.jobs))
    for (const each of job.steps) {
      const where = `${job.id}/${each.id}`;
      texts[`${where} log`] = each.log
        .split("\n")
        .filter((line) => !line.startsWith("::add-mask::"))
        .join("\n");
      texts[`${where} outputs`] = JSON.stringify(each.outputs);
      texts[`${where} summary`] = each.summary;
    }
  return texts;
}

const step = (job: JobRun | undefined, id: string) =>
  job?.steps.find((candidate) => candidate.id === id);

const report = (job: JobRun | undefined) =>
  JSON.parse(
    step(job, job?.steps.some((s) => s.id === "check") ? "check" : "migrations")?.outputs.report ??
      "{}",
  ) as {
    statements: { sql: string; findings: string[]; oldQueriesBroken: string[]; verdict: string }[];
  };

describe("pr-checks.yml with migrations-path", () => {
  it("flags the pull request that renames a column: the rule, and 1.4's queries proven broken", async () => {
    const { base, head } = await history("rename");
    const number = github.seedPullRequest(REPOSITORY, {
      title: "Call a customer's name display_name",
      author: "octocat",
      commits: [head],
    });
    // The base checkout (path .base) the migrations job reads the running version's queries from.
    await cp(join(DEMO, "db"), join(workspace, ".base", "db"), { recursive: true });
    const run = await rehearse(
      ".github/workflows/pr-checks.yml",
      {
        "migrations-path": MIGRATIONS,
        "migrations-old-queries": OLD_QUERIES,
        "shipgate-ref": SHIPGATE_SHA,
      },
      {
        sha: head,
        eventName: "pull_request",
        event: { number, pull_request: { number, base: { sha: base }, head: { sha: head } } },
      },
    );
    const job = run.jobs.migrations;
    expect(job?.result).toBe("failure");
    expect(step(job, "check")?.with).toMatchObject({
      path: MIGRATIONS,
      "base-ref": base,
      "old-queries": `.base/${OLD_QUERIES}`,
      "fail-on": "unsafe",
    });
    expect(step(job, "check")?.outputs.result).toBe("unsafe");
    expect(run.outputs["migrations-result"]).toBe("unsafe");
    const rename = report(job).statements.find((s) => s.sql.includes("RENAME COLUMN"));
    expect(rename?.findings).toEqual(["renaming-column"]);
    expect(rename?.oldQueriesBroken).toHaveLength(5);
    expect(step(job, "check")?.summary).toContain('column "name" does not exist');
    // The report as the pull request's sticky comment, through the workflow's token.
    const comments = github
      .callsTo("issues/create-comment")
      .map((call) => (call.requestBody as { body: string }).body);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain("renaming-column");
    expect(findSecrets(places(run), [TOKEN])).toEqual([]);
  });
});

describe("deploy.yml with require-safe-migrations", () => {
  /** Production runs the base commit: a successful canary of 1.4.0 recorded at it. */
  async function deployed(sha: string): Promise<void> {
    const { data } = await client.request("POST /repos/{owner}/{repo}/deployments", {
      owner: OWNER,
      repo: REPO,
      ref: sha,
      environment: "production",
      payload: { version: "1.4.0", strategy: "canary", slot: "blue" },
      required_contexts: [],
      auto_merge: false,
    });
    await client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
      owner: OWNER,
      repo: REPO,
      deployment_id: (data as { id: number }).id,
      state: "success",
    });
  }

  async function deploy(
    head: string,
    inputs: Record<string, string | boolean> = {},
  ): Promise<WorkflowRun> {
    return rehearse(
      ".github/workflows/deploy.yml",
      {
        environment: "production",
        version: "1.5.0",
        "require-safe-migrations": true,
        "migrations-path": MIGRATIONS,
        "migrations-old-queries": OLD_QUERIES,
        "shipgate-ref": SHIPGATE_SHA,
        ...inputs,
      },
      { sha: head, eventName: "workflow_dispatch", event: {} },
    );
  }

  const created = () =>
    github
      .callsTo("repos/create-deployment")
      .map((call) => (call.requestBody as { payload: { version?: string } }).payload)
      .filter((payload) => payload.version === "1.5.0");
  const hooks = () => readFile(join(workspace, "hooks.log"), "utf8").catch(() => "");

  it("refuses a canary of the rename before deploying anything", async () => {
    const { base, head } = await history("rename");
    await deployed(base);
    const run = await deploy(head);
    const job = run.jobs.deploy;
    expect(job?.result).toBe("failure");
    expect(run.outputs.result).toBe("failed");
    expect(step(job, "migrations-base")?.outputs).toMatchObject({
      check: "true",
      "base-ref": base,
    });
    expect(step(job, "migrations")?.outputs.result).toBe("unsafe");
    const rename = report(job).statements.find((s) => s.sql.includes("RENAME COLUMN"));
    expect(rename?.oldQueriesBroken).toHaveLength(5);
    expect(step(job, "deploy")?.outcome).toBe("skipped");
    expect(step(job, "conclude")?.log).toContain(
      "not deployed: require-safe-migrations, and migration-check's result is unsafe",
    );
    expect(created()).toEqual([]);
    expect(await hooks()).toBe("");
    expect(findSecrets(places(run), [TOKEN])).toEqual([]);
  });

  it("lets the expand/contract rewrite through: compared with the deployed commit, safe, deployed", async () => {
    const { base, head } = await history("expand-contract");
    await deployed(base);
    const run = await deploy(head);
    const job = run.jobs.deploy;
    expect(step(job, "migrations")?.outputs.result).toBe("safe");
    expect(step(job, "migrations")?.with["old-queries"]).toBe(`.shipgate-deployed/${OLD_QUERIES}`);
    expect(report(job).statements.every((s) => s.oldQueriesBroken.length === 0)).toBe(true);
    expect(job?.result).toBe("success");
    expect(run.outputs.result).toBe("deployed");
    expect(created()).toContainEqual(
      expect.objectContaining({ version: "1.5.0", strategy: "canary" }),
    );
    expect(await hooks()).toContain("deploy 1.5.0");
  });

  it("takes every migration as new when nothing was deployed, and never holds back a rolling deploy", async () => {
    const { head } = await history("rename");
    // A canary where nothing was deployed yet: no old version runs, every migration is the deploy's.
    const first = await deploy(head);
    const listed = step(first.jobs.deploy, "migrations-base")?.outputs["changed-files"];
    expect(listed?.split("\n").filter(Boolean).sort()).toEqual([
      `${MIGRATIONS}/001_create_customers.sql`,
      `${MIGRATIONS}/002_create_orders.sql`,
      `${MIGRATIONS}/003_orders_by_customer.sql`,
      `${MIGRATIONS}/004_rename_customers_name.sql`,
    ]);
    expect(step(first.jobs.deploy, "migrations")?.with["old-queries"]).toBe("");

    const run = await deploy(head, { strategy: "rolling" });
    const job = run.jobs.deploy;
    expect(step(job, "migrations-base")?.outputs.check).toBe("false");
    expect(step(job, "migrations")?.outcome).toBe("skipped");
    expect(run.outputs.result).toBe("deployed");
    expect(await hooks()).toContain("deploy 1.5.0");
  });
});
