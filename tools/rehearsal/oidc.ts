// The runner's OIDC token service, for rehearsals: a job with `id-token: write` gets
// ACTIONS_ID_TOKEN_REQUEST_URL and ..._TOKEN, and a GET of that URL (with `&audience=`) answers
// `{ "value": "<JWT>" }`. The claims are the ones GitHub documents ("About security hardening with
// OpenID Connect"); the request is checked as the service checks it, and every token is kept.
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The claims GitHub documents for an Actions OIDC token, every one of which is set here. */
export const DOCUMENTED_CLAIMS = [
  "jti",
  "sub",
  "aud",
  "ref",
  "sha",
  "repository",
  "repository_owner",
  "run_id",
  "run_number",
  "run_attempt",
  "actor",
  "workflow",
  "event_name",
  "ref_type",
  "job_workflow_ref",
  "job_workflow_sha",
  "workflow_ref",
  "workflow_sha",
  "runner_environment",
  "iss",
  "nbf",
  "exp",
  "iat",
] as const;

export interface OidcSettings {
  /** The caller's repository, ref and commit (the run's `github` context). */
  caller: { repository: string; ref: string; sha: string; workflow: string };
  /** Where the called workflows live (`.github/workflows/*` of the rehearsed root) and at which commit. */
  self: { repository: string; ref: string; sha: string };
}

export interface OidcStandIn {
  url: string;
  /** The runner's request token, ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  token: string;
  /** Every token handed out, as claims. */
  issued: Record<string, unknown>[];
  /** Requests refused, and why. */
  refused: string[];
  stop(): Promise<void>;
}

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${part({ alg: "RS256", typ: "JWT", kid: "rehearsal" })}.${part(claims)}`;
  return `${body}.${sign("sha256", Buffer.from(body), privateKey).toString("base64url")}`;
}

function claimsFor(settings: OidcSettings, query: URLSearchParams): Record<string, unknown> {
  const { caller, self } = settings;
  const file = query.get("workflow") ?? "";
  const own = file.startsWith(".github/workflows/");
  const environment = query.get("environment");
  const now = Math.floor(Date.now() / 1000);
  return {
    jti: randomUUID(),
    sub: `repo:${caller.repository}:${environment ? `environment:${environment}` : `ref:${caller.ref}`}`,
    aud: query.get("audience") ?? `https://github.com/${caller.repository.split("/")[0]}`,
    ref: caller.ref,
    sha: caller.sha,
    repository: caller.repository,
    repository_owner: caller.repository.split("/")[0],
    run_id: "1658821493",
    run_number: "7",
    run_attempt: "1",
    actor: "octocat",
    workflow: caller.workflow,
    event_name: "workflow_dispatch",
    ref_type: "branch",
    ...(environment ? { environment } : {}),
    job_workflow_ref: own
      ? `${self.repository}/${file}@${self.ref}`
      : `${caller.repository}/${file}@${caller.ref}`,
    job_workflow_sha: own ? self.sha : caller.sha,
    workflow_ref: `${caller.repository}/${caller.workflow}@${caller.ref}`,
    workflow_sha: caller.sha,
    runner_environment: "github-hosted",
    iss: "https://token.actions.githubusercontent.com",
    nbf: now - 5,
    iat: now,
    exp: now + 300,
  };
}

export async function startOidcStandIn(settings: OidcSettings): Promise<OidcStandIn> {
  const token = randomUUID();
  const issued: Record<string, unknown>[] = [];
  const refused: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const problem =
      request.method !== "GET"
        ? `method ${request.method ?? ""}`
        : url.pathname !== "/token"
          ? `path ${url.pathname}`
          : request.headers.authorization?.toLowerCase() !== `bearer ${token}`
            ? "no bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN"
            : url.searchParams.get("api-version") !== "2.0"
              ? "no api-version=2.0"
              : undefined;
    if (problem) {
      refused.push(problem);
      response.writeHead(problem.startsWith("no bearer") ? 401 : 400).end();
      return;
    }
    const claims = claimsFor(settings, url.searchParams);
    issued.push(claims);
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ count: 1, value: jwt(claims) }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    issued,
    refused,
    stop: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
