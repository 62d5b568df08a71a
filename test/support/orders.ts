// The "orders" service (test/fixtures/orders) as the workflow rehearsals run it: the GitHub API
// stand-in with a client on it, the OIDC stand-in naming shipgate's commit, an alert receiver, a
// workspace holding the service's environment files, and a lab per environment whose addresses are
// the configuration variables its files read. Everything started is torn down by `cleanup`.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGitHubClient, type GitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import {
  type Cleanup,
  killLabProcesses,
  labDown,
  labLive,
  labUp,
  labVariables,
} from "../../tools/lab/lab.js";
import { startOidcStandIn, type OidcStandIn } from "../../tools/rehearsal/oidc.js";
import { ROOT } from "../../tools/runner/run-action.js";
import { startAuthProxy } from "./auth-proxy.js";
import { startReceiver, type Receiver } from "./receivers.js";

export const REPOSITORY = "octo-org/orders";
/** The commit of shipgate the OIDC token names as the called workflow's. */
export const SHIPGATE_SHA = "5b1e7c0ffee0d15ea5e0ba5eba11c0de0ddba115";

export interface OrdersStage {
  github: GitHubStandIn;
  client: GitHubClient;
  oidc: OidcStandIn;
  receiver: Receiver;
}

/** The stand-ins a rehearsal of `workflow` (the caller's file) talks to. */
export async function startOrdersStage(cleanup: Cleanup, workflow: string): Promise<OrdersStage> {
  const github = await startGitHubStandIn({ repositories: [REPOSITORY] });
  cleanup.add(() => github.stop());
  const client = createGitHubClient({
    token: "t0ken",
    baseUrl: github.url,
    secondMs: 1,
    getCache: false,
  });
  const oidc = await startOidcStandIn({
    caller: {
      repository: REPOSITORY,
      ref: "refs/heads/main",
      sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
      workflow,
    },
    self: { repository: "shipgate/shipgate", ref: SHIPGATE_SHA, sha: SHIPGATE_SHA },
  });
  cleanup.add(() => oidc.stop());
  const receiver = await startReceiver();
  cleanup.add(() => receiver.stop());
  return { github, client, oidc, receiver };
}

/** A caller's workspace holding the service's environments/ (as its checkout would). */
export async function ordersWorkspace(cleanup: Cleanup, prefix: string): Promise<string> {
  const workspace = await mkdtemp(join(tmpdir(), prefix));
  cleanup.add(() => rm(workspace, { recursive: true, force: true }));
  await cp(
    join(ROOT, "test", "fixtures", "orders", "environments"),
    join(workspace, "environments"),
    { recursive: true },
  );
  return workspace;
}

export interface OrdersLab {
  dir: string;
  /** The traffic entry (nginx). */
  url: string;
  /** The configuration variables the orders environment files read. */
  vars: Record<string, string>;
}

/** A lab of the service (1.1.0 live); with `metricsToken`, its Prometheus behind that token. */
export async function startOrdersLab(
  cleanup: Cleanup,
  name: string,
  options: { metricsToken?: string } = {},
): Promise<OrdersLab> {
  const dir = await mkdtemp(join(tmpdir(), `shipgate-lab-${name}-`));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  cleanup.add(() => killLabProcesses(dir));
  const lab = await labUp(dir, { version: "1.1.0" });
  cleanup.add(() => labDown(dir));
  const variables = labVariables(dir, lab);
  let prometheus = variables.LAB_PROMETHEUS_URL ?? "";
  if (options.metricsToken) {
    const proxy = await startAuthProxy(prometheus, options.metricsToken);
    cleanup.add(() => proxy.stop());
    prometheus = proxy.url;
  }
  const url = variables.LAB_URL ?? "";
  return {
    dir,
    url,
    vars: {
      LAB_DIR: dir,
      LAB_CLI: join(ROOT, "lab", "lab.mjs"),
      ORDERS_URL: url,
      ORDERS_BLUE_URL: variables.LAB_BLUE_URL ?? "",
      ORDERS_GREEN_URL: variables.LAB_GREEN_URL ?? "",
      PROMETHEUS_URL: prometheus,
    },
  };
}

/**
 * What the lab in `dir` serves now, recorded as the last successful deployment of `environment`;
 * returns that live slot and version.
 */
export async function recordLive(
  client: GitHubClient,
  environment: string,
  dir: string,
): Promise<{ slot: "blue" | "green"; version: string }> {
  const [owner, repo] = REPOSITORY.split("/") as [string, string];
  const live = await labLive(dir);
  const created = await client.request("POST /repos/{owner}/{repo}/deployments", {
    owner,
    repo,
    ref: "main",
    environment,
    payload: { version: live.version, strategy: "blue-green", slot: live.slot },
    required_contexts: [],
    auto_merge: false,
  });
  await client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
    owner,
    repo,
    deployment_id: Number((created.data as { id: number }).id),
    state: "success",
  });
  return live;
}
