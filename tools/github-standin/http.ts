// The contract between the server and operation handlers: a validated request in, a reply out,
// and the replies GitHub shares across endpoints (errors, pagination).
import type { JsonObject } from "./spec.js";
import type { GitHubState, RepositoryState } from "./state.js";

export const DOCUMENTATION_URL = "https://docs.github.com/rest";

/** A request that matched an operation and passed validation, parameters typed by their schemas. */
export interface StandInRequest {
  operationId: string;
  method: string;
  /** Absolute URL on the stand-in, query included (Link headers are built from it). */
  url: URL;
  path: JsonObject;
  query: JsonObject;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Answers one operation. Handlers may throw a ReplyError for an early error answer. */
export type Handler = (request: StandInRequest, state: GitHubState) => Reply | Promise<Reply>;

/** Carries an error reply out of a handler (`throw notFound()`). */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`${reply.status}`);
  }
}

export function errorBody(status: number, message: string): JsonObject {
  return { message, documentation_url: DOCUMENTATION_URL, status: `${status}` };
}

export function notFound(): ReplyError {
  return new ReplyError({ status: 404, body: errorBody(404, "Not Found") });
}

/** GitHub's 422 for a request that is well-formed but cannot be done. */
export function validationFailed(message: string): ReplyError {
  return new ReplyError({ status: 422, body: errorBody(422, message) });
}

/** The repository a `/repos/{owner}/{repo}/...` request addresses; 404 when nobody seeded it. */
export function repositoryOf(request: StandInRequest, state: GitHubState): RepositoryState {
  const repository = state.repository(String(request.path.owner), String(request.path.repo));
  if (!repository) throw notFound();
  return repository;
}

/** Numeric path parameter (validated as an integer before the handler runs). */
export function pathNumber(request: StandInRequest, name: string): number {
  return Number(request.path[name]);
}

/** The record a path names, or GitHub's 404 when there is none. */
export function found<T>(record: T | undefined): T {
  if (record === undefined) throw notFound();
  return record;
}

/** The record a numeric path parameter names in `records`, or GitHub's 404 when there is none. */
export function pathRecord<T>(
  records: ReadonlyMap<number, T>,
  request: StandInRequest,
  parameter: string,
): T {
  return found(records.get(pathNumber(request, parameter)));
}

/** Answers a GET of one repository record: the one the path names (`lookup`), as `render` shows it. */
export function getRecord<T>(
  lookup: (request: StandInRequest, repository: RepositoryState) => T,
  render: (state: GitHubState, repository: RepositoryState, record: T) => unknown,
): Handler {
  return (request, state) => {
    const repository = repositoryOf(request, state);
    return { status: 200, body: render(state, repository, lookup(request, repository)) };
  };
}

/** Answers a PATCH of one repository record: `change` applies the body, then it is touched and shown. */
export function updateRecord<T extends { updatedAt: string }>(
  lookup: (request: StandInRequest, repository: RepositoryState) => T,
  change: (
    record: T,
    request: StandInRequest,
    state: GitHubState,
    repository: RepositoryState,
  ) => void,
  render: (state: GitHubState, repository: RepositoryState, record: T) => unknown,
): Handler {
  return (request, state) => {
    const repository = repositoryOf(request, state);
    const record = lookup(request, repository);
    change(record, request, state, repository);
    record.updatedAt = state.now();
    return { status: 200, body: render(state, repository, record) };
  };
}

/** Optional string query parameter. */
export function queryString(request: StandInRequest, name: string): string | undefined {
  const value = request.query[name];
  return value === undefined ? undefined : String(value);
}

/** 201 for a record just made, its URL in the `location` header as GitHub sends it. */
export function created(body: JsonObject): Reply {
  return { status: 201, body, headers: { location: String(body.url) } };
}

/** 200 with one page of `items` (see `paginate`), each as `render` shows it. */
export function listReply<T>(
  items: readonly T[],
  request: StandInRequest,
  render: (item: T) => unknown,
): Reply {
  const page = paginate(items, request);
  return { status: 200, body: page.items.map(render), headers: page.headers };
}

/** 200 with one page of `items` in GitHub's `{ total_count, <key>: [...] }` envelope. */
export function envelopeReply<T>(
  key: string,
  items: readonly T[],
  request: StandInRequest,
  render: (item: T) => unknown,
): Reply {
  const page = paginate(items, request);
  return {
    status: 200,
    body: { total_count: items.length, [key]: page.items.map(render) },
    headers: page.headers,
  };
}

/** One page of `items` as `per_page`/`page` ask (30 and 1 by default, 100 at most), with a Link header. */
function paginate<T>(
  items: readonly T[],
  request: StandInRequest,
): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(request.query.per_page ?? 30), 1), 100);
  const page = Math.max(Number(request.query.page ?? 1), 1);
  const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (rel: string, target: number): string => {
    const url = new URL(request.url);
    url.searchParams.set("per_page", `${perPage}`);
    url.searchParams.set("page", `${target}`);
    return `<${url.href}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link("prev", page - 1)] : []),
    ...(page < lastPage ? [link("next", page + 1), link("last", lastPage)] : []),
    ...(page > 1 ? [link("first", 1)] : []),
  ];
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(", ") } : {},
  };
}
