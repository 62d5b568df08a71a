// What deploy reads from the workflow run: the repository, the ref to record (linkable to the pull
// request), and the link back to the run.

export interface RunContext {
  owner: string;
  repo: string;
  /** The ref recorded on the deployment. */
  ref: string;
  logUrl?: string;
}

/**
 * The ref defaults to the workflow's SHA, except on pull_request events, where GITHUB_SHA is a
 * merge commit GitHub cannot show on the pull request: the head commit is used instead.
 */
export function runContext(env: NodeJS.ProcessEnv, event: unknown, refInput?: string): RunContext {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo)
    throw new Error(
      "GITHUB_REPOSITORY is not set to owner/repo: not running under a GitHub runner",
    );
  const pullHead = (event as { pull_request?: { head?: { sha?: string } } } | undefined)
    ?.pull_request?.head?.sha;
  const ref = refInput ?? pullHead ?? env.GITHUB_SHA;
  if (!ref) throw new Error("no ref to deploy: give the ref input (GITHUB_SHA is not set)");
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  const logUrl = env.GITHUB_RUN_ID
    ? `${server}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}${env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ""}`
    : undefined;
  return { owner, repo, ref, ...(logUrl ? { logUrl } : {}) };
}
