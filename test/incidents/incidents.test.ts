// Incident issues against the GitHub API stand-in: open, update on a re-run and on a new
// occurrence, close on success, and a second success does nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import type { DeployReport } from "../../src/deploy/report.js";
import { deployEvidence, incidentCause } from "../../src/deploy/incident-evidence.js";
import { reportIncident, resolveIncidents } from "../../src/incidents/incidents.js";
import { incidentBody } from "../../src/incidents/render.js";
import { createGitHubClient, type GitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";

const REPOSITORY = "octo-org/demo-api";
const repository = { owner: "octo-org", repo: "demo-api" };
let github: GitHubStandIn;
let client: GitHubClient;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  client = createGitHubClient({ token: "test-token", baseUrl: github.url, secondMs: 1 });
});
afterAll(() => github.stop());
beforeEach(() => github.reset());

const rolledBack = (deploymentId: number, version = "1.2.0"): DeployReport => ({
  environment: "production",
  version,
  previousVersion: "1.1.0",
  strategy: "canary",
  deploymentId,
  rollbackDeploymentId: deploymentId + 1,
  result: "rolled-back",
  reason: "the canary gate said roll back at 10%: error-rate broke its threshold",
  cancelled: false,
  timeline: [
    {
      at: "2025-03-01T10:00:06Z",
      elapsedMs: 6000,
      step: "traffic",
      ok: true,
      slot: "green",
      weight: 10,
      detail: "traffic hook done",
    },
    {
      at: "2025-03-01T10:00:16Z",
      elapsedMs: 16000,
      step: "gate",
      ok: false,
      slot: "green",
      weight: 10,
      verdict: "rollback",
      score: 12.5,
      detail: "error-rate broke its threshold (0.05 > 0.01)",
    },
    {
      at: "2025-03-01T10:00:17Z",
      elapsedMs: 17000,
      step: "rollback",
      ok: true,
      slot: "blue",
      weight: 100,
      detail: "stable restored",
    },
  ],
  figures: { gateMs: 10000 },
});
const healthFailed: DeployReport = {
  ...rolledBack(30),
  reason: "health checks failed on the environment: healthz: 503",
  timeline: [
    {
      at: "2025-03-01T11:00:00Z",
      elapsedMs: 4000,
      step: "health",
      ok: false,
      slot: "green",
      detail: "the environment: healthz: 503 Service Unavailable",
    },
  ],
};
const evidence = (report: DeployReport) =>
  deployEvidence(report, incidentCause(report)!, {
    service: "demo-api",
    runUrl: "https://github.com/octo-org/demo-api/actions/runs/1658821493/attempts/1",
    deploymentsUrl: "https://github.com/octo-org/demo-api/deployments/production",
    at: "2025-03-01T10:00:17Z",
  });
const resolution = (deploymentId: number) => ({
  environment: "production",
  version: "1.2.1",
  deploymentId,
  runUrl: "https://github.com/octo-org/demo-api/actions/runs/2",
  at: "2025-03-01T12:00:00Z",
});

describe("incident evidence", () => {
  it("names the cause and carries the gate table, what failed and the links", () => {
    expect(incidentCause(rolledBack(10))).toBe("rollback");
    expect(incidentCause(healthFailed)).toBe("verification-failed");
    expect(incidentCause({ ...rolledBack(10), result: "deployed" })).toBeUndefined();
    const body = incidentBody(evidence(rolledBack(10)));
    expect(body.split("\n")[0]).toBe(
      '<!-- shipgate-incident environment="production" cause="rollback" -->',
    );
    expect(body).toContain(
      "| 10% | rollback | 12.5 | error-rate broke its threshold (0.05 &gt; 0.01) |",
    );
    expect(body).toContain(
      "- Workflow run: https://github.com/octo-org/demo-api/actions/runs/1658821493/attempts/1",
    );
    expect(body).toContain(
      "- Deployment #10, rollback recorded as deployment #11 " +
        "(https://github.com/octo-org/demo-api/deployments/production)",
    );
    expect(incidentBody(evidence(healthFailed))).toContain(
      "- health (green): the environment: healthz: 503 Service Unavailable",
    );
  });
});

describe("incident issues", () => {
  it("opens, updates on a re-run and a new occurrence, closes on success; a second success does nothing", async () => {
    const opened = await reportIncident(client, repository, evidence(rolledBack(10)));
    expect(opened).toMatchObject({ action: "opened", issue: 1 });
    // A re-run of the same deploy: the same issue, no second occurrence comment.
    expect(await reportIncident(client, repository, evidence(rolledBack(10)))).toMatchObject({
      action: "updated",
      issue: 1,
    });
    // It happens again with another version: the same issue, brought up to date.
    expect(
      await reportIncident(client, repository, evidence(rolledBack(20, "1.2.1"))),
    ).toMatchObject({ action: "updated", issue: 1 });

    let issues = github.storedIssues(REPOSITORY);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      state: "open",
      labels: ["incident", "env:production"],
      title: "Incident on production: deploy rolled back (1.2.1 rolled back to 1.1.0)",
    });
    expect(issues[0]?.body).toContain("| Version | 1.2.1 |");
    expect(
      github.storedComments(REPOSITORY, 1).map((comment) => comment.body.split("\n")[0]),
    ).toEqual([
      "<!-- shipgate-incident-occurrence deployment=10 -->",
      "<!-- shipgate-incident-occurrence deployment=20 -->",
    ]);

    // Another cause on the same environment is its own incident.
    expect(await reportIncident(client, repository, evidence(healthFailed))).toMatchObject({
      action: "opened",
      issue: 2,
    });

    const closed = await resolveIncidents(client, repository, resolution(40));
    expect(closed.map((action) => `${action.action} #${action.issue}`).sort()).toEqual([
      "closed #1",
      "closed #2",
    ]);
    issues = github.storedIssues(REPOSITORY);
    expect(issues.map((issue) => `${issue.number} ${issue.state} ${issue.stateReason}`)).toEqual([
      "1 closed completed",
      "2 closed completed",
    ]);
    expect(github.storedComments(REPOSITORY, 1).at(-1)?.body).toContain(
      "Resolved: `1.2.1` was deployed successfully to `production`",
    );

    const writesBefore = github.calls.filter((call) => call.method !== "GET").length;
    expect(await resolveIncidents(client, repository, resolution(50))).toEqual([
      { action: "none" },
    ]);
    expect(github.calls.filter((call) => call.method !== "GET").length).toBe(writesBefore);

    // After the close, a new failure opens a new incident rather than reopening the old one.
    expect(
      await reportIncident(client, repository, evidence(rolledBack(60, "1.3.0"))),
    ).toMatchObject({ action: "opened", issue: 3 });
    expect(github.requestViolations).toEqual([]);
    expect(github.responseViolations).toEqual([]);
  });

  it("leaves other environments' incidents alone", async () => {
    await reportIncident(client, repository, {
      ...evidence(rolledBack(10)),
      environment: "staging",
    });
    await reportIncident(client, repository, evidence(rolledBack(12)));
    await resolveIncidents(client, repository, resolution(14));
    expect(
      github.storedIssues(REPOSITORY).map((issue) => `${issue.labels.join(",")} ${issue.state}`),
    ).toEqual(["incident,env:staging open", "incident,env:production closed"]);
  });

  it("opens one issue and writes one comment even when GitHub's answers are lost", async () => {
    github.loseResponseNext("issues/create");
    const opened = await reportIncident(client, repository, evidence(rolledBack(20)));
    expect(opened.action).toBe("opened");
    github.loseResponseNext("issues/create-comment");
    await resolveIncidents(client, repository, resolution(22));
    const issues = github.storedIssues(REPOSITORY);
    expect(issues).toHaveLength(1);
    // The occurrence comment, then the resolution's, whose lost answer was not sent again.
    expect(github.callsTo("issues/create-comment").map((call) => call.status)).toEqual([201, 0]);
    const { data: comments } = await client.request(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      { ...repository, issue_number: opened.issue ?? 0 },
    );
    expect(comments.filter((comment) => comment.body?.includes("1.2.1"))).toHaveLength(1);
  });
});
