// deploy at its seams, through its bundle: the secrets of its health checks and hooks, the records
// it reads back, the GitHub calls that fail, hang or lose their answer, and what a deploy costs.
// Each secret is planted and then looked for, in every form, everywhere the run leaves text.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createGitHubClient, type GitHubClient } from "../../src/runtime/github.js";
import { handlers } from "../../tools/github-standin/handlers/index.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { runAction, type ActionResult } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";
import { json, startHttpServer, type FixtureServer } from "../support/http-fixtures.js";
import { startReceiver, type Receiver } from "../support/receivers.js";
import { findSecrets, githubPlaces, runPlaces } from "../support/secrets.js";

const REPOSITORY = "octo-org/seams";
const HEALTH_TOKEN = "hT0ken-5ecret-7781";
const HOOK_SECRET = "Hook-Pa55word-1930";
const OPS_HOOK_PATH = "/hooks/Ops-Secret-Path-4410";

let github: GitHubStandIn;
let client: GitHubClient;
let service: FixtureServer;
let receiver: Receiver;
let ws: Workspace;

/** The health endpoint echoes the Authorization header it got: a failing check would print it. */
beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  client = createGitHubClient({ token: "t", baseUrl: github.url, secondMs: 1, getCache: false });
  service = await startHttpServer({
    "/health": (request, response) => {
      const seen = request.headers.authorization === `Bearer ${HEALTH_TOKEN}` ? "ok" : "refused";
      const body = { seen, auth: request.headers.authorization ?? "" };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    },
    "/broken": json(200, { seen: "broken" }),
  });
  receiver = await startReceiver();
}, 60_000);

afterAll(async () => {
  await github.stop();
  await service.close();
  await receiver.stop();
});

const HOOK = `#!/usr/bin/env bash
# The lab-less target: each deploy writes the version it got; a version named "broken-*" fails.
echo "$2" >> deployed.txt
sleep "\${SLOW:-0}"
if [ -n "\${FAIL_WITH:-}" ]; then echo "the target refused: $FAIL_WITH" >&2; exit 3; fi
`;

function environmentFile(options: { path?: string; extra?: string } = {}): string {
  return `production: true
url: \${env:SERVICE_BASE}
deploy:
  strategy: rolling
  hooks:
    deploy: ./hook.sh deploy {{ version }}
health:
  checks:
    - name: api
      url: \${env:SERVICE_URL}${options.path ?? "/health"}
      headers: { Authorization: "Bearer \${secret:HEALTH_TOKEN}" }
      conditions: ["[STATUS] == 200", "[BODY].seen == ok"]
      interval: 100ms
      failure-threshold: 1
      deadline: 2s
notify:
  channels:
    - { type: webhook, name: ops, url: "\${secret:OPS_HOOK}" }
${options.extra ?? ""}`;
}

beforeEach(async () => {
  github.reset();
  receiver.received.length = 0;
  ws = await createWorkspace({ withExamples: false });
  await ws.write("hook.sh", HOOK);
  await ws.write("environments/production.yml", environmentFile());
  const { chmod } = await import("node:fs/promises");
  await chmod(join(ws.dir, "hook.sh"), 0o755);
});

async function seed(version: string, state: "success" | "in_progress" = "success") {
  const [owner, repo] = REPOSITORY.split("/") as [string, string];
  const created = await client.request("POST /repos/{owner}/{repo}/deployments", {
    owner,
    repo,
    ref: "main",
    environment: "production",
    payload: { version, strategy: "rolling" },
    required_contexts: [],
    auto_merge: false,
  });
  const id = Number((created.data as { id: number }).id);
  await client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
    owner,
    repo,
    deployment_id: id,
    state,
  });
  return id;
}

function deploy(
  inputs: Record<string, string>,
  options: {
    env?: Record<string, string>;
    onLine?: Parameters<typeof runAction>[0]["onLine"];
  } = {},
): Promise<ActionResult> {
  return runAction({
    action: "deploy",
    workspace: ws.dir,
    repository: REPOSITORY,
    apiUrl: github.url,
    inputs: { environment: "production", token: "test-token", ...inputs },
    env: {
      SERVICE_BASE: service.url,
      HEALTH_TOKEN,
      OPS_HOOK: `${receiver.url}${OPS_HOOK_PATH}`,
      ...options.env,
    },
    timeoutMs: 120_000,
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
}

/** Every place the run left text: the step, GitHub's records and the chat channel. */
function places(result: ActionResult): Record<string, string> {
  return {
    ...runPlaces(result),
    ...githubPlaces(github),
    webhook: receiver.received.map((request) => request.body).join("\n"),
  };
}

const SECRETS = [HEALTH_TOKEN, HOOK_SECRET, OPS_HOOK_PATH.slice(1)];

describe("deploy keeps its secrets", () => {
  it("masks a health check's secret header, even when the failing check prints it back", async () => {
    await seed("1.0.0");
    await ws.write("environments/production.yml", environmentFile({ path: "/broken" }));
    const failed = await deploy({ version: "1.0.1" });
    expect(failed.exitCode).toBe(1);
    expect(failed.masked).toContain(HEALTH_TOKEN);
    expect(findSecrets(places(failed), SECRETS)).toEqual([]);
  });

  it("keeps a hook's secret output out of the status, the incident and the webhook", async () => {
    await seed("1.0.0");
    const result = await deploy(
      { version: "1.0.1", secrets: JSON.stringify({ HOOK_SECRET }) },
      { env: { FAIL_WITH: `token ${HOOK_SECRET} expired` } },
    );
    expect(result.exitCode).toBe(1);
    const statuses = github.calls.filter(
      (call) => call.operationId === "repos/create-deployment-status",
    );
    expect(
      statuses.map((call) => (call.requestBody as { description: string }).description),
    ).toContainEqual(
      expect.stringContaining("deploy hook exited 3: the target refused: token *** expired"),
    );
    expect(github.callsTo("issues/create")).toHaveLength(1);
    expect(receiver.received.length).toBeGreaterThan(0);
    expect(findSecrets(places(result), SECRETS)).toEqual([]);
  });

  it("never echoes a secret used as a setting, even when the setting is refused", async () => {
    await ws.write(
      "environments/production.yml",
      environmentFile().replace("strategy: rolling", "strategy: rolling\n  timeout: ${secret:T}"),
    );
    const result = await deploy({ version: "1.0.1" }, { env: { T: "s3cret-timeout-value" } });
    expect(result.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toContain("deploy.timeout");
    expect(findSecrets(places(result), ["s3cret-timeout-value"])).toEqual([]);
  });
});

describe("deploy trusts no record it reads back", () => {
  it("ignores a version that is not semver: no hook runs it, no query carries it", async () => {
    await ws.write(
      "environments/production.yml",
      environmentFile().replace(
        "deploy: ./hook.sh deploy {{ version }}",
        'deploy: ./hook.sh deploy "{{ previous_version }}"',
      ),
    );
    await seed("$(touch pwned)");
    const result = await deploy({ version: "1.0.1" });
    expect(result.exitCode).toBe(0);
    expect(existsSync(join(ws.dir, "pwned"))).toBe(false);
    expect(result.outputs["previous-version"]).toBe("");
  });

  it("deploys a version with build metadata", async () => {
    const result = await deploy({ version: "1.2.3+build.7" });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.version).toBe("1.2.3+build.7");
  });
});

describe("deploy when GitHub misbehaves", () => {
  it("finds a deployment whose create lost its answer instead of creating a second", async () => {
    await seed("1.0.0");
    github.loseResponseNext("repos/create-deployment");
    const result = await deploy({ version: "1.0.1" });
    expect(result.exitCode).toBe(0);
    // The seeded one, and this deploy's: one create lost its answer, none was repeated.
    expect(github.callsTo("repos/create-deployment")).toHaveLength(2);
    const { data } = await client.request("GET /repos/{owner}/{repo}/deployments", {
      owner: "octo-org",
      repo: "seams",
    });
    expect(data).toHaveLength(2);
  });

  it("leaves a result GitHub did not take to the post step, which records it as it was", async () => {
    await seed("1.0.0");
    let refusing = true;
    github.override("repos/create-deployment-status", async (request, state) => {
      if (refusing && (request.body as { state?: string }).state === "success") {
        return { status: 502, body: { message: "Server Error" } };
      }
      return handlers["repos/create-deployment-status"]!(request, state);
    });
    const main = await deploy({ version: "1.0.1" });
    expect(main.exitCode).toBe(1);
    expect(main.outputs.result).toBe("deployed");
    expect(main.state).toMatchObject({ stage: "outcome" });
    expect(main.annotations.map((annotation) => annotation.message).join("\n")).toMatch(
      /ended deployed, but GitHub did not take its result .*the post step records it/,
    );

    refusing = false;
    const deployment = JSON.parse(main.state.deployment ?? "{}") as { id: number };
    const stateEnv = Object.fromEntries(
      Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]),
    );
    // The post step of the same job, against a GitHub that takes the write now.
    const post = await deploy({ version: "1.0.1" }, { env: stateEnv });
    expect(post.exitCode).toBe(0);
    const written = github.calls.filter(
      (call) => call.operationId === "repos/create-deployment-status",
    );
    expect(written.at(-1)?.path).toContain(`/deployments/${deployment.id}/statuses`);
    expect(written.at(-1)?.requestBody).toMatchObject({
      state: "success",
      description: "1.0.1 is live",
    });
    expect(post.lines.join("\n")).not.toContain("restoring stable");
  });

  it("gives up on a hung API call in bounded time, naming the call", async () => {
    github.delayNext({ path: "/graphql" }, 3_000, { times: 10 });
    const started = Date.now();
    const result = await deploy(
      { version: "1.0.1" },
      { env: { SHIPGATE_GITHUB_TIMEOUT: "500ms" } },
    );
    expect(result.exitCode).toBe(1);
    // Four attempts of half a second each, and the retries' back-off between them (1, 4, 9 s).
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(result.annotations[0]?.message).toMatch(/POST \/graphql: no answer/);
    // The stand-in answers the abandoned requests late; let them land before the next test counts.
    await new Promise((done) => setTimeout(done, 3_500));
  }, 40_000);

  it("names the call when GitHub refuses it", async () => {
    github.override("repos/create-deployment", () => ({
      status: 404,
      body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
    }));
    const result = await deploy({ version: "1.0.1" });
    expect(result.exitCode).toBe(1);
    expect(result.annotations[0]?.message).toMatch(
      /POST \/repos\/octo-org\/seams\/deployments: GitHub answered 404/,
    );
  });

  it("records a deployment cancelled the moment it exists as an error, never leaves it in progress", async () => {
    await seed("1.0.0");
    let signalled = false;
    const result = await deploy(
      { version: "1.0.1" },
      {
        env: { SLOW: "2" },
        onLine: (line, child) => {
          if (!signalled && line.startsWith("Deployment #")) {
            signalled = true;
            child.kill("SIGTERM");
          }
        },
      },
    );
    expect(signalled).toBe(true);
    expect(result.exitCode).toBe(1);
    const id = /Deployment #(\d+)/.exec(result.lines.join("\n"))?.[1];
    const states = github.calls
      .filter((call) => call.path.endsWith(`/deployments/${id}/statuses`))
      .map((call) => (call.requestBody as { state: string }).state);
    expect(states).toEqual(["in_progress", "error"]);
  });
});

describe("what a deploy costs, and what it needs", () => {
  it("makes at most 6 GitHub requests however long the history", async () => {
    for (let index = 0; index < 60; index++) await seed(`1.0.${index}`, "success");
    github.reset();
    // reset() forgot the history; seed it again without counting those calls.
    for (let index = 0; index < 60; index++) await seed(`1.0.${index}`, "success");
    const before = github.calls.length;
    const result = await deploy({ version: "2.0.0", notify: "false" });
    expect(result.exitCode).toBe(0);
    const made = github.calls.slice(before).map((call) => call.operationId);
    expect(made).toEqual([
      "graphql/repository",
      "repos/create-deployment",
      "repos/create-deployment-status",
      "repos/create-deployment-status",
    ]);
  });

  it("works from its inputs alone, without an environments directory", async () => {
    await ws.remove();
    ws = await createWorkspace({ withExamples: false });
    await ws.write("hook.sh", HOOK);
    const { chmod } = await import("node:fs/promises");
    await chmod(join(ws.dir, "hook.sh"), 0o755);
    const result = await deploy({
      version: "1.0.1",
      "deploy-command": "./hook.sh deploy {{ version }}",
    });
    expect(result.exitCode).toBe(0);
    expect((await ws.read("deployed.txt")).trim()).toBe("1.0.1");
  });
});
