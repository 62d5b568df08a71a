// The ref a deployment records: what GitHub links it to, on the pull request when there is one.

/**
 * The `ref` input when given; on pull_request events the head commit (GITHUB_SHA is a merge commit
 * GitHub cannot show on the pull request); otherwise the workflow's SHA.
 */
export function deploymentRef(event: unknown, sha: string | undefined, refInput?: string): string {
  const pullHead = (event as { pull_request?: { head?: { sha?: string } } } | undefined)
    ?.pull_request?.head?.sha;
  const ref = refInput ?? pullHead ?? sha;
  if (!ref) throw new Error("no ref to deploy: give the ref input (GITHUB_SHA is not set)");
  return ref;
}
