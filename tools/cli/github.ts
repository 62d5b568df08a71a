// Which GitHub a local run talks to: the stand-in (started for the run, its deployments read from
// the store before and written back after), or a real API with the caller's token; and the
// repository and commit the run acts for.
import { execFileSync } from "node:child_process";
import { basename } from "node:path";
import { startGitHubStandIn } from "../github-standin/index.js";
import { UsageError } from "./args.js";
import {
  deploymentCount,
  exportStore,
  readStore,
  seedStore,
  storeRepositories,
  writeStore,
} from "./store.js";

/** The token the stand-in is given: it checks that one is sent, never which. */
const STAND_IN_TOKEN = "shipgate-local-token";

export interface GitHubTarget {
  apiUrl: string;
  token: string;
  /** One line on where GitHub is, for the run's header. */
  description: string;
  /** Ends the session: the stand-in's records saved and the server stopped. Returns a note. */
  close(): Promise<string | undefined>;
}

export interface RunIdentity {
  repository: string;
  sha: string;
}

function git(workspace: string, args: string[]): string | undefined {
  try {
    const out = execFileSync("git", ["-C", workspace, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** owner/name of a GitHub remote URL (https or ssh), or undefined. */
export function repositoryOfRemote(url: string | undefined): string | undefined {
  const match = /github\.com[:/]([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/.exec(url ?? "");
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/**
 * The repository and commit: GITHUB_REPOSITORY and GITHUB_SHA when given; else, against real
 * GitHub, the workspace's origin and HEAD (both must be real there); against the stand-in,
 * local/<folder> and HEAD or a fixed commit (any will do).
 */
export function runIdentity(
  workspace: string,
  env: Record<string, string>,
  real: boolean,
): RunIdentity {
  const given = env.GITHUB_REPOSITORY ?? process.env.GITHUB_REPOSITORY;
  const folder = basename(workspace)
    .replace(/[^A-Za-z0-9_.-]/g, "-")
    .replace(/^\.+/, "");
  const repository =
    given ??
    (real
      ? repositoryOfRemote(git(workspace, ["remote", "get-url", "origin"]))
      : `local/${folder || "service"}`);
  const sha =
    env.GITHUB_SHA ??
    git(workspace, ["rev-parse", "HEAD"]) ??
    (real ? undefined : "6dcb09b5b57875f334f61aebed695e2e4193db5e");
  if (!repository || !sha) {
    throw new UsageError(
      "against a real GitHub the run needs its repository and commit: run in a clone whose " +
        "origin is on github.com, or give --env GITHUB_REPOSITORY=owner/name --env GITHUB_SHA=<sha>",
    );
  }
  return { repository, sha };
}

/** GitHub at `url`, with the token from GITHUB_TOKEN (the --env one first). */
export function realGitHub(url: string, env: Record<string, string>): GitHubTarget {
  if (!/^https?:\/\/\S+$/.test(url))
    throw new UsageError(
      `--github ${url}: expected stand-in or the API's URL, such as https://api.github.com`,
    );
  const token = env.GITHUB_TOKEN ?? process.env.GITHUB_TOKEN;
  if (!token)
    throw new UsageError(`--github ${url}: set GITHUB_TOKEN to a token for the repository`);
  return {
    apiUrl: url.replace(/\/+$/, ""),
    token,
    description: `GitHub at ${url}`,
    close: async () => undefined,
  };
}

/**
 * The stand-in for one run, holding the store's records; `close` saves what it holds then, and
 * names any request the stand-in refused as GitHub would (a request that breaks GitHub's
 * description, or an operation the stand-in lacks).
 */
export async function localGitHub(
  store: { path: string; shown: string },
  repository: string,
): Promise<GitHubTarget> {
  const records = await readStore(store.path, store.shown);
  const repositories = storeRepositories(records, repository);
  const standIn = await startGitHubStandIn({ repositories });
  const loaded = seedStore(standIn, records);
  const before = JSON.stringify(await exportStore(standIn, repositories));
  const plural = (n: number) => `${n} deployment${n === 1 ? "" : "s"}`;
  return {
    apiUrl: standIn.url,
    token: STAND_IN_TOKEN,
    description:
      `the GitHub stand-in at ${standIn.url} ` +
      `(${repository}; ${plural(loaded)} from ${store.shown})`,
    async close() {
      try {
        const refused = [
          ...standIn.requestViolations,
          ...standIn.unimplementedCalls.map(
            (call) => `${call.method} ${call.path}: not in the stand-in`,
          ),
        ].map((line) => `Warning: GitHub would not take this request: ${line}`);
        const after = await exportStore(standIn, repositories);
        if (JSON.stringify(after) === before) return refused.join("\n") || undefined;
        await writeStore(store.path, after);
        return [...refused, `Saved ${plural(deploymentCount(after))} to ${store.shown}`].join("\n");
      } finally {
        await standIn.stop();
      }
    },
  };
}
