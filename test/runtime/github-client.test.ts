// The shared GitHub client against the real stand-in over HTTP: base URL, retries, rate limits,
// pagination and the GET memo. Waits are shrunk with `secondMs: 1`, never slept through.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import {
  createGitHubClient,
  type GitHubClient,
  type GitHubClientOptions,
} from "../../src/runtime/github.js";
import { ConfigurationError } from "../../src/shared/errors.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";

const REPO = { owner: "octo", repo: "app" };

let github: GitHubStandIn;
let warnings: string[];

beforeAll(async () => {
  github = await startGitHubStandIn({ repositories: ["octo/app", "octo/other"] });
});
afterAll(() => github.stop());
beforeEach(() => {
  github.reset();
  warnings = [];
});
afterEach(() => {
  expect(github.requestViolations).toEqual([]);
  expect(github.responseViolations).toEqual([]);
});

function client(options: Partial<GitHubClientOptions> = {}): GitHubClient {
  return createGitHubClient({
    token: "test-token",
    baseUrl: github.url,
    secondMs: 1,
    warn: (message) => warnings.push(message),
    ...options,
  });
}

const statusesOf = (operationId: string): number[] =>
  github.callsTo(operationId).map((call) => call.status);

describe("where it sends requests", () => {
  const saved = process.env.GITHUB_API_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.GITHUB_API_URL;
    else process.env.GITHUB_API_URL = saved;
  });

  test("uses GITHUB_API_URL when no base URL is given", async () => {
    process.env.GITHUB_API_URL = github.url;
    const { data } = await client({ baseUrl: undefined }).request(
      "GET /repos/{owner}/{repo}",
      REPO,
    );
    expect(data.full_name).toBe("octo/app");
    expect(statusesOf("repos/get")).toEqual([200]);
  });

  test("prefers an explicit base URL over GITHUB_API_URL", async () => {
    process.env.GITHUB_API_URL = "http://127.0.0.1:9";
    const { status } = await client({ baseUrl: `${github.url}/` }).request(
      "GET /repos/{owner}/{repo}",
      REPO,
    );
    expect(status).toBe(200);
  });

  test("refuses to start without a token", () => {
    expect(() => createGitHubClient({ token: "" })).toThrow(ConfigurationError);
  });
});

describe("retries", () => {
  test("retries a 502 and returns the answer that follows", async () => {
    github.failNext("repos/get", { status: 502 });
    const { data } = await client().request("GET /repos/{owner}/{repo}", REPO);
    expect(data.name).toBe("app");
    expect(statusesOf("repos/get")).toEqual([502, 200]);
  });

  test("gives up after the configured retries and surfaces the last 503", async () => {
    github.failNext("repos/get", { status: 503, times: 10 });
    await expect(
      client({ retries: 2 }).request("GET /repos/{owner}/{repo}", REPO),
    ).rejects.toMatchObject({
      status: 503,
    });
    expect(statusesOf("repos/get")).toEqual([503, 503, 503]);
  });

  test("does not retry a 422: GitHub refuses to delete an active deployment", async () => {
    const api = client();
    const deploy = async () => {
      const { data } = await api.request("POST /repos/{owner}/{repo}/deployments", {
        ...REPO,
        ref: "main",
      });
      if (!("id" in data))
        throw new Error(`expected a deployment, got: ${data.message ?? "nothing"}`);
      return data;
    };
    const first = await deploy();
    await deploy();
    const deletion = api.request("DELETE /repos/{owner}/{repo}/deployments/{deployment_id}", {
      ...REPO,
      deployment_id: Number(first.id),
    });
    await expect(deletion).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining("active deployment"),
    });
    expect(statusesOf("repos/delete-deployment")).toEqual([422]);
  });
});

describe("rate limits", () => {
  test("waits out a secondary rate limit for as long as retry-after says, then succeeds", async () => {
    github.secondaryRateLimitNext("issues/create-comment", { retryAfterSeconds: 3 });
    const started = performance.now();
    const { status } = await client({ secondMs: 20 }).request(
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      {
        ...REPO,
        issue_number: 1,
        body: "deployed",
      },
    );
    expect(status).toBe(201);
    // retry-after: 3, at 20 ms a second; only a lower bound, which a slow machine cannot break.
    expect(performance.now() - started).toBeGreaterThanOrEqual(3 * 20 - 2);
    expect(statusesOf("issues/create-comment")).toEqual([403, 201]);
    expect(warnings).toEqual([expect.stringMatching(/secondary rate limit .*retrying in 3 s/)]);
  });

  test("surfaces a secondary rate limit that asks for more than a minute", async () => {
    github.secondaryRateLimitNext("repos/get", { retryAfterSeconds: 61 });
    await expect(client().request("GET /repos/{owner}/{repo}", REPO)).rejects.toMatchObject({
      status: 403,
    });
    expect(statusesOf("repos/get")).toEqual([403]);
    expect(warnings).toEqual([expect.stringContaining("not retrying")]);
  });

  test("retries a primary rate limit twice, then gives up", async () => {
    github.primaryRateLimitNext("repos/get", { status: 429, resetAfterSeconds: 1, times: 3 });
    await expect(client().request("GET /repos/{owner}/{repo}", REPO)).rejects.toMatchObject({
      status: 429,
    });
    expect(statusesOf("repos/get")).toEqual([429, 429, 429]);

    github.reset();
    github.primaryRateLimitNext("repos/get", { status: 403, resetAfterSeconds: 1 });
    const { status } = await client().request("GET /repos/{owner}/{repo}", REPO);
    expect(status).toBe(200);
  });
});

describe("pagination", () => {
  test("follows Link headers across every page of comments", async () => {
    const bodies = ["one", "two", "three", "four", "five", "six", "seven"];
    for (const body of bodies) github.seedIssueComment("octo/app", 4, body);
    const comments = await client().paginate(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      {
        ...REPO,
        issue_number: 4,
        per_page: 3,
      },
    );
    expect(comments.map((comment) => comment.body)).toEqual(bodies);
    expect(github.callsTo("issues/list-comments").map((call) => call.query.page ?? "1")).toEqual([
      "1",
      "2",
      "3",
    ]);
  });
});

describe("GET memo", () => {
  test("answers a second identical GET without a request", async () => {
    const api = client();
    const first = await api.request("GET /repos/{owner}/{repo}", REPO);
    const second = await api.request("GET /repos/{owner}/{repo}", REPO);
    expect(second.data).toEqual(first.data);
    expect(statusesOf("repos/get")).toEqual([200]);
  });

  test("a write to a repository forgets that repository's GETs, and only those", async () => {
    const api = client();
    const listComments = () =>
      api.request("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...REPO,
        issue_number: 9,
      });
    expect((await listComments()).data).toEqual([]);
    await api.request("GET /repos/{owner}/{repo}", { owner: "octo", repo: "other" });

    await api.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...REPO,
      issue_number: 9,
      body: "hello",
    });
    expect((await listComments()).data.map((comment) => comment.body)).toEqual(["hello"]);
    await api.request("GET /repos/{owner}/{repo}", { owner: "octo", repo: "other" });

    expect(statusesOf("issues/list-comments")).toEqual([200, 200]);
    expect(statusesOf("repos/get")).toEqual([200]);
  });

  test("revalidates a stale entry with its ETag and serves the 304 from memory", async () => {
    const api = client({ getCache: { freshMs: 0 } });
    const first = await api.request("GET /repos/{owner}/{repo}", REPO);
    const second = await api.request("GET /repos/{owner}/{repo}", REPO);
    expect(second.status).toBe(200);
    expect(second.data).toEqual(first.data);
    expect(statusesOf("repos/get")).toEqual([200, 304]);
  });

  test("a polling read can ask for revalidation, or bypass the memo", async () => {
    const api = client();
    await api.request("GET /repos/{owner}/{repo}", REPO);
    await api.request("GET /repos/{owner}/{repo}", {
      ...REPO,
      request: { cacheMode: "revalidate" },
    });
    await api.request("GET /repos/{owner}/{repo}", { ...REPO, request: { cacheMode: "bypass" } });
    expect(statusesOf("repos/get")).toEqual([200, 304, 200]);
  });

  test("can be turned off", async () => {
    const api = client({ getCache: false });
    await api.request("GET /repos/{owner}/{repo}", REPO);
    await api.request("GET /repos/{owner}/{repo}", REPO);
    expect(statusesOf("repos/get")).toEqual([200, 200]);
  });
});
