// env-config's protection mode through its bundle, against the GitHub stand-in: plan, apply,
// idempotence, a token without administration rights, and an unknown reviewer.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { runAction, type ActionResult } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";
import {
  errorBody,
  startGitHubStandIn,
  type GitHubStandIn,
} from "../../tools/github-standin/index.js";

const REPOSITORY = "octo-org/demo-api";
const TOKEN = "ghs_protectionTestToken0123456789";

let github: GitHubStandIn;
let ws: Workspace;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
});
afterAll(async () => {
  await github.stop();
});
beforeEach(async () => {
  github.reset();
  github.seedUser("mona");
  github.seedTeam("octo-org", "release-managers", "Release managers");
  ws = await createWorkspace();
});
afterEach(async () => {
  expect(github.requestViolations).toEqual([]);
  expect(github.responseViolations).toEqual([]);
  expect(github.unimplementedCalls).toEqual([]);
  await ws.remove();
});

const run = (inputs: Record<string, string> = {}): Promise<ActionResult> =>
  runAction({
    action: "env-config",
    workspace: ws.dir,
    inputs: { mode: "protection", token: TOKEN, ...inputs },
    apiUrl: github.url,
    repository: REPOSITORY,
  });

const writes = (): string[] =>
  github.calls.filter((call) => call.method !== "GET").map((call) => `${call.method} ${call.path}`);

/** The 1-based line of the first line of an environment file that starts with `prefix`. */
async function lineOf(file: string, prefix: string): Promise<number> {
  const lines = (await ws.read(`environments/${file}`)).split("\n");
  const index = lines.findIndex((line) => line.startsWith(prefix));
  if (index < 0) throw new Error(`${file} has no line starting with ${JSON.stringify(prefix)}`);
  return index + 1;
}

function expectNoTokenLeak(result: ActionResult): void {
  const visible = [...result.lines, ...Object.values(result.outputs), result.summary].join("\n");
  expect(visible).not.toContain(TOKEN);
}

/** Changes the live environment as someone in GitHub's settings page would. */
async function changeOnGitHub(environment: string, body: unknown): Promise<void> {
  const response = await fetch(`${github.url}/repos/${REPOSITORY}/environments/${environment}`, {
    method: "PUT",
    headers: { authorization: "token admin", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

describe("plan", () => {
  it("reports every declared setting GitHub lacks, as warnings on the keys' lines, and writes nothing", async () => {
    const result = await run();
    expect(result.exitCode).toBe(0);
    expect(writes()).toEqual([]);
    expect(result.outputs.drift).toBe("true");

    const changes = JSON.parse(result.outputs.changes ?? "") as Record<string, unknown>[];
    expect(
      changes.map((change) => `${String(change.environment)} ${String(change.setting)}`),
    ).toEqual([
      "production environment",
      "production wait-timer",
      "production required-reviewers",
      "production prevent-self-review",
      "production deployment-branch-policy",
      "staging environment",
      "staging deployment-branch-policy",
    ]);
    expect(changes[1]).toEqual({
      environment: "production",
      setting: "wait-timer",
      live: 0,
      desired: 10,
      action: "create",
      file: "environments/production.yml",
      line: await lineOf("production.yml", "  wait-timer:"),
    });
    expect(changes[4]?.desired).toEqual({
      custom: [
        { name: "main", type: "branch" },
        { name: "release/*", type: "branch" },
      ],
    });
    expect(changes[6]?.desired).toEqual({ "protected-branches": true });

    const warnings = result.annotations.filter((annotation) => annotation.level === "warning");
    expect(warnings.map(({ file, line, message }) => ({ file, line, message }))).toEqual([
      {
        file: "environments/production.yml",
        line: await lineOf("production.yml", "protection:"),
        message:
          "GitHub environment production does not exist yet; protection-action: apply creates it",
      },
      {
        file: "environments/production.yml",
        line: await lineOf("production.yml", "  wait-timer:"),
        message: "production: wait-timer is none on GitHub, declared 10 min",
      },
      {
        file: "environments/production.yml",
        line: await lineOf("production.yml", "  required-reviewers:"),
        message:
          "production: required-reviewers is none on GitHub, declared octo-org/release-managers, mona",
      },
      {
        file: "environments/production.yml",
        line: await lineOf("production.yml", "  prevent-self-review:"),
        message: "production: prevent-self-review is no on GitHub, declared yes",
      },
      {
        file: "environments/production.yml",
        line: await lineOf("production.yml", "  deployment-branch-policy:"),
        message:
          "production: deployment-branch-policy is any branch on GitHub, declared main, release/*",
      },
      {
        file: "environments/staging.yml",
        line: await lineOf("staging.yml", "protection:"),
        message:
          "GitHub environment staging does not exist yet; protection-action: apply creates it",
      },
      {
        file: "environments/staging.yml",
        line: await lineOf("staging.yml", "  deployment-branch-policy:"),
        message:
          "staging: deployment-branch-policy is any branch on GitHub, declared protected branches",
      },
    ]);
    expect(result.summary).toContain("### env-config protection: plan for `octo-org/demo-api`");
    expect(result.summary).toContain("| Environment | Setting | Live | Desired | Action |");
    expect(result.summary).toContain("| production | wait-timer | none | 10 min | create |");
    expect(result.summary).toContain(
      "| production | deployment-branch-policy | any branch | `main`, `release/*` | create |",
    );
    expect(result.summary).toContain("Not managed (no `protection` section): `development`.");
    expectNoTokenLeak(result);
  });

  it("fail-on-drift fails the step, each drift an error annotation", async () => {
    const result = await run({ "fail-on-drift": "true", environment: "staging" });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.drift).toBe("true");
    expect(
      result.annotations
        .filter((annotation) => annotation.level === "error")
        .map((annotation) => annotation.file),
    ).toEqual(["environments/staging.yml", "environments/staging.yml"]);
    expect(writes()).toEqual([]);
  });
});

describe("apply", () => {
  it("creates the environments' rules; a second apply writes nothing, and plan then finds no drift", async () => {
    const first = await run({ "protection-action": "apply" });
    expect(first.exitCode).toBe(0);
    expect(first.outputs.drift).toBe("true");
    expect(writes()).toEqual([
      "PUT /repos/octo-org/demo-api/environments/production",
      "POST /repos/octo-org/demo-api/environments/production/deployment-branch-policies",
      "POST /repos/octo-org/demo-api/environments/production/deployment-branch-policies",
      "PUT /repos/octo-org/demo-api/environments/staging",
    ]);
    const changes = JSON.parse(first.outputs.changes ?? "") as { applied: boolean }[];
    expect(changes.every((change) => change.applied)).toBe(true);
    expect(first.summary).toContain(
      "| production | required-reviewers | none | octo-org/release-managers, mona | created |",
    );

    // What GitHub now has, read straight from the API.
    const production = (await (
      await fetch(`${github.url}/repos/${REPOSITORY}/environments/production`, {
        headers: { authorization: "token t" },
      })
    ).json()) as { protection_rules: Record<string, unknown>[]; deployment_branch_policy: unknown };
    expect(production.deployment_branch_policy).toEqual({
      protected_branches: false,
      custom_branch_policies: true,
    });
    expect(production.protection_rules).toEqual([
      expect.objectContaining({ type: "wait_timer", wait_timer: 10 }),
      expect.objectContaining({
        type: "required_reviewers",
        prevent_self_review: true,
        reviewers: [
          expect.objectContaining({
            type: "User",
            reviewer: expect.objectContaining({ login: "mona" }),
          }),
          expect.objectContaining({
            type: "Team",
            reviewer: expect.objectContaining({ slug: "release-managers" }),
          }),
        ],
      }),
      expect.objectContaining({ type: "branch_policy" }),
    ]);
    expect(
      github
        .storedEnvironment(REPOSITORY, "production")
        ?.branchPatterns?.map(({ name, type }) => `${type} ${name}`),
    ).toEqual(["branch main", "branch release/*"]);
    expect(github.storedEnvironment(REPOSITORY, "staging")?.branchPolicy?.policy).toEqual({
      protected_branches: true,
      custom_branch_policies: false,
    });

    const callsBefore = github.calls.length;
    const second = await run({ "protection-action": "apply" });
    expect(second.exitCode).toBe(0);
    expect(second.outputs.drift).toBe("false");
    expect(second.outputs.changes).toBe("[]");
    expect(github.calls.slice(callsBefore).filter((call) => call.method !== "GET")).toEqual([]);
    // Reviewers already on the environment are matched by name: no user or team lookups either.
    expect(
      github.calls
        .slice(callsBefore)
        .map((call) => call.operationId)
        .sort(),
    ).toEqual([
      "repos/get-environment",
      "repos/get-environment",
      "repos/list-deployment-branch-policies",
    ]);
    expect(second.summary).toContain("No drift");

    const plan = await run();
    expect(plan.exitCode).toBe(0);
    expect(plan.outputs.drift).toBe("false");
    expect(plan.annotations.filter((annotation) => annotation.level === "warning")).toEqual([]);
    expect(plan.summary).toContain("| production | wait-timer | 10 min | 10 min | in sync |");
    expectNoTokenLeak(first);
  });

  it(
    "changes only what drifted: " +
      "a wait timer edited on GitHub is put back, a pattern added there is deleted",
    async () => {
      expect((await run({ "protection-action": "apply" })).exitCode).toBe(0);
      const mona = github.seedUser("mona");
      await changeOnGitHub("production", {
        wait_timer: 60,
        reviewers: [{ type: "User", id: mona.id }],
      });
      await fetch(
        `${github.url}/repos/${REPOSITORY}/environments/production/deployment-branch-policies`,
        {
          method: "POST",
          headers: { authorization: "token admin", "content-type": "application/json" },
          body: JSON.stringify({ name: "hotfix/*", type: "branch" }),
        },
      );

      const plan = await run({ environment: "production" });
      expect(plan.outputs.drift).toBe("true");
      expect(
        plan.annotations
          .filter((annotation) => annotation.level === "warning")
          .map(({ line, message }) => ({ line, message })),
      ).toEqual([
        {
          line: await lineOf("production.yml", "  wait-timer:"),
          message: "production: wait-timer is 60 min on GitHub, declared 10 min",
        },
        {
          line: await lineOf("production.yml", "  required-reviewers:"),
          message:
            "production: required-reviewers is mona on GitHub, declared octo-org/release-managers, mona",
        },
        {
          line: await lineOf("production.yml", "  deployment-branch-policy:"),
          message:
            "production: deployment-branch-policy is main, release/*, hotfix/* on GitHub, declared main, release/*",
        },
      ]);

      const before = github.calls.length;
      const apply = await run({ environment: "production", "protection-action": "apply" });
      expect(apply.exitCode).toBe(0);
      expect(
        github.calls
          .slice(before)
          .filter((call) => call.method !== "GET")
          .map((call) => [call.method, call.requestBody]),
      ).toEqual([
        [
          "PUT",
          {
            wait_timer: 10,
            prevent_self_review: true,
            reviewers: [
              { type: "Team", id: expect.any(Number) },
              { type: "User", id: mona.id },
            ],
            deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
          },
        ],
        ["DELETE", undefined],
      ]);
      expect((await run({ environment: "production" })).outputs.drift).toBe("false");
    },
  );
});

describe("refusals", () => {
  it("a token without administration rights fails clearly, naming the permission, with nothing applied", async () => {
    github.withoutAdministration();
    const result = await run({ "protection-action": "apply" });
    expect(result.exitCode).toBe(1);
    const errors = result.annotations.filter((annotation) => annotation.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain(
      'input "token": GitHub answered PUT environment production with 403 "Resource not accessible by integration"',
    );
    expect(errors[0]?.message).toContain('the repository permission "Administration: write"');
    expect(errors[0]?.message).toContain("The workflow's GITHUB_TOKEN cannot be granted it");
    expect(errors[0]?.message).toContain("Nothing was applied.");
    expect(writes()).toEqual(["PUT /repos/octo-org/demo-api/environments/production"]);
    expect(github.storedEnvironment(REPOSITORY, "production")).toBeUndefined();
    expect(result.summary).toContain("Apply stopped:");
    expect(result.summary).toContain("| production | wait-timer | none | 10 min | not applied |");
    expectNoTokenLeak(result);
  });

  it("a write failing part-way says what was applied before it", async () => {
    github.override("repos/create-deployment-branch-policy", () => ({
      status: 403,
      body: errorBody(403, "Must have admin rights to Repository."),
    }));
    const result = await run({ "protection-action": "apply", environment: "production" });
    expect(result.exitCode).toBe(1);
    const message =
      result.annotations.find((annotation) => annotation.level === "error")?.message ?? "";
    expect(message).toContain('403 "Must have admin rights to Repository."');
    expect(message).toContain(
      "Applied before the failure: production environment, production wait-timer, " +
        "production required-reviewers, production prevent-self-review.",
    );
    const changes = JSON.parse(result.outputs.changes ?? "") as {
      setting: string;
      applied: boolean;
    }[];
    expect(changes.filter((change) => !change.applied).map((change) => change.setting)).toEqual([
      "deployment-branch-policy",
    ]);
  });

  it("an unknown reviewer fails before any write, at its line in the environment file", async () => {
    const production = await ws.read("environments/production.yml");
    await ws.write(
      "environments/production.yml",
      production.replace("    - mona\n", "    - mona\n    - nobody-here\n"),
    );
    github.reset();
    github.seedTeam("octo-org", "release-managers");
    const result = await run({ "protection-action": "apply" });
    expect(result.exitCode).toBe(1);
    const errors = result.annotations.filter((annotation) => annotation.level === "error");
    expect(errors.map(({ file, line, message }) => ({ file, line, message }))).toEqual([
      {
        file: "environments/production.yml",
        line: await lineOf("production.yml", "    - mona"),
        message:
          `environments/production.yml:${await lineOf("production.yml", "    - mona")}` +
          " protection.required-reviewers: no GitHub user mona",
      },
      {
        file: "environments/production.yml",
        line: await lineOf("production.yml", "    - nobody-here"),
        message:
          `environments/production.yml:${await lineOf("production.yml", "    - nobody-here")}` +
          " protection.required-reviewers: no GitHub user nobody-here",
      },
    ]);
    expect(writes()).toEqual([]);
    expect(result.outputs).toEqual({});
  });

  it("an unknown team says which permission reading teams needs", async () => {
    github.reset();
    github.seedUser("mona");
    const result = await run({ environment: "production" });
    expect(result.exitCode).toBe(1);
    expect(
      result.annotations.find((annotation) => annotation.level === "error")?.message,
    ).toContain(
      "protection.required-reviewers: no team release-managers in organization octo-org that the token can see " +
        '(reading teams needs the organization permission "Members: read"',
    );
  });

  it("an environment without a protection section, asked for by name, is a mistake", async () => {
    const result = await run({ environment: "development" });
    expect(result.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toContain("development has no protection section");
    expect(github.calls).toEqual([]);
  });
});
