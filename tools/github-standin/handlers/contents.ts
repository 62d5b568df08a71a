// Repository contents at a ref, as seeded by tests (`seedFile`): a directory lists, a file comes base64.
import { createHash } from "node:crypto";
import type { Handler } from "../http.js";
import { notFound, queryString, repositoryOf } from "../http.js";
import type { JsonObject } from "../spec.js";
import type { GitHubState, RepositoryState } from "../state.js";

/** A blob id the way git computes it, so it changes with the content. */
function blobSha(content: string): string {
  return createHash("sha1")
    .update(`blob ${Buffer.byteLength(content)}\0${content}`)
    .digest("hex");
}

function entry(
  state: GitHubState,
  repository: RepositoryState,
  ref: string,
  path: string,
  type: "file" | "dir",
  content = "",
): JsonObject {
  const api = `${state.baseUrl}/repos/${repository.fullName}`;
  const html = `${state.baseUrl}/${repository.fullName}/${type === "file" ? "blob" : "tree"}/${ref}/${path}`;
  const sha = type === "file" ? blobSha(content) : blobSha(`tree ${path}`);
  const self = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${api}/git/${type === "file" ? "blobs" : "trees"}/${sha}`;
  return {
    type,
    name: path.split("/").at(-1) ?? path,
    path,
    sha,
    size: type === "file" ? Buffer.byteLength(content) : 0,
    url: self,
    git_url: git,
    html_url: html,
    download_url:
      type === "file" ? `${state.baseUrl}/raw/${repository.fullName}/${ref}/${path}` : null,
    _links: { self, git, html },
  };
}

/**
 * `GET /repos/{owner}/{repo}/contents/{path}?ref=`: a seeded file, or the listing of a directory
 * holding seeded files (direct children only); 404 otherwise. `ref` defaults to the default branch.
 */
const getContent: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const ref = queryString(request, "ref") ?? String(repository.overrides.default_branch ?? "main");
  const files = repository.files.get(ref);
  const path = String(request.path.path).replace(/^\/+|\/+$/g, "");
  if (!files) throw notFound();
  const content = files.get(path);
  if (content !== undefined) {
    return {
      status: 200,
      body: {
        ...entry(state, repository, ref, path, "file", content),
        encoding: "base64",
        content: Buffer.from(content).toString("base64"),
      },
    };
  }
  const children = new Map<string, "file" | "dir">();
  for (const file of files.keys()) {
    if (!file.startsWith(`${path}/`)) continue;
    const [name, ...rest] = file.slice(path.length + 1).split("/");
    children.set(`${path}/${name}`, rest.length > 0 ? "dir" : "file");
  }
  if (children.size === 0) throw notFound();
  return {
    status: 200,
    body: [...children]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([child, type]) => entry(state, repository, ref, child, type, files.get(child))),
  };
};

export const contentHandlers: Record<string, Handler> = {
  "repos/get-content": getContent,
};
