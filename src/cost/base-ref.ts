// The environment files as they are on the base branch: from git when the checkout has the commit,
// else through the contents API.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { GitHubClient, Repository } from "../runtime/github.js";

const run = promisify(execFile);
const YAML_FILE = /\.ya?ml$/;

export interface BaseFiles {
  ref: string;
  via: "git" | "contents API";
  /** File name (within the config directory) to its text. */
  files: Map<string, string>;
  /** Why the base has no config directory, when it has none: every environment is then new. */
  missing?: string;
}

/**
 * Reads `<dir>/*.yml` at `ref` with git. Undefined when git cannot (no repository, or the commit is
 * not in a shallow checkout); an empty map when the directory did not exist at `ref`.
 */
export async function readBaseFromGit(
  workspace: string,
  dir: string,
  ref: string,
): Promise<BaseFiles | undefined> {
  const prefix = dir.replace(/^\.\/+/, "").replace(/\/+$/, "");
  let listing: string;
  try {
    ({ stdout: listing } = await run(
      "git",
      ["-C", workspace, "ls-tree", "--name-only", `${ref}`, "--", `${prefix}/`],
      { maxBuffer: 16 * 1024 * 1024 },
    ));
  } catch {
    return undefined;
  }
  const files = new Map<string, string>();
  for (const path of listing.split("\n").filter((line) => YAML_FILE.test(line))) {
    const { stdout } = await run("git", ["-C", workspace, "show", `${ref}:${path}`], {
      maxBuffer: 16 * 1024 * 1024,
    });
    files.set(path.slice(prefix.length + 1), stdout);
  }
  if (listing.trim() === "")
    return { ref, via: "git", files, missing: `${prefix}/ does not exist at ${ref.slice(0, 12)}` };
  return { ref, via: "git", files };
}

interface ContentEntry {
  type: string;
  name: string;
  path: string;
}

/** The same through `GET /repos/{owner}/{repo}/contents/{path}?ref=`. */
export async function readBaseFromApi(
  client: GitHubClient,
  repository: Repository,
  dir: string,
  ref: string,
): Promise<BaseFiles> {
  const path = dir.replace(/^\.\/+/, "").replace(/\/+$/, "");
  let entries: ContentEntry[];
  try {
    const { data } = await client.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repository,
      path,
      ref,
    });
    entries = Array.isArray(data) ? (data as ContentEntry[]) : [];
  } catch (error) {
    if ((error as { status?: unknown }).status !== 404) throw error;
    // No such directory at that commit, or a token that may not read contents: both answer 404.
    return {
      ref,
      via: "contents API",
      files: new Map(),
      missing:
        `the contents API answered 404 for ${path} at ${ref.slice(0, 12)} ` +
        "(no such directory at that commit, or the token cannot read contents)",
    };
  }
  const files = new Map<string, string>();
  for (const entry of entries.filter((item) => item.type === "file" && YAML_FILE.test(item.name))) {
    const { data } = await client.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repository,
      path: entry.path,
      ref,
    });
    const file = data as { content?: string; encoding?: string };
    if (typeof file.content !== "string") continue;
    files.set(
      entry.name,
      Buffer.from(file.content, file.encoding === "base64" ? "base64" : "utf8").toString("utf8"),
    );
  }
  return { ref, via: "contents API", files };
}
