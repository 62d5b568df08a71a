// The lab deploy runs against, once per test file: nginx, Prometheus and the demo service (1.1.0
// live), the GitHub API stand-in and a client on it, each torn down by the file's cleanup stack.
import { afterAll, beforeAll } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGitHubClient, type GitHubClient } from "../../src/runtime/github.js";
import { startGitHubStandIn, type GitHubStandIn } from "../../tools/github-standin/index.js";
import { killLabProcesses, labDown, labUp, labVariables, Cleanup } from "../../tools/lab/lab.js";

export interface DeployLab {
  dir: string;
  /** The LAB_* variables that lab/environments/*.yml read. */
  env: Record<string, string>;
  github: GitHubStandIn;
  client: GitHubClient;
}

export async function startDeployLab(cleanup: Cleanup, repository: string): Promise<DeployLab> {
  const dir = await mkdtemp(join(tmpdir(), "shipgate-lab-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  cleanup.add(() => killLabProcesses(dir));
  const lab = await labUp(dir, { version: "1.1.0" });
  cleanup.add(() => labDown(dir));
  const env = labVariables(dir, lab);
  const github = await startGitHubStandIn({ repositories: [repository] });
  cleanup.add(() => github.stop());
  const client = createGitHubClient({
    token: "test-token",
    baseUrl: github.url,
    secondMs: 1,
    getCache: false,
  });
  return { dir, env, github, client };
}

/**
 * The lab for the tests around the call (a file or a describe): started before them, torn down
 * after them with everything else on `cleanup`. Its fields are set once the tests start.
 */
export function useDeployLab(repository: string, cleanup = new Cleanup()): DeployLab {
  const lab = {} as DeployLab;
  beforeAll(async () => {
    Object.assign(lab, await startDeployLab(cleanup, repository));
  }, 120_000);
  afterAll(() => cleanup.run(), 60_000);
  return lab;
}
