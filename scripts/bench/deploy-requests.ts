// What a deploy costs GitHub: the requests the deploy bundle makes on the GitHub API stand-in for
// a plain deploy and for a rolled-back one, with histories of 1, 50 and 200 earlier deployments.
// Baseline in the same run: what reading the same history costs over REST (one list, then one
// status read per deployment), the way deploy read it before. Target: at most 6 whatever the history.
// Run: node scripts/bench.mjs deploy-requests
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGitHubClient, type GitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { runAction } from "../../tools/runner/run-action.js";

const REPOSITORY = "octo-org/bench";
const [owner, repo] = REPOSITORY.split("/") as [string, string];
const TARGET = 6;

async function seed(client: GitHubClient, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    const { data } = await client.request("POST /repos/{owner}/{repo}/deployments", {
      owner,
      repo,
      ref: "main",
      environment: "production",
      payload: { version: `1.0.${index}`, strategy: "rolling" },
      required_contexts: [],
      auto_merge: false,
    });
    await client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
      owner,
      repo,
      deployment_id: Number((data as { id: number }).id),
      state: "success",
    });
  }
}

/** REST's way to the same answers: the list, then each deployment's latest status. */
async function restHistoryReads(github: GitHubStandIn, client: GitHubClient): Promise<number> {
  const before = github.calls.length;
  const { data } = await client.request("GET /repos/{owner}/{repo}/deployments", {
    owner,
    repo,
    environment: "production",
    per_page: 100,
  });
  for (const deployment of data) {
    await client.request("GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
      owner,
      repo,
      deployment_id: Number(deployment.id),
      per_page: 1,
    });
  }
  return github.calls.length - before;
}

async function deployCost(github: GitHubStandIn, workspace: string, fail: boolean) {
  const before = github.calls.length;
  const result = await runAction({
    action: "deploy",
    workspace,
    repository: REPOSITORY,
    apiUrl: github.url,
    inputs: {
      environment: "production",
      version: "2.0.0",
      token: "bench-token",
      notify: "false",
      "deploy-command": "./hook.sh {{ version }}",
    },
    env: fail ? { FAIL: "2.0.0" } : {},
  });
  if (result.outputs.result !== (fail ? "rolled-back" : "deployed")) {
    throw new Error(`deploy ended ${result.outputs.result}: ${result.lines.slice(-3).join(" / ")}`);
  }
  return github.calls.length - before;
}

const github = await startGitHubStandIn({ repositories: [REPOSITORY] });
const client = createGitHubClient({
  token: "t",
  baseUrl: github.url,
  secondMs: 1,
  getCache: false,
});
const workspace = await mkdtemp(join(tmpdir(), "shipgate-bench-requests-"));
try {
  // The hook fails for the version named in FAIL: a rolling deploy then redeploys the previous one.
  await writeFile(join(workspace, "hook.sh"), '#!/bin/sh\n[ "$1" != "${FAIL:-}" ]\n');
  await chmod(join(workspace, "hook.sh"), 0o755);
  console.log("deploy: GitHub requests per deploy, against the history it reads");
  console.log("  history   plain   rolled back   REST history reads alone (before)");
  let worst = 0;
  for (const history of [1, 50, 200]) {
    github.reset();
    await seed(client, history);
    const plain = await deployCost(github, workspace, false);
    github.reset();
    await seed(client, history);
    const rolledBack = await deployCost(github, workspace, true);
    const rest = await restHistoryReads(github, client);
    worst = Math.max(worst, plain, rolledBack);
    const row = [history, plain, rolledBack, rest].map((n) => String(n).padStart(7)).join("   ");
    console.log(`  ${row}`);
  }
  const verdict = worst <= TARGET ? "met" : "NOT met";
  console.log(`  most requests for one deploy: ${worst} (target <= ${TARGET}: ${verdict})`);
} finally {
  await github.stop();
  await rm(workspace, { recursive: true, force: true });
}
