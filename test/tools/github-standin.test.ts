// The GitHub stand-in itself, over real HTTP with Node's fetch: it holds requests to the OpenAPI
// description, keeps GitHub's state rules, injects faults on demand and checks its own answers.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import {
  startGitHubStandIn,
  type GitHubStandIn,
  type JsonObject,
} from "../../tools/github-standin/index.js";
import { matchRoute } from "../../tools/github-standin/routes.js";
import { loadSpec } from "../../tools/github-standin/spec.js";

let github: GitHubStandIn;

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: ["octo/app"] });
});
afterAll(() => github.stop());
beforeEach(() => github.reset());
afterEach(() => expect(github.responseViolations).toEqual([]));

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One request to the stand-in; the body is sent as JSON unless it is already a string. */
async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${github.url}${path}`, {
    method,
    headers: { authorization: "token test-token", "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : (JSON.parse(text) as unknown),
  };
}

/** The JSON object an answer carries (tests read fields off it). */
const json = (answer: Answer): JsonObject => answer.body as JsonObject;
const list = (answer: Answer): JsonObject[] => answer.body as JsonObject[];

describe("requests are held to the OpenAPI description", () => {
  test("a body missing a required field is a 422, recorded, and changes nothing", async () => {
    const answer = await api("POST", "/repos/octo/app/deployments", { environment: "staging" });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({
      message: "Invalid request.\n\nbody must have required property 'ref'",
      documentation_url: "https://docs.github.com/rest",
      status: "422",
    });
    expect(github.callsTo("repos/create-deployment")).toEqual([
      expect.objectContaining({
        method: "POST",
        path: "/repos/octo/app/deployments",
        status: 422,
        requestBody: { environment: "staging" },
        violations: ["body must have required property 'ref'"],
      }),
    ]);
    expect(list(await api("GET", "/repos/octo/app/deployments"))).toEqual([]);
  });

  test("a field of the wrong type, or outside its enum, is a 422", async () => {
    expect((await api("POST", "/repos/octo/app/deployments", { ref: 42 })).status).toBe(422);
    const deployment = json(await api("POST", "/repos/octo/app/deployments", { ref: "main" }));
    const status = await api(
      "POST",
      `/repos/octo/app/deployments/${String(deployment.id)}/statuses`,
      {
        state: "done",
      },
    );
    expect(status.status).toBe(422);
    expect(github.requestViolations).toEqual([
      "POST /repos/octo/app/deployments (repos/create-deployment): body/ref must be string",
      expect.stringContaining(
        "body/state must be equal to one of the allowed values (error, failure, inactive",
      ),
    ]);
  });

  test("path and query parameters are checked against their schemas", async () => {
    expect((await api("GET", "/repos/octo/app/deployments/latest")).status).toBe(422);
    expect((await api("GET", "/repos/octo/app/deployments?per_page=ten")).status).toBe(422);
    expect(github.requestViolations).toEqual([
      expect.stringContaining("path/deployment_id must be integer"),
      expect.stringContaining("query/per_page must be integer"),
    ]);
  });

  test("an unknown route and a method the path does not have are 404s, as on GitHub", async () => {
    const notFound = {
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest",
      status: "404",
    };
    expect(await api("GET", "/repos/octo/app/no-such-thing")).toMatchObject({
      status: 404,
      body: notFound,
    });
    expect(await api("DELETE", "/repos/octo/app/issues")).toMatchObject({
      status: 404,
      body: notFound,
    });
    expect(github.calls.map((call) => [call.operationId, call.status])).toEqual([
      [undefined, 404],
      [undefined, 404],
    ]);
    expect(github.requestViolations).toEqual([
      expect.stringContaining(
        "no operation of the OpenAPI description matches GET /repos/octo/app/no-such-thing",
      ),
      expect.stringContaining("DELETE is not an operation of /repos/{owner}/{repo}/issues"),
    ]);
  });

  test("malformed JSON is a 400", async () => {
    const answer = await api("POST", "/repos/octo/app/issues", '{"title": ');
    expect(answer).toMatchObject({ status: 400, body: { message: "Problems parsing JSON" } });
    expect(github.calls[0]).toMatchObject({
      requestBody: '{"title": ',
      violations: [expect.stringContaining("not valid JSON")],
    });
  });

  test("a request without a token is a 401; `Bearer` and `token` both authenticate", async () => {
    const anonymous = await fetch(`${github.url}/repos/octo/app`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ message: "Requires authentication" });
    expect(
      (await api("GET", "/repos/octo/app", undefined, { authorization: "Bearer abc" })).status,
    ).toBe(200);
    expect(github.calls.map((call) => call.status)).toEqual([401, 200]);
    expect(github.requestViolations).toEqual([expect.stringContaining("no Authorization header")]);
  });

  test("an operation the stand-in does not implement answers 501 and is listed", async () => {
    const answer = await api("GET", "/repos/octo/app/releases");
    expect(answer.status).toBe(501);
    expect(json(answer).message).toContain("does not implement repos/list-releases");
    expect(github.unimplementedCalls).toEqual([
      expect.objectContaining({ operationId: "repos/list-releases" }),
    ]);
  });

  test("a repository nobody seeded is a 404", async () => {
    expect((await api("GET", "/repos/octo/elsewhere")).status).toBe(404);
  });

  test("every answer carries GitHub's request id and rate-limit headers; a matching ETag gives a 304", async () => {
    const first = await api("GET", "/repos/octo/app");
    for (const header of [
      "x-github-request-id",
      "x-ratelimit-limit",
      "x-ratelimit-remaining",
      "x-ratelimit-reset",
      "x-ratelimit-used",
    ]) {
      expect(first.headers.get(header)).toEqual(expect.any(String));
    }
    const etag = first.headers.get("etag") ?? "";
    const again = await api("GET", "/repos/octo/app", undefined, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    // GitHub does not count a 304 against the rate limit.
    expect(again.headers.get("x-ratelimit-remaining")).toBe(
      first.headers.get("x-ratelimit-remaining"),
    );
  });

  test("every operation of the description is routed to itself", () => {
    const misrouted = Object.entries(loadSpec().document.paths).flatMap(([template, methods]) =>
      Object.entries(methods).flatMap(([method, operation]) => {
        const match = matchRoute(method.toUpperCase(), template.replace(/\{[^}]+\}/g, "x1"));
        const routed =
          match.kind === "operation" && match.operation.operationId === operation.operationId;
        return routed ? [] : [`${method.toUpperCase()} ${template}`];
      }),
    );
    expect(misrouted).toEqual([]);
  });
});

describe("state", () => {
  test("the repository is seeded with defaults and URLs on the stand-in", async () => {
    github.seedRepository("octo/lib", { default_branch: "trunk", private: true });
    const repository = json(await api("GET", "/repos/octo/lib"));
    expect(repository).toMatchObject({
      full_name: "octo/lib",
      default_branch: "trunk",
      private: true,
    });
    expect(repository.url).toBe(`${github.url}/repos/octo/lib`);
  });

  test("deployments: create, read, filter, and statuses newest first", async () => {
    const created = await api("POST", "/repos/octo/app/deployments", {
      ref: "v1.2.0",
      environment: "staging",
      task: "deploy:migrations",
    });
    expect(created.status).toBe(201);
    const deployment = json(created);
    expect(deployment).toMatchObject({
      ref: "v1.2.0",
      environment: "staging",
      task: "deploy:migrations",
      payload: {},
      production_environment: false,
    });
    expect(created.headers.get("location")).toBe(deployment.url);
    const sha = "0123456789abcdef0123456789abcdef01234567";
    await api("POST", "/repos/octo/app/deployments", { ref: sha });

    const ids = (query: string) =>
      api("GET", `/repos/octo/app/deployments${query}`).then((answer) =>
        list(answer).map((d) => d.id),
      );
    expect(await ids("")).toEqual([expect.any(Number), deployment.id]);
    expect(await ids("?environment=staging")).toEqual([deployment.id]);
    expect(await ids("?task=deploy")).toEqual(await ids(`?sha=${sha}`));
    expect(await ids(`?sha=${sha}`)).toHaveLength(1);
    expect(await ids("?ref=v1.2.0")).toEqual([deployment.id]);
    expect(json(await api("GET", `/repos/octo/app/deployments/${String(deployment.id)}`)).ref).toBe(
      "v1.2.0",
    );

    const statuses = `/repos/octo/app/deployments/${String(deployment.id)}/statuses`;
    await api("POST", statuses, { state: "in_progress", log_url: "https://ci.example/run/1" });
    const success = json(
      await api("POST", statuses, { state: "success", environment_url: "https://staging.example" }),
    );
    expect(success).toMatchObject({
      state: "success",
      environment: "staging",
      environment_url: "https://staging.example",
    });
    expect(list(await api("GET", statuses)).map((status) => status.state)).toEqual([
      "success",
      "in_progress",
    ]);
    const first = list(await api("GET", `${statuses}?per_page=1&page=2`))[0];
    expect(first).toMatchObject({
      state: "in_progress",
      target_url: "https://ci.example/run/1",
      log_url: "https://ci.example/run/1",
    });
    expect(json(await api("GET", `${statuses}/${String(success.id)}`)).state).toBe("success");
  });

  test("auto_inactive: a new success retires earlier successful deployments of that environment", async () => {
    const deploy = async (environment: string, extra: JsonObject = {}): Promise<string> => {
      const deployment = json(
        await api("POST", "/repos/octo/app/deployments", { ref: "main", environment, ...extra }),
      );
      const statuses = `/repos/octo/app/deployments/${String(deployment.id)}/statuses`;
      await api("POST", statuses, { state: "success" });
      return statuses;
    };
    const latestState = async (statuses: string) => list(await api("GET", statuses))[0]?.state;

    const olderStaging = await deploy("staging");
    const olderQa = await deploy("qa");
    const transient = await deploy("staging", { transient_environment: true });
    const olderProduction = await deploy("production");
    await deploy("staging");
    await deploy("production");

    expect(await latestState(olderStaging)).toBe("inactive");
    expect(await latestState(olderQa)).toBe("success");
    expect(await latestState(transient)).toBe("success");
    // GitHub's documentation: only non-transient, non-production deployments are retired.
    expect(await latestState(olderProduction)).toBe("success");

    const kept = json(
      await api("POST", "/repos/octo/app/deployments", { ref: "main", environment: "qa" }),
    );
    await api("POST", `/repos/octo/app/deployments/${String(kept.id)}/statuses`, {
      state: "success",
      auto_inactive: false,
    });
    expect(await latestState(olderQa)).toBe("success");
  });

  test("a deployment can be deleted only when inactive, or when it is the only one", async () => {
    const only = json(await api("POST", "/repos/octo/app/deployments", { ref: "main" }));
    expect((await api("DELETE", `/repos/octo/app/deployments/${String(only.id)}`)).status).toBe(
      204,
    );

    const first = json(await api("POST", "/repos/octo/app/deployments", { ref: "main" }));
    await api("POST", "/repos/octo/app/deployments", { ref: "main" });
    const refused = await api("DELETE", `/repos/octo/app/deployments/${String(first.id)}`);
    expect(refused).toMatchObject({
      status: 422,
      body: { message: expect.stringContaining("active deployment") },
    });
    await api("POST", `/repos/octo/app/deployments/${String(first.id)}/statuses`, {
      state: "inactive",
    });
    expect((await api("DELETE", `/repos/octo/app/deployments/${String(first.id)}`)).status).toBe(
      204,
    );
    expect((await api("GET", `/repos/octo/app/deployments/${String(first.id)}`)).status).toBe(404);
  });

  test("comments: create, read, update, delete, and pages with a Link header", async () => {
    const created = json(
      await api("POST", "/repos/octo/app/issues/12/comments", { body: "first" }),
    );
    expect(created).toMatchObject({ body: "first", user: { login: "github-actions[bot]" } });
    expect(created.issue_url).toBe(`${github.url}/repos/octo/app/issues/12`);
    const url = `/repos/octo/app/issues/comments/${String(created.id)}`;
    expect(json(await api("PATCH", url, { body: "edited" })).body).toBe("edited");
    expect(json(await api("GET", url)).body).toBe("edited");

    for (const body of ["b", "c", "d", "e"])
      github.seedIssueComment("octo/app", 12, body, "octocat");
    const page1 = await api("GET", "/repos/octo/app/issues/12/comments?per_page=2");
    expect(list(page1).map((comment) => comment.body)).toEqual(["edited", "b"]);
    expect(page1.headers.get("link")).toBe(
      `<${github.url}/repos/octo/app/issues/12/comments?per_page=2&page=2>; rel="next", ` +
        `<${github.url}/repos/octo/app/issues/12/comments?per_page=2&page=3>; rel="last"`,
    );
    const page3 = await api("GET", "/repos/octo/app/issues/12/comments?per_page=2&page=3");
    expect(list(page3).map((comment) => comment.body)).toEqual(["e"]);
    expect(page3.headers.get("link")).toContain('rel="prev"');

    expect((await api("DELETE", url)).status).toBe(204);
    expect((await api("GET", url)).status).toBe(404);
    expect(list(await api("GET", "/repos/octo/app/issues/12/comments"))).toHaveLength(4);
  });

  test("issues: create with labels, filter by state and labels, close, add labels", async () => {
    github.seedUser("octocat");
    const bug = json(
      await api("POST", "/repos/octo/app/issues", {
        title: "Broken",
        labels: ["bug"],
        assignees: ["octocat", "nobody"],
      }),
    );
    expect(bug).toMatchObject({
      number: 1,
      state: "open",
      labels: [{ name: "bug" }],
      assignees: [{ login: "octocat" }],
    });
    await api("POST", "/repos/octo/app/issues", {
      title: "Idea",
      labels: [{ name: "enhancement" }],
    });

    const titles = (query: string) =>
      api("GET", `/repos/octo/app/issues${query}`).then((answer) =>
        list(answer).map((i) => i.title),
      );
    expect(await titles("")).toEqual(["Idea", "Broken"]);
    expect(await titles("?labels=BUG")).toEqual(["Broken"]);

    const closed = json(await api("PATCH", "/repos/octo/app/issues/1", { state: "closed" }));
    expect(closed).toMatchObject({
      state: "closed",
      state_reason: "completed",
      closed_by: { login: "github-actions[bot]" },
    });
    expect(await titles("")).toEqual(["Idea"]);
    expect(await titles("?state=closed")).toEqual(["Broken"]);

    const labels = await api("POST", "/repos/octo/app/issues/2/labels", {
      labels: ["deploy", "enhancement"],
    });
    expect(list(labels).map((label) => label.name)).toEqual(["enhancement", "deploy"]);
    expect(json(await api("GET", "/repos/octo/app/issues/2")).labels).toHaveLength(2);
  });

  test("environments: absent is 404; PUT creates and updates protection rules; list; delete", async () => {
    expect((await api("GET", "/repos/octo/app/environments/production")).status).toBe(404);
    const reviewer = github.seedUser("release-manager");
    const created = json(
      await api("PUT", "/repos/octo/app/environments/production", {
        wait_timer: 15,
        prevent_self_review: true,
        reviewers: [{ type: "User", id: reviewer.id }],
        deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
      }),
    );
    expect(created).toMatchObject({
      name: "production",
      deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
      protection_rules: [
        { type: "wait_timer", wait_timer: 15 },
        {
          type: "required_reviewers",
          prevent_self_review: true,
          reviewers: [{ type: "User", reviewer: { login: "release-manager" } }],
        },
        { type: "branch_policy" },
      ],
    });

    const updated = json(
      await api("PUT", "/repos/octo/app/environments/production", {
        wait_timer: 0,
        deployment_branch_policy: null,
      }),
    );
    expect(updated.protection_rules).toEqual([
      expect.objectContaining({ type: "required_reviewers" }),
    ]);
    expect(updated.id).toBe(created.id);

    const refused = await api("PUT", "/repos/octo/app/environments/production", {
      deployment_branch_policy: { protected_branches: true, custom_branch_policies: true },
    });
    expect(refused.status).toBe(422);

    await api("PUT", "/repos/octo/app/environments/staging");
    expect(json(await api("GET", "/repos/octo/app/environments"))).toMatchObject({
      total_count: 2,
      environments: [{ name: "production" }, { name: "staging" }],
    });
    expect((await api("DELETE", "/repos/octo/app/environments/staging")).status).toBe(204);
    expect((await api("GET", "/repos/octo/app/environments/staging")).status).toBe(404);
  });

  test("workflow runs and jobs: seeded, filtered, read", async () => {
    const done = github.seedWorkflowRun("octo/app", {
      status: "completed",
      conclusion: "success",
      head_branch: "main",
      event: "push",
    });
    const running = github.seedWorkflowRun("octo/app", {
      status: "in_progress",
      head_branch: "feature",
      event: "pull_request",
    });
    github.seedJob("octo/app", Number(done.id), {
      name: "build",
      status: "completed",
      conclusion: "success",
    });
    github.seedJob("octo/app", Number(done.id), {
      name: "deploy",
      status: "completed",
      conclusion: "failure",
    });

    const runIds = (query: string) =>
      api("GET", `/repos/octo/app/actions/runs${query}`).then((answer) =>
        (json(answer).workflow_runs as JsonObject[]).map((r) => r.id),
      );
    expect(await runIds("")).toEqual([running.id, done.id]);
    expect(await runIds("?status=success")).toEqual([done.id]);
    expect(await runIds("?status=in_progress&branch=feature")).toEqual([running.id]);
    expect(await runIds(`?head_sha=${String(done.head_sha)}`)).toEqual([done.id]);

    expect(
      json(await api("GET", `/repos/octo/app/actions/runs/${String(running.id)}`)).status,
    ).toBe("in_progress");
    github.updateWorkflowRun("octo/app", Number(running.id), {
      status: "completed",
      conclusion: "cancelled",
    });
    expect(
      json(await api("GET", `/repos/octo/app/actions/runs/${String(running.id)}`)).conclusion,
    ).toBe("cancelled");

    const jobs = json(await api("GET", `/repos/octo/app/actions/runs/${String(done.id)}/jobs`));
    expect(jobs).toMatchObject({
      total_count: 2,
      jobs: [{ name: "build" }, { name: "deploy", conclusion: "failure" }],
    });
    expect((await api("GET", "/repos/octo/app/actions/runs/999999/jobs")).status).toBe(404);
  });
});

describe("faults on demand", () => {
  test("failNext fails the next matching requests, by operationId or by method and path", async () => {
    github.failNext("repos/get", { status: 502, times: 2 });
    github.failNext({ method: "GET", path: /\/environments$/ }, { status: 500 });
    expect((await api("GET", "/repos/octo/app")).status).toBe(502);
    expect((await api("GET", "/repos/octo/app/environments")).status).toBe(500);
    expect((await api("GET", "/repos/octo/app")).status).toBe(502);
    expect((await api("GET", "/repos/octo/app")).status).toBe(200);
    expect((await api("GET", "/repos/octo/app/environments")).status).toBe(200);
  });

  test("a secondary rate limit is a 403 with retry-after and GitHub's wording", async () => {
    github.secondaryRateLimitNext("issues/create-comment", { retryAfterSeconds: 7 });
    const limited = await api("POST", "/repos/octo/app/issues/1/comments", { body: "hi" });
    expect(limited.status).toBe(403);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(json(limited).message).toContain("secondary rate limit");
    expect((await api("POST", "/repos/octo/app/issues/1/comments", { body: "hi" })).status).toBe(
      201,
    );
  });

  test("a primary rate limit has no requests left and says when the window resets", async () => {
    github.primaryRateLimitNext(
      { operationId: "repos/get" },
      { status: 429, resetAfterSeconds: 30 },
    );
    const limited = await api("GET", "/repos/octo/app");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    const reset = Number(limited.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 29);
  });

  test("delayNext answers the next matching request late", async () => {
    github.delayNext("repos/get", 200);
    const started = performance.now();
    expect((await api("GET", "/repos/octo/app")).status).toBe(200);
    // Timers may fire a millisecond early; a lower bound cannot flake on a slow machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });
});

describe("answers are checked against the description", () => {
  test("an answer that breaks the response schema is still sent, and recorded", async () => {
    github.override("repos/get", () => ({ status: 200, body: { id: "seven", name: "app" } }));
    const answer = await api("GET", "/repos/octo/app");
    expect(answer).toMatchObject({ status: 200, body: { id: "seven" } });
    expect(github.responseViolations).toEqual(
      expect.arrayContaining([
        "GET /repos/octo/app (repos/get): response 200/id must be integer",
        "GET /repos/octo/app (repos/get): response 200 must have required property 'full_name'",
      ]),
    );
    github.reset();
  });

  test("a success status the operation does not describe is a violation", async () => {
    github.override("repos/get", () => ({ status: 202, body: {} }));
    await api("GET", "/repos/octo/app");
    expect(github.responseViolations).toEqual([
      "GET /repos/octo/app (repos/get): status 202 is not described for repos/get",
    ]);
    github.reset();
  });

  test("a handler that throws answers 500 and is recorded as the stand-in's failure", async () => {
    github.override("repos/get", () => {
      throw new Error("boom");
    });
    expect((await api("GET", "/repos/octo/app")).status).toBe(500);
    expect(github.responseViolations).toEqual([
      expect.stringContaining("the stand-in's handler failed: Error: boom"),
    ]);
    github.reset();
  });
});
