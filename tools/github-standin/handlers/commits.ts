// Comparing two commits of the seeded history: what `head` has that `base` has not, oldest first.
import type { Handler, StandInRequest } from "../http.js";
import { errorBody, notFound, ReplyError, repositoryOf } from "../http.js";
import { specExample, type JsonObject } from "../spec.js";
import type { CommitRecord, GitHubState, RepositoryState } from "../state.js";

function resolveRef(repository: RepositoryState, ref: string): CommitRecord {
  const exact = repository.commits.get(ref);
  if (exact) return exact;
  const byPrefix = [...repository.commits.values()].filter(
    (commit) => ref.length >= 7 && commit.sha.startsWith(ref),
  );
  if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
  throw new ReplyError({ status: 404, body: errorBody(404, `No commit found for SHA: ${ref}`) });
}

function ancestors(repository: RepositoryState, start: CommitRecord): Set<string> {
  const seen = new Set<string>();
  const queue = [start.sha];
  while (queue.length > 0) {
    const sha = queue.shift() as string;
    if (seen.has(sha)) continue;
    seen.add(sha);
    queue.push(...(repository.commits.get(sha)?.parents ?? []));
  }
  return seen;
}

function renderCommit(
  state: GitHubState,
  repository: RepositoryState,
  commit: CommitRecord,
  template: JsonObject,
): JsonObject {
  const api = `${state.baseUrl}/repos/${repository.fullName}`;
  const html = `${state.baseUrl}/${repository.fullName}`;
  const inner = template.commit as JsonObject;
  return {
    ...template,
    url: `${api}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: Buffer.from(`0:Commit${commit.sha}`).toString("base64"),
    html_url: `${html}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    commit: {
      ...inner,
      url: `${api}/git/commits/${commit.sha}`,
      author: { ...(inner.author as JsonObject), date: commit.authorDate },
      committer: { ...(inner.committer as JsonObject), date: commit.committerDate },
      message: commit.message,
      tree: { url: `${api}/git/trees/${commit.sha}`, sha: commit.sha },
    },
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${html}/commit/${sha}`,
    })),
  };
}

/** `{basehead}` is `BASE...HEAD`; commits are listed oldest first (by committer date), as GitHub does. */
const compareCommits: Handler = (request: StandInRequest, state) => {
  const repository = repositoryOf(request, state);
  // GitHub routes the same URL as `{base}...{head}` or as one `{basehead}` parameter.
  const [baseRef, headRef, ...rest] =
    request.path.basehead !== undefined
      ? String(request.path.basehead).split("...")
      : [String(request.path.base), String(request.path.head)];
  if (!baseRef || !headRef || rest.length > 0) throw notFound();
  const base = resolveRef(repository, baseRef);
  const head = resolveRef(repository, headRef);
  const fromBase = ancestors(repository, base);
  const fromHead = ancestors(repository, head);
  const ahead = [...fromHead]
    .filter((sha) => !fromBase.has(sha))
    .map((sha) => repository.commits.get(sha) as CommitRecord);
  const behind = [...fromBase].filter((sha) => !fromHead.has(sha)).length;
  ahead.sort((a, b) => Date.parse(a.committerDate) - Date.parse(b.committerDate));
  const example = specExample("commit-comparison");
  const template = (example.commits as JsonObject[])[0] as JsonObject;
  const api = `${state.baseUrl}/repos/${repository.fullName}`;
  const html = `${state.baseUrl}/${repository.fullName}`;
  const status =
    ahead.length === 0 && behind === 0
      ? "identical"
      : behind === 0
        ? "ahead"
        : ahead.length === 0
          ? "behind"
          : "diverged";
  return {
    status: 200,
    body: {
      url: `${api}/compare/${base.sha}...${head.sha}`,
      html_url: `${html}/compare/${base.sha}...${head.sha}`,
      permalink_url: `${html}/compare/${base.sha}...${head.sha}`,
      diff_url: `${html}/compare/${base.sha}...${head.sha}.diff`,
      patch_url: `${html}/compare/${base.sha}...${head.sha}.patch`,
      base_commit: renderCommit(state, repository, base, template),
      merge_base_commit: renderCommit(state, repository, base, template),
      status,
      ahead_by: ahead.length,
      behind_by: behind,
      total_commits: ahead.length,
      commits: ahead
        .slice(0, 250)
        .map((commit) => renderCommit(state, repository, commit, template)),
      files: [],
    },
  };
};

export const commitHandlers: Record<string, Handler> = {
  "repos/compare-commits-with-basehead": compareCommits,
  "repos/compare-commits": compareCommits,
};
