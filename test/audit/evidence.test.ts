// The audit's judgement on plain facts: reviews (independent, by the author, of an older commit),
// required checks, each violation on its own, a clean deployment, and the CSV an auditor opens.
import { describe, expect, it } from "@jest/globals";
import { parse } from "csv-parse/sync";
import {
  auditDeployment,
  checkProblems,
  judgeReviews,
  type DeploymentFacts,
  type PullRequestFact,
  type RequiredChecks,
} from "../../src/audit/evidence.js";
import { renderAuditCsv } from "../../src/audit/files.js";
import { renderAuditSection, renderAuditSummary } from "../../src/audit/render.js";
import { buildAuditReport } from "../../src/audit/report.js";

const HEAD = "a".repeat(40);
const OLDER = "b".repeat(40);
const REQUIRED: RequiredChecks = { names: ["build", "test"], source: "input" };

const pull = (overrides: Partial<PullRequestFact> = {}): PullRequestFact => ({
  number: 7,
  title: "Add search",
  url: "https://github.test/o/r/pull/7",
  author: "alice",
  headSha: HEAD,
  mergedAt: "2026-05-01T10:00:00Z",
  mergedCommitSha: "c".repeat(40),
  reviews: [{ reviewer: "bob", state: "APPROVED", commitId: HEAD }],
  ...overrides,
});

const clean = (overrides: Partial<DeploymentFacts> = {}): DeploymentFacts => ({
  id: 100,
  environment: "production",
  version: "1.2.0",
  sha: "c".repeat(40),
  strategy: "canary",
  createdAt: "2026-05-01T11:00:00Z",
  outcome: "success",
  resultDescription: "1.2.0 is live",
  analysisSkipped: false,
  commits: ["c".repeat(40)],
  commitsTotal: 1,
  commitsWithoutPullRequest: [],
  pullRequests: [pull()],
  run: {
    id: 5,
    url: "https://github.test/o/r/actions/runs/5",
    triggeredBy: "carol",
    actor: "carol",
  },
  approvals: [{ reviewer: "dave", state: "approved", comment: "ship it" }],
  checks: [
    { name: "build", source: "check", result: "success" },
    { name: "test", source: "status", result: "success" },
  ],
  ...overrides,
});

const kinds = (facts: DeploymentFacts, required = REQUIRED) =>
  auditDeployment(facts, required).violations.map((violation) => violation.kind);

describe("reviews", () => {
  it("tells an independent approval of the merged head from the author's and a stale one", () => {
    const verdict = judgeReviews(
      pull({
        reviews: [
          { reviewer: "bob", state: "APPROVED", commitId: OLDER },
          { reviewer: "Alice", state: "APPROVED", commitId: HEAD },
          { reviewer: "erin", state: "APPROVED", commitId: HEAD },
          { reviewer: "erin", state: "COMMENTED", commitId: HEAD },
          { reviewer: "frank", state: "APPROVED", commitId: HEAD },
          { reviewer: "frank", state: "CHANGES_REQUESTED", commitId: HEAD },
        ],
      }),
    );
    expect(verdict).toEqual({
      number: 7,
      independent: ["erin"],
      selfApprovals: ["Alice"],
      stale: [{ reviewer: "bob", commitId: OLDER }],
    });
  });
});

describe("required checks", () => {
  it("flags a failed, a pending and a missing required check; a neutral or skipped one passes", () => {
    expect(
      checkProblems(
        [
          { name: "build", source: "check", result: "failure" },
          { name: "build", source: "status", result: "failure" },
          { name: "lint", source: "check", result: "pending" },
          { name: "docs", source: "check", result: "skipped" },
        ],
        { names: ["build", "lint", "docs", "test"], source: "input" },
      ),
    ).toEqual([
      { name: "build", result: "failure, failure" },
      { name: "lint", result: "pending" },
      { name: "test", result: "missing" },
    ]);
  });

  it("without a required list, any failed check is a problem", () => {
    expect(
      checkProblems(
        [
          { name: "build", source: "check", result: "success" },
          { name: "e2e", source: "check", result: "timed_out" },
        ],
        { names: [], source: "none" },
      ),
    ).toEqual([{ name: "e2e", result: "timed_out" }]);
  });
});

describe("violations", () => {
  it("a clean deployment shows none", () => {
    const audited = auditDeployment(clean(), REQUIRED);
    expect(audited.violations).toEqual([]);
    expect(audited.canary).toEqual({ verdict: "passed", detail: "1.2.0 is live" });
  });

  it("no pull request: none at all, or a commit that came without one", () => {
    expect(kinds(clean({ pullRequests: [] }))).toEqual(["no-pull-request"]);
    const direct = auditDeployment(
      clean({
        commits: ["d".repeat(40), "c".repeat(40)],
        commitsWithoutPullRequest: ["d".repeat(40)],
      }),
      REQUIRED,
    );
    expect(direct.violations).toEqual([
      {
        kind: "no-pull-request",
        message: "commit(s) ddddddd reached production without a pull request",
      },
    ]);
  });

  it("merged without an independent approval: by its author, or of an older commit", () => {
    const audited = auditDeployment(
      clean({
        pullRequests: [
          pull({
            reviews: [
              { reviewer: "alice", state: "APPROVED", commitId: HEAD },
              { reviewer: "bob", state: "APPROVED", commitId: OLDER },
            ],
          }),
        ],
      }),
      REQUIRED,
    );
    expect(audited.violations).toEqual([
      {
        kind: "no-independent-approval",
        message:
          "#7 merged without an independent approval of its last commit " +
          "(approved by its author alice; bob approved bbbbbbb, an older commit)",
      },
    ]);
  });

  it("self-approved deployment: the approver triggered the run or wrote the change", () => {
    expect(
      kinds(clean({ approvals: [{ reviewer: "Carol", state: "approved", comment: "" }] })),
    ).toEqual(["self-approved-deployment"]);
    const byAuthor = auditDeployment(
      clean({ approvals: [{ reviewer: "alice", state: "approved", comment: "" }] }),
      REQUIRED,
    );
    expect(byAuthor.violations[0]?.message).toBe(
      "alice approved the production deployment and wrote #7",
    );
    // A rejection is no approval.
    expect(
      kinds(clean({ approvals: [{ reviewer: "carol", state: "rejected", comment: "" }] })),
    ).toEqual([]);
  });

  it("failed or missing required checks", () => {
    expect(
      kinds(clean({ checks: [{ name: "build", source: "check", result: "failure" }] })),
    ).toEqual(["required-checks"]);
  });

  it("deployed during a freeze, with the recorded override", () => {
    const audited = auditDeployment(
      clean({ freezeOverride: { window: "weekend (Fri 18:00-Mon 06:00)", reason: "hotfix CVE" } }),
      REQUIRED,
    );
    expect(audited.violations).toEqual([
      {
        kind: "deployed-in-freeze",
        message: "deployed during weekend (Fri 18:00-Mon 06:00); override: hotfix CVE",
      },
    ]);
  });

  it("rolled back without an incident; with one it is clean", () => {
    const rolledBack = clean({
      outcome: "rolled-back",
      resultDescription: "canary gate failed at 10%",
      rollback: { id: 101, createdAt: "2026-05-01T11:10:00Z", version: "1.1.0" },
    });
    const audited = auditDeployment(rolledBack, REQUIRED);
    expect(audited.violations.map((violation) => violation.kind)).toEqual([
      "rollback-without-incident",
    ]);
    expect(audited.canary.verdict).toBe("failed");
    expect(
      kinds({
        ...rolledBack,
        incident: { number: 3, url: "u", title: "Incident", state: "closed" },
      }),
    ).toEqual([]);
  });
});

describe("the report and its CSV", () => {
  it("counts deployments per violation and writes one CSV row per deployment and drill", () => {
    const report = buildAuditReport({
      repository: "o/r",
      environment: "production",
      window: { text: "90d", start: "2026-02-01T00:00:00Z", end: "2026-05-02T00:00:00Z" },
      requiredChecks: REQUIRED,
      facts: [
        clean({ id: 2, createdAt: "2026-05-01T12:00:00Z", pullRequests: [] }),
        clean({
          id: 1,
          freezeOverride: { window: '=HYPERLINK("x")', reason: "@reason, with a comma" },
        }),
      ],
      drills: [
        {
          id: 9,
          environment: "production",
          createdAt: "2026-04-01T00:00:00Z",
          kind: "rollback",
          rtoSeconds: 300,
          recoverySeconds: 40,
          passed: true,
          withinRto: true,
          withinRpo: null,
        },
        {
          id: 10,
          environment: "staging",
          createdAt: "2026-04-01T00:00:00Z",
          kind: "rollback",
          rtoSeconds: 300,
          recoverySeconds: 40,
          passed: true,
          withinRto: true,
          withinRpo: null,
        },
      ],
    });
    expect(report.deployments.map((deployment) => deployment.id)).toEqual([1, 2]);
    expect(report.totals).toMatchObject({ deployments: 2, clean: 0, withViolations: 2 });
    expect(report.totals.byKind).toMatchObject({ "no-pull-request": 1, "deployed-in-freeze": 1 });
    const rows = parse(renderAuditCsv(report), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.record, row.id, row.violations])).toEqual([
      ["deployment", "1", "deployed-in-freeze"],
      ["deployment", "2", "no-pull-request"],
      ["drill", "9", ""],
      ["drill", "10", ""],
    ]);
    // A cell a spreadsheet would run as a formula is defused.
    expect(rows[0]?.freeze_override).toBe('\'=HYPERLINK("x"): @reason, with a comma');
  });
});

describe("the summary and the dashboard section", () => {
  it("escape what others wrote: a pull request title, a comment, a freeze reason", () => {
    const report = buildAuditReport({
      repository: "o/r",
      environment: "production",
      window: { text: "90d", start: "2026-02-01T00:00:00Z", end: "2026-05-02T00:00:00Z" },
      requiredChecks: { names: [], source: "none", note: "main has no required status checks" },
      facts: [
        clean({
          pullRequests: [pull({ title: '<script>alert("x")</script>', author: "alice" })],
          approvals: [{ reviewer: "dave", state: "approved", comment: "<img src=x> | ok" }],
          freezeOverride: { window: "holidays", reason: "</td><b>urgent</b>" },
        }),
      ],
      drills: [],
    });
    const section = renderAuditSection(report);
    expect(section).not.toMatch(/<script|<img|<b>/);
    expect(section).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(section).toContain(
      '<span class="flag" title="deployed during holidays; override: &lt;/td&gt;',
    );
    const summary = renderAuditSummary(report);
    expect(summary).not.toMatch(/<img|<b>/);
    expect(summary).toContain('dave approved: "&lt;img src=x&gt; \\| ok"');
    expect(summary).toContain("No required checks (main has no required status checks)");
    expect(summary).toContain("| Deployed during a freeze | 1 |");
  });
});
