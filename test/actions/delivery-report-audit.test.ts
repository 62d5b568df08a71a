// delivery-report with mode audit, bundled, against the GitHub stand-in holding a quarter of
// production with one deployment per violation, a clean one and one rolled back with its incident
// (opened by shipgate's own incident code), plus two drills on staging. Every request and answer
// is checked against GitHub's OpenAPI description. UPDATE_SCREENSHOTS=1 refreshes
// docs/audit-dashboard.png from headless Chromium (Debian).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { parse } from "csv-parse/sync";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { reportIncident } from "../../src/incidents/incidents.js";
import { createGitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { ROOT, runAction, type ActionResult } from "../../tools/runner/run-action.js";

const REPOSITORY = "octo-org/shop";
const DAY = 86_400_000;
const MINUTE = 60_000;
let github: GitHubStandIn;
let workspace: string;
let result: ActionResult;
let ids: Record<string, number>;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Seeds the history; returns each deployment's id by name. */
async function seedQuarter(now: number): Promise<Record<string, number>> {
  const day = (n: number, minutes = 0) => iso(now - n * DAY + minutes * MINUTE);
  const seeded: Record<string, number> = {};
  let parent = github.seedCommit(REPOSITORY, { message: "initial", date: day(120) });
  const commit = (message: string, date: string) => {
    parent = github.seedCommit(REPOSITORY, { message, date, parents: [parent] });
    return parent;
  };
  /** A pull request: its branch commit and the merge commit on main. */
  const merged = (
    title: string,
    author: string,
    date: string,
    reviews: { user: string; of: "head" | "older" }[],
  ) => {
    const older = commit(`${title} (first try)`, date);
    const head = commit(title, date);
    const merge = commit(`Merge: ${title}`, date);
    const number = github.seedPullRequest(REPOSITORY, {
      title,
      author,
      commits: [older, head],
      mergeCommitSha: merge,
      mergedAt: date,
    });
    for (const review of reviews)
      github.seedReview(REPOSITORY, number, {
        user: review.user,
        state: "APPROVED",
        commitId: review.of === "head" ? head : older,
        submittedAt: date,
      });
    return merge;
  };
  const passing = (sha: string) => {
    github.seedCheckRun(REPOSITORY, { headSha: sha, name: "build", conclusion: "success" });
    github.seedCommitStatus(REPOSITORY, { sha, context: "test", state: "success" });
  };
  const run = (triggeredBy: string, approver: string, comment: string) => {
    const user = github.seedUser(triggeredBy);
    const seededRun = github.seedWorkflowRun(REPOSITORY, {
      event: "workflow_dispatch",
      actor: user,
      triggering_actor: user,
    });
    github.seedRunApproval(REPOSITORY, {
      runId: Number(seededRun.id),
      environments: ["production"],
      state: "approved",
      user: approver,
      comment,
    });
    return String(seededRun.html_url);
  };
  const deploy = (
    name: string,
    sha: string,
    created: string,
    options: {
      version: string;
      runUrl?: string;
      state?: "success" | "failure";
      description?: string;
      payload?: Record<string, unknown>;
      task?: string;
      environment?: string;
    },
  ) => {
    seeded[name] = github.seedDeployment(REPOSITORY, {
      environment: options.environment ?? "production",
      sha,
      createdAt: created,
      ...(options.task ? { task: options.task } : {}),
      payload: { version: options.version, strategy: "canary", ...options.payload },
      statuses: [
        {
          state: "in_progress",
          at: created,
          ...(options.runUrl ? { logUrl: options.runUrl } : {}),
        },
        {
          state: options.state ?? "success",
          at: created.replace(/:00Z$/, ":20Z"),
          description: options.description ?? `${options.version} is live`,
          ...(options.runUrl ? { logUrl: options.runUrl } : {}),
        },
      ],
    });
  };
  const rollback = (name: string, of: string, sha: string, at: string, version: string) => {
    seeded[name] = github.seedDeployment(REPOSITORY, {
      environment: "production",
      sha,
      createdAt: at,
      payload: { version, strategy: "rollback", rollback_of: seeded[of] },
      statuses: [{ state: "success", at, description: `${version} restored` }],
    });
  };

  // Before the window: what was live when it began.
  const base = merged("Base", "alice", day(100), [{ user: "bob", of: "head" }]);
  passing(base);
  deploy("D0", base, day(100, 60), { version: "1.0.0", runUrl: run("carol", "dave", "ok") });

  const clean = merged("Search", "alice", day(80), [{ user: "bob", of: "head" }]);
  passing(clean);
  deploy("clean", clean, day(80, 60), {
    version: "1.1.0",
    runUrl: run("carol", "dave", "ship it"),
  });

  const direct = commit("hotfix pushed to main", day(70));
  passing(direct);
  deploy("noPull", direct, day(70, 60), { version: "1.1.1", runUrl: run("carol", "dave", "ok") });

  const unreviewed = merged("Checkout", "erin", day(60), [
    { user: "erin", of: "head" },
    { user: "bob", of: "older" },
  ]);
  passing(unreviewed);
  deploy("noApproval", unreviewed, day(60, 60), {
    version: "1.2.0",
    runUrl: run("carol", "dave", "ok"),
  });

  const selfApproved = merged("Cart", "alice", day(50), [{ user: "bob", of: "head" }]);
  passing(selfApproved);
  deploy("selfApproved", selfApproved, day(50, 60), {
    version: "1.3.0",
    runUrl: run("dave", "dave", "approving my own run"),
  });

  const failing = merged("Payments", "alice", day(40), [{ user: "bob", of: "head" }]);
  github.seedCheckRun(REPOSITORY, { headSha: failing, name: "build", conclusion: "failure" });
  deploy("checks", failing, day(40, 60), { version: "1.4.0", runUrl: run("carol", "dave", "ok") });

  const frozen = merged("Banner", "alice", day(30), [{ user: "bob", of: "head" }]);
  passing(frozen);
  deploy("freeze", frozen, day(30, 60), {
    version: "1.5.0",
    runUrl: run("carol", "dave", "ok"),
    payload: {
      freeze_override: { window: "year-end (Dec 20 - Jan 2)", reason: "CVE-2026-1234 fix" },
    },
  });

  const broken = merged("Recommendations", "alice", day(20), [{ user: "bob", of: "head" }]);
  passing(broken);
  deploy("rolledBack", broken, day(20, 60), {
    version: "1.6.0",
    runUrl: run("carol", "dave", "ok"),
    state: "failure",
    description: "canary gate failed at 10%: error rate 4.8% over 1%",
  });
  rollback("R1", "rolledBack", frozen, day(20, 62), "1.5.0");

  const brokenAgain = merged("Recommendations v2", "alice", day(10), [{ user: "bob", of: "head" }]);
  passing(brokenAgain);
  deploy("withIncident", brokenAgain, day(10, 60), {
    version: "1.6.1",
    runUrl: run("carol", "dave", "ok"),
    state: "failure",
    description: "canary gate failed at 25%: p95 latency +40%",
  });
  rollback("R2", "withIncident", frozen, day(10, 62), "1.5.0");
  // The incident as deploy opens it: shipgate's own incident code, through the API.
  const client = createGitHubClient({ token: "t", baseUrl: github.url, secondMs: 1 });
  await reportIncident(
    client,
    { owner: "octo-org", repo: "shop" },
    {
      environment: "production",
      cause: "rollback",
      service: "shop",
      version: "1.6.1",
      previousVersion: "1.5.0",
      strategy: "canary",
      result: "rolled-back",
      reason: "canary gate failed at 25%: p95 latency +40%",
      deploymentId: seeded.withIncident as number,
      rollbackDeploymentId: seeded.R2 as number,
      gate: [],
      failures: [],
      at: day(10, 62),
    },
  );

  // Drills on staging: never audited as changes.
  const drill = (name: string, at: string, payload: Record<string, unknown>) =>
    deploy(name, broken, at, {
      version: "9.0.0-drill",
      environment: "staging",
      task: "deploy:drill",
      state: "failure",
      description: "drill rolled back",
      payload: { drill: payload },
    });
  drill("drillRollback", day(6), {
    kind: "rollback",
    rto_seconds: 300,
    recovery_seconds: 48,
    passed: true,
  });
  drill("drillRestore", day(3), {
    kind: "restore",
    rto_seconds: 1800,
    recovery_seconds: 1260,
    rpo_seconds: 3600,
    backup_age_seconds: 5400,
    passed: false,
  });
  return seeded;
}

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  github.seedRequiredChecks(REPOSITORY, "main", ["build", "test"]);
  workspace = await mkdtemp(join(tmpdir(), "shipgate-audit-"));
  ids = await seedQuarter(Date.now());
  result = await runAction({
    action: "delivery-report",
    workspace,
    repository: REPOSITORY,
    apiUrl: github.url,
    inputs: {
      mode: "audit",
      "output-file": "evidence/dashboard.html",
      "evidence-csv": "evidence/changes.csv",
      "evidence-json": "evidence/changes.json",
      token: "test-token",
    },
  });
}, 60_000);

afterAll(async () => {
  await github.stop();
  await rm(workspace, { recursive: true, force: true });
});

interface Audited {
  id: number;
  version: string;
  violations: { kind: string; message: string }[];
  pullRequests: { number: number; author: string }[];
  run?: { triggeredBy?: string };
  approvals: { reviewer: string; comment: string }[];
  incident?: { number: number };
  rollback?: { id: number };
  canary: { verdict: string };
}

const EXPECTED: Record<string, string[]> = {
  "1.1.0": [],
  "1.1.1": ["no-pull-request"],
  "1.2.0": ["no-independent-approval"],
  "1.3.0": ["self-approved-deployment"],
  "1.4.0": ["required-checks"],
  "1.5.0": ["deployed-in-freeze"],
  "1.6.0": ["rollback-without-incident"],
  "1.6.1": [],
};

describe("delivery-report mode audit", () => {
  it("judges every production deployment of the last 90 days, each violation where it was planted", async () => {
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(await readFile(result.outputs["evidence-json"] as string, "utf8")) as {
      environment: string;
      requiredChecks: { names: string[]; source: string };
      deployments: Audited[];
      drills: { id: number; passed: boolean }[];
    };
    expect(json.environment).toBe("production");
    expect(json.requiredChecks).toEqual({ names: ["build", "test"], source: "branch protection" });
    expect(
      Object.fromEntries(
        json.deployments.map((item) => [item.version, item.violations.map((v) => v.kind)]),
      ),
    ).toEqual(EXPECTED);
    const byVersion = new Map(json.deployments.map((item) => [item.version, item]));
    expect(byVersion.get("1.1.0")).toMatchObject({
      pullRequests: [{ author: "alice" }],
      run: { triggeredBy: "carol" },
      approvals: [{ reviewer: "dave", comment: "ship it" }],
      canary: { verdict: "passed" },
    });
    expect(byVersion.get("1.2.0")?.violations[0]?.message).toMatch(
      /approved by its author erin; bob approved [0-9a-f]{7}, an older commit/,
    );
    expect(byVersion.get("1.4.0")?.violations[0]?.message).toBe("build: failure; test: missing");
    expect(byVersion.get("1.6.1")).toMatchObject({
      rollback: { id: ids.R2 },
      incident: { number: expect.any(Number) },
      canary: { verdict: "failed" },
    });
    expect(json.drills.map((drill) => [drill.id, drill.passed])).toEqual([
      [ids.drillRollback, true],
      [ids.drillRestore, false],
    ]);
    expect(result.outputs.violations).toBe("6");
    expect(github.requestViolations).toEqual([]);
    expect(github.responseViolations).toEqual([]);
    expect(github.unimplementedCalls).toEqual([]);
    expect(result.masked).toContain("test-token");
  });

  it("writes the same evidence as CSV, one row per deployment and per drill", async () => {
    const csv = await readFile(result.outputs["evidence-csv"] as string, "utf8");
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.record, row.version, row.violations])).toEqual([
      ...Object.entries(EXPECTED).map(([version, kinds]) => [
        "deployment",
        version,
        kinds.join(" "),
      ]),
      ["drill", "9.0.0-drill", ""],
      ["drill", "9.0.0-drill", ""],
    ]);
    const freeze = rows.find((row) => row.version === "1.5.0");
    expect(freeze?.freeze_override).toBe("year-end (Dec 20 - Jan 2): CVE-2026-1234 fix");
    expect(rows.find((row) => row.version === "1.3.0")?.environment_approval).toBe(
      'dave approved: "approving my own run"',
    );
  });

  it("summarises the audit in the job summary, drills apart", () => {
    expect(result.summary).toContain("8 deployment(s) to production");
    expect(result.summary).toContain("2 clean, 6 with violations");
    expect(result.summary).toContain("Required checks (branch protection): build, test.");
    expect(result.summary).toContain("| Rolled back without an incident | 1 |");
    expect(result.summary).toContain("#### Recovery drills (not audited as changes)");
    expect(result.summary).toContain(
      "| staging | restore | 21 min / 30 min | 1 h 30 min / 1 h (over) | failed |",
    );
  });

  it("puts the audit section first in the self-contained dashboard, with each flag", async () => {
    const html = await readFile(result.outputs["output-file"] as string, "utf8");
    const section = html.slice(html.indexOf('<section class="audit"'), html.indexOf("</section>"));
    expect(section).toContain("Change evidence: production");
    expect(section.match(/<tr class="bad">/g)).toHaveLength(6);
    expect(section.match(/<span class="clean">clean<\/span>/g)).toHaveLength(2);
    expect(section).toContain('<span class="flag" title="deployed during year-end');
    expect(html.indexOf('<section class="audit"')).toBeLessThan(
      html.indexOf('class="environment"'),
    );
    expect(html).toContain("<h2>Recovery drills</h2>");
    expect(html).not.toMatch(/<script|<link|<img/);
  });

  it("refuses two environments in mode audit, naming the input", async () => {
    const bad = await runAction({
      action: "delivery-report",
      workspace,
      repository: REPOSITORY,
      apiUrl: github.url,
      inputs: { mode: "audit", environments: "production, staging", token: "another-token" },
    });
    expect(bad.exitCode).toBe(1);
    expect(bad.annotations[0]?.message).toBe(
      'input "environments": mode audit reports one environment (got production, staging)',
    );
  });
});

function chromium(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile("chromium", args, { timeout: 60_000 }, (error) => (error ? reject(error) : resolve())),
  );
}

describe("the audit section in headless Chromium", () => {
  it("renders and makes the README's screenshot", async () => {
    const screenshot = join(workspace, "audit-dashboard.png");
    const profile = await mkdtemp(join(tmpdir(), "shipgate-chromium-"));
    try {
      await chromium([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        `--user-data-dir=${profile}`,
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--hide-scrollbars",
        "--window-size=1400,1100",
        `--screenshot=${screenshot}`,
        pathToFileURL(result.outputs["output-file"] as string).href,
      ]);
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
    const png = await readFile(screenshot);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1400);
    expect((await stat(screenshot)).size).toBeGreaterThan(20_000);
    if (process.env.UPDATE_SCREENSHOTS === "1")
      await copyFile(screenshot, join(ROOT, "docs", "audit-dashboard.png"));
  }, 120_000);
});
