// The local store of GitHub records: what the stand-in holds after a run (each repository's
// deployments with their statuses), saved as JSON and seeded into the next run's stand-in, so a
// second `shipgate deploy` sees the first one's deployments. Read from the stand-in through its
// REST API (every request checked against GitHub's description), written back with seedDeployment.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as z from "zod";
import type { GitHubStandIn } from "../github-standin/index.js";
import { DEPLOYMENT_STATES } from "../github-standin/state.js";
import { UsageError } from "./args.js";

export const STORE_FORMAT = "shipgate.local-github/v1";

const StoredStatus = z.object({
  state: z.enum(DEPLOYMENT_STATES),
  description: z.string(),
  /** When it was created (ISO 8601). */
  at: z.string(),
});

const StoredDeployment = z.object({
  /** The id the stand-in gave it in the run that saved it; a later run numbers it again. */
  id: z.number().int(),
  sha: z.string(),
  ref: z.string(),
  environment: z.string(),
  production: z.boolean(),
  payload: z.unknown(),
  createdAt: z.string(),
  /** Oldest first. */
  statuses: z.array(StoredStatus),
});

const StoreSchema = z.object({
  format: z.literal(STORE_FORMAT),
  repositories: z.array(
    z.object({
      /** owner/name */
      repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/),
      /** Oldest first. */
      deployments: z.array(StoredDeployment),
    }),
  ),
});

export type LocalGitHubStore = z.infer<typeof StoreSchema>;
export type StoredDeployment = z.infer<typeof StoredDeployment>;

export const emptyStore = (): LocalGitHubStore => ({ format: STORE_FORMAT, repositories: [] });

/** The store at `path` (`name` in messages); an empty one when there is no file yet. */
export async function readStore(path: string, name = path): Promise<LocalGitHubStore> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyStore();
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the store ${name} is not JSON: ${(error as Error).message}`);
  }
  const parsed = StoreSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "(top)";
    throw new UsageError(
      `the store ${name} is not a ${STORE_FORMAT} store: ${where}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Writes the store whole (a new file renamed over the old), so a crash never leaves half of it. */
export async function writeStore(path: string, store: LocalGitHubStore): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(store, null, 2)}\n`);
  await rename(temporary, path);
}

/** The repositories a stand-in must have at start: the store's, then the run's own. */
export function storeRepositories(store: LocalGitHubStore, repository: string): string[] {
  const names = store.repositories.map((entry) => entry.repository);
  return names.some((name) => name.toLowerCase() === repository.toLowerCase())
    ? names
    : [...names, repository];
}

/** Seeds the stand-in (started with `storeRepositories`) with the store's records; returns how many. */
export function seedStore(standIn: GitHubStandIn, store: LocalGitHubStore): number {
  let count = 0;
  for (const { repository, deployments } of store.repositories) {
    for (const deployment of deployments) {
      standIn.seedDeployment(repository, {
        sha: deployment.sha,
        ref: deployment.ref,
        environment: deployment.environment,
        payload: deployment.payload,
        createdAt: deployment.createdAt,
        production: deployment.production,
        statuses: deployment.statuses,
      });
      count++;
    }
  }
  return count;
}

interface RestDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  production_environment?: boolean;
  payload: unknown;
  created_at: string;
}

interface RestStatus {
  state: (typeof DEPLOYMENT_STATES)[number];
  description: string | null;
  created_at: string;
}

/** Every page of a list, read from the stand-in as a client of GitHub's API would read it. */
async function listAll<T>(standIn: GitHubStandIn, path: string): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; ; page++) {
    const response = await fetch(`${standIn.url}${path}?per_page=100&page=${page}`, {
      headers: { accept: "application/vnd.github+json", authorization: "token shipgate-cli" },
    });
    if (!response.ok) throw new Error(`the stand-in answered GET ${path} with ${response.status}`);
    const items = (await response.json()) as T[];
    all.push(...items);
    if (items.length < 100) return all;
  }
}

/** What the stand-in holds for `repositories` now, as a store. */
export async function exportStore(
  standIn: GitHubStandIn,
  repositories: readonly string[],
): Promise<LocalGitHubStore> {
  const entries = [];
  for (const repository of repositories) {
    const base = `/repos/${repository}/deployments`;
    const listed = await listAll<RestDeployment>(standIn, base);
    const deployments: StoredDeployment[] = [];
    for (const deployment of listed.sort((a, b) => a.id - b.id)) {
      const statuses = await listAll<RestStatus>(standIn, `${base}/${deployment.id}/statuses`);
      deployments.push({
        id: deployment.id,
        sha: deployment.sha,
        ref: deployment.ref,
        environment: deployment.environment,
        production: deployment.production_environment ?? false,
        payload: deployment.payload,
        createdAt: deployment.created_at,
        statuses: statuses.reverse().map((status) => ({
          state: status.state,
          description: status.description ?? "",
          at: status.created_at,
        })),
      });
    }
    if (deployments.length > 0) entries.push({ repository, deployments });
  }
  return { format: STORE_FORMAT, repositories: entries };
}

export const deploymentCount = (store: LocalGitHubStore): number =>
  store.repositories.reduce((sum, entry) => sum + entry.deployments.length, 0);
