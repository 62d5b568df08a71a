// The one GitHub client every action uses: @octokit/core with retry, throttling and pagination,
// configured once, plus a short-lived memo of GET responses within a run.
//
// Nothing here imports @actions/core's package entry or @actions/github: logging goes through
// ./runner.js, which keeps an action's cold start small.
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import type { EndpointDefaults, OctokitResponse } from "@octokit/types";
import Bottleneck from "bottleneck";
import { createCache, type Cache } from "./cache.js";
import { ConfigurationError } from "../shared/errors.js";
import { logWarning } from "./runner.js";

/** How one GET may use the memo, set per request as `request: { cacheMode }`. */
export type CacheMode =
  /** Default: a fresh entry answers without a request; an older one is revalidated with its ETag. */
  | "default"
  /** Always asks GitHub, with the ETag when there is one (a 304 is free). For polling loops. */
  | "revalidate"
  /** Neither reads nor writes the memo. */
  | "bypass";

export interface GetCacheOptions {
  /** Most responses kept. */
  max?: number;
  /** How long a response answers identical GETs without asking GitHub, in ms. */
  freshMs?: number;
  /** How long a response is kept to revalidate with `If-None-Match`, in ms. */
  ttlMs?: number;
}

export interface GitHubClientOptions {
  token: string;
  /** REST API root; GITHUB_API_URL when unset (the runner sets it, e.g. for GHES), then api.github.com. */
  baseUrl?: string;
  /** Where rate-limit notices go; a workflow warning by default. */
  warn?: (message: string) => void;
  /**
   * How long one second lasts in every wait the client makes: retry back-off, `retry-after`, the
   * rate-limit reset, the spacing of writes. 1000 for real; tests pass 1 to make every wait tiny.
   */
  secondMs?: number;
  /** Retries of a request that failed for a reason worth retrying (5xx, network). */
  retries?: number;
  /** The GET memo; `false` turns it off. */
  getCache?: GetCacheOptions | false;
  /** How long one attempt of a request may take before it is abandoned (and retried); 30 s. */
  timeoutMs?: number;
  /**
   * Applied to every text a request sends (descriptions, issue and comment bodies, payloads): the
   * step's secret registry, so nothing GitHub keeps can hold a secret.
   */
  scrub?: (text: string) => string;
}

/** A repository the client reads or writes. */
export interface Repository {
  owner: string;
  repo: string;
}

const ShipgateOctokit = Octokit.plugin(paginateRest, retry, throttling);
export type GitHubClient = InstanceType<typeof ShipgateOctokit>;

const GITHUB_API = "https://api.github.com";
/** The throttling plugin's retries of a rate-limited request, primary and secondary alike. */
const RATE_LIMIT_RETRIES = 2;
/** A secondary limit asking for a longer wait is better surfaced than slept through. */
const LONGEST_SECONDARY_WAIT_SECONDS = 60;
/**
 * Failures a retry cannot fix. 403 and 429 are here too because the rate-limited ones among them
 * belong to the throttling plugin, which knows how long to wait.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  if (!options.token) {
    throw new ConfigurationError({
      message: "a GitHub token is required (for example `github.token`)",
      path: "token",
    });
  }
  // Called with the message only: octokit's logger passes extra details that are no annotation place.
  const warn = (message: string): void => (options.warn ?? logWarning)(message);
  const secondMs = options.secondMs ?? 1000;
  const client = new ShipgateOctokit({
    auth: options.token,
    baseUrl: (options.baseUrl || process.env.GITHUB_API_URL || GITHUB_API).replace(/\/+$/, ""),
    userAgent: "shipgate",
    request: { fetch: fetchWithTimeout(options.timeoutMs ?? 30_000) },
    log: { debug: () => {}, info: () => {}, warn, error: warn },
    retry: {
      retries: options.retries ?? 3,
      doNotRetry: DO_NOT_RETRY,
      retryAfterBaseValue: secondMs,
    },
    throttle: {
      retryAfterBaseValue: secondMs,
      // GitHub's pacing for writes (1/s), notifying writes (1 per 3 s) and searches (1 per 2 s), per
      // client rather than the plugin's process-wide default, so the spacing scales with secondMs.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: secondMs }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 3 * secondMs }),
      search: new Bottleneck.Group({ maxConcurrent: 1, minTime: 2 * secondMs }),
      onRateLimit: (retryAfter, request, _octokit, retryCount) =>
        reportRateLimit(warn, "rate limit", retryAfter, request, retryCount < RATE_LIMIT_RETRIES),
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) =>
        reportRateLimit(
          warn,
          "secondary rate limit",
          retryAfter,
          request,
          retryCount < RATE_LIMIT_RETRIES && retryAfter <= LONGEST_SECONDARY_WAIT_SECONDS,
        ),
    },
  });
  if (options.getCache !== false) memoizeGets(client, options.getCache ?? {});
  if (options.scrub) scrubBodies(client, options.scrub);
  nameFailedCalls(client);
  return client;
}

/**
 * Fields of a request's options that are not text for GitHub to keep: never rewritten. `query` is
 * a GraphQL document, shipgate's own text (its variables are scrubbed like any body).
 */
const REQUEST_FIELDS = new Set([
  "method",
  "url",
  "baseUrl",
  "headers",
  "request",
  "mediaType",
  "query",
]);

/** Runs `scrub` over every string of the request's parameters, nested ones included. */
function scrubBodies(client: GitHubClient, scrub: (text: string) => string): void {
  const clean = (value: unknown): unknown => {
    if (typeof value === "string") return scrub(value);
    if (Array.isArray(value)) return value.map(clean);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, clean(inner)]));
    }
    return value;
  };
  client.hook.before("request", (options) => {
    const fields = options as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields)) {
      if (!REQUEST_FIELDS.has(key)) fields[key] = clean(value);
    }
  });
}

/** A failed call's error names the call: "POST /repos/o/r/deployments: GitHub answered 404 (Not Found)". */
function nameFailedCalls(client: GitHubClient): void {
  client.hook.error("request", (error, options) => {
    // Octokit reports a request that got no answer (timeout, reset) as status 500 without a response.
    const { status, response } = error as { status?: unknown; response?: unknown };
    const what = `${options.method} ${new URL(client.request.endpoint.parse(options).url).pathname}`;
    if (error instanceof Error && !error.message.startsWith(what)) {
      const answered =
        response && typeof status === "number" ? `GitHub answered ${status}` : "no answer";
      error.message = `${what}: ${answered} (${error.message})`;
    }
    throw error;
  });
}

/** A fetch whose every attempt ends after `timeoutMs`, as well as when its caller aborts it. */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}

/** Logs what the throttling plugin is about to do, and tells it (`retrying`). */
function reportRateLimit(
  warn: (message: string) => void,
  limit: string,
  retryAfterSeconds: number,
  request: Required<EndpointDefaults>,
  retrying: boolean,
): boolean {
  const what = `${request.method} ${request.url}`;
  warn(
    retrying
      ? `GitHub ${limit} hit by ${what}; retrying in ${retryAfterSeconds} s`
      : `GitHub ${limit} hit by ${what}; not retrying (GitHub asks for ${retryAfterSeconds} s)`,
  );
  return retrying;
}

interface MemoEntry {
  response: OctokitResponse<unknown>;
  etag: string | undefined;
  /** Lower-cased `owner/repo` the URL belongs to, when it is under /repos. */
  repository: string | undefined;
  freshUntil: number;
}

/**
 * Remembers successful GETs by URL and Accept header. Any write empties the memo of its repository
 * once it completes (or the whole memo, outside /repos), so a read after a write of this client
 * never sees data from before it. Registered after the plugins, so it wraps them: a memo hit costs
 * no request, no throttling slot and no retry.
 */
function memoizeGets(client: GitHubClient, options: GetCacheOptions): void {
  const freshMs = options.freshMs ?? 10_000;
  const memo: Cache<MemoEntry> = createCache({
    max: options.max ?? 200,
    ttlMs: options.ttlMs ?? 10 * 60_000,
  });

  client.hook.wrap("request", async (request, endpoint) => {
    const { method, url, headers } = client.request.endpoint.parse(endpoint);
    if (method === "HEAD") return request(endpoint);
    if (method !== "GET") {
      try {
        return await request(endpoint);
      } finally {
        const repository = repositoryOf(url);
        if (repository) memo.deleteWhere((entry) => entry.repository === repository);
        else memo.clear();
      }
    }
    const mode = (endpoint.request?.cacheMode as CacheMode | undefined) ?? "default";
    // A streamed body can be read only once, so it cannot be remembered.
    if (mode === "bypass" || endpoint.request?.parseSuccessResponseBody === false)
      return request(endpoint);

    const key = `${url} ${headers.accept ?? ""}`;
    const cached = memo.get(key);
    if (cached && mode === "default" && Date.now() < cached.freshUntil)
      return structuredClone(cached.response);
    // The inner hooks were bound to this very options object, so the header is set on it in place.
    if (cached?.etag) endpoint.headers = { ...endpoint.headers, "if-none-match": cached.etag };
    try {
      const response = await request(endpoint);
      if (response.status === 200) {
        memo.set(key, {
          response: structuredClone(response),
          etag: response.headers.etag,
          repository: repositoryOf(url),
          freshUntil: Date.now() + freshMs,
        });
      }
      return response;
    } catch (error) {
      if (!cached || !hasStatus(error, 304)) throw error;
      cached.freshUntil = Date.now() + freshMs;
      return structuredClone(cached.response);
    }
  });
}

function repositoryOf(url: string): string | undefined {
  const match = /\/repos\/([^/?#]+)\/([^/?#]+)/.exec(new URL(url).pathname);
  return match ? `${match[1]}/${match[2]}`.toLowerCase() : undefined;
}

function hasStatus(error: unknown, status: number): boolean {
  return (
    typeof error === "object" && error !== null && (error as { status?: unknown }).status === status
  );
}

/** A failure worth one more try: no answer, a timeout or a server error (never a 4xx refusal). */
export function isTransient(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  return typeof status !== "number" || status >= 500;
}

/** `request: { retries: 0 }`: for a POST that creates something, which `createOnce` retries itself. */
export const SENT_ONCE = { retries: 0 } as const;

/**
 * A request that creates something (a deployment, an issue, a comment), never repeated blindly: a
 * retry after a lost answer would create it twice. `attempt` sends it once (with `request:
 * SENT_ONCE`); when it fails for a transient reason, `find` looks for what it may have made, and
 * only when nothing is found is it sent one more time.
 */
export async function createOnce<T>(
  attempt: () => Promise<T>,
  find: () => Promise<T | undefined>,
): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!isTransient(error)) throw error;
    const found = await find();
    if (found !== undefined) return found;
    return attempt();
  }
}
