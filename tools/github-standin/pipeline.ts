// One request, start to finish: route, authenticate, validate, apply faults, answer, check the
// answer against the description, record the call.
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { CallLog } from "./calls.js";
import { faultReply, type FaultPlan, type RateLimitWindow } from "./faults.js";
import { errorBody, ReplyError, type Handler, type Reply, type StandInRequest } from "./http.js";
import { matchRoute, type RouteMatch } from "./routes.js";
import type { GitHubState } from "./state.js";
import { validateBody, validateParameters, validateResponse } from "./validation.js";
import { answerGraphql, graphqlOperationId } from "./graphql.js";

/** What the pipeline reads from the server; the state is a getter because `reset()` replaces it. */
export interface PipelineContext {
  state(): GitHubState;
  faults: FaultPlan;
  calls: CallLog;
  rateLimit: RateLimitWindow;
  handlerFor(operationId: string): Handler | undefined;
}

type ParsedBody = { ok: true; value: unknown } | { ok: false; raw: string; problem: string };

/** One request as the pipeline sees it, and the problems found on the way. */
interface Exchange {
  method: string;
  url: URL;
  route: RouteMatch;
  body: ParsedBody;
  headers: IncomingMessage["headers"];
  requestId: string;
  requestViolations: string[];
  responseViolations: string[];
  /** A planned lost response: the request is carried out, the connection then dropped. */
  loseResponse?: boolean;
}

export async function answerRequest(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  context: PipelineContext,
): Promise<void> {
  const method = (incoming.method ?? "GET").toUpperCase();
  const url = new URL(incoming.url ?? "/", context.state().baseUrl);
  if (method === "POST" && url.pathname === "/graphql")
    return answerGraphqlRequest(incoming, outgoing, url, context);
  const route = matchRoute(method, url.pathname);
  const operation = route.kind === "operation" ? route.operation : undefined;
  const raw = await readBody(incoming);
  const exchange: Exchange = {
    method,
    url,
    route,
    // Only a JSON body is parsed; other bodies (markdown, uploads) belong to operations not implemented here.
    body: operation?.jsonBody ? parseBody(raw) : { ok: true, value: raw === "" ? undefined : raw },
    headers: incoming.headers,
    requestId: newRequestId(),
    requestViolations: [],
    responseViolations: [],
  };

  const reply = await decideReply(exchange, context);
  if (exchange.loseResponse) {
    // The work is done (a deployment created, a comment posted), but the client never hears so.
    outgoing.socket?.destroy();
    context.calls.record({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      operationId: operation?.operationId,
      status: 0,
      requestBody: exchange.body.ok ? exchange.body.value : exchange.body.raw,
      requestViolations: exchange.requestViolations,
      responseViolations: exchange.responseViolations,
    });
    return;
  }
  // A 501 is the stand-in's gap, not an answer GitHub would give: there is nothing to check.
  if (operation && reply.status !== 501) {
    exchange.responseViolations.push(...validateResponse(operation, reply.status, reply.body));
  }
  const status = send(outgoing, reply, exchange, context.rateLimit);
  context.calls.record({
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    operationId: operation?.operationId,
    status,
    requestBody: exchange.body.ok ? exchange.body.value : exchange.body.raw,
    requestViolations: exchange.requestViolations,
    responseViolations: exchange.responseViolations,
  });
}

/**
 * Checks in GitHub's order: route, credentials, then parameters and body. A planned fault answers
 * before the body is judged (an outage or a rate limit does not read it), but the problems found
 * are recorded all the same. Only a clean request reaches its handler.
 */
async function decideReply(exchange: Exchange, context: PipelineContext): Promise<Reply> {
  const { method, url, route, body } = exchange;
  if (route.kind === "unknown-path") {
    exchange.requestViolations.push(
      `no operation of the OpenAPI description matches ${method} ${url.pathname}`,
    );
    return { status: 404, body: errorBody(404, "Not Found") };
  }
  if (route.kind === "unknown-method") {
    exchange.requestViolations.push(`${method} is not an operation of ${route.template}`);
    return { status: 404, body: errorBody(404, "Not Found") };
  }
  if (!/^(token|bearer) \S+$/i.test(exchange.headers.authorization ?? "")) {
    exchange.requestViolations.push("no Authorization header (`token X` or `Bearer X`)");
    return { status: 401, body: errorBody(401, "Requires authentication") };
  }
  const { operation } = route;
  const { parameters, problems } = validateParameters(operation, {
    path: route.pathParams,
    query: Object.fromEntries(url.searchParams),
  });
  if (body.ok) exchange.requestViolations.push(...problems, ...validateBody(operation, body.value));
  else exchange.requestViolations.push(body.problem);

  const { delayMs, loseResponse, failure } = context.faults.take({
    operationId: operation.operationId,
    method,
    path: url.pathname,
  });
  exchange.loseResponse = loseResponse;
  if (delayMs > 0) await sleep(delayMs);
  if (failure) return faultReply(failure, exchange.requestId);
  if (!body.ok) return { status: 400, body: errorBody(400, "Problems parsing JSON") };
  if (exchange.requestViolations.length > 0) {
    return {
      status: 422,
      body: errorBody(422, `Invalid request.\n\n${exchange.requestViolations.join("\n")}`),
    };
  }
  const request: StandInRequest = {
    operationId: operation.operationId,
    method,
    url,
    path: parameters.path,
    query: parameters.query,
    body: body.value,
    headers: exchange.headers,
  };
  return dispatch(request, context, exchange.responseViolations);
}

/** Runs the operation's handler; an operation without one answers 501 so the gap is visible. */
async function dispatch(
  request: StandInRequest,
  context: PipelineContext,
  responseViolations: string[],
): Promise<Reply> {
  const handler = context.handlerFor(request.operationId);
  if (!handler) {
    return {
      status: 501,
      body: errorBody(
        501,
        `The GitHub stand-in does not implement ${request.operationId} (${request.method} ${request.url.pathname})`,
      ),
    };
  }
  try {
    return await handler(request, context.state());
  } catch (error) {
    if (error instanceof ReplyError) return error.reply;
    responseViolations.push(
      `the stand-in's handler failed: ${error instanceof Error ? error.stack : String(error)}`,
    );
    return {
      status: 500,
      body: errorBody(500, "The GitHub stand-in failed; see the recorded call"),
    };
  }
}

/**
 * Writes the reply with GitHub's headers. A GET answered 200 carries an ETag, and a matching
 * `If-None-Match` turns it into a bodiless 304, which GitHub does not count against the rate limit.
 */
function send(
  outgoing: ServerResponse,
  reply: Reply,
  exchange: Exchange,
  rateLimit: RateLimitWindow,
): number {
  const payload = reply.body === undefined ? undefined : JSON.stringify(reply.body);
  const etag =
    exchange.method === "GET" && reply.status === 200 && payload !== undefined
      ? weakEtag(payload)
      : undefined;
  const notModified = etag !== undefined && exchange.headers["if-none-match"] === etag;
  const status = notModified ? 304 : reply.status;
  outgoing.writeHead(status, {
    "x-github-request-id": exchange.requestId,
    "x-github-api-version-selected": "2022-11-28",
    "x-github-media-type": "github.v3; format=json",
    ...rateLimit.headers(!notModified),
    ...(etag ? { etag } : {}),
    ...(payload !== undefined && !notModified
      ? { "content-type": "application/json; charset=utf-8" }
      : {}),
    ...reply.headers,
  });
  outgoing.end(notModified ? undefined : payload);
  return status;
}

function weakEtag(payload: string): string {
  return `W/"${createHash("sha256").update(payload).digest("hex").slice(0, 32)}"`;
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** An empty body is no body (octokit sends `""` with a bare PUT). */
function parseBody(raw: string): ParsedBody {
  if (raw.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (error) {
    return { ok: false, raw, problem: `body is not valid JSON: ${(error as Error).message}` };
  }
}

/** Shaped like GitHub's (`C3A1:2F5B:1A2B3C:4D5E6F:66A0B1C2`). */
function newRequestId(): string {
  const hex = randomBytes(12).toString("hex").toUpperCase();
  return [
    hex.slice(0, 4),
    hex.slice(4, 8),
    hex.slice(8, 14),
    hex.slice(14, 20),
    hex.slice(20, 24),
  ].join(":");
}

/**
 * GraphQL is not in the OpenAPI description: ./graphql.ts checks it against GitHub's GraphQL
 * schema instead, with the same credentials rule and faults, and it is recorded like any other
 * call (operation `graphql/<first root field>`).
 */
async function answerGraphqlRequest(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  url: URL,
  context: PipelineContext,
): Promise<void> {
  const raw = await readBody(incoming);
  const parsed = parseBody(raw);
  const requestViolations: string[] = [];
  let reply: Reply;
  const requestId = newRequestId();
  const operationId = graphqlOperationId(parsed.ok ? parsed.value : undefined);
  const { delayMs, failure } = context.faults.take({
    operationId,
    method: "POST",
    path: url.pathname,
  });
  if (delayMs > 0) await sleep(delayMs);
  if (!/^(token|bearer) \S+$/i.test(incoming.headers.authorization ?? "")) {
    requestViolations.push("no Authorization header (`token X` or `Bearer X`)");
    reply = {
      status: 401,
      body: {
        message: "This endpoint requires you to be authenticated.",
        documentation_url:
          "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
      },
    };
  } else if (failure) {
    reply = faultReply(failure, requestId);
  } else if (!parsed.ok) {
    requestViolations.push(parsed.problem);
    reply = { status: 400, body: errorBody(400, "Problems parsing JSON") };
  } else {
    const answer = answerGraphql(parsed.value, context.state());
    requestViolations.push(...answer.problems);
    reply = { status: answer.status, body: answer.body };
  }
  const payload = JSON.stringify(reply.body);
  outgoing.writeHead(reply.status, {
    "x-github-request-id": requestId,
    "content-type": "application/json; charset=utf-8",
    ...reply.headers,
  });
  outgoing.end(payload);
  context.calls.record({
    method: "POST",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    operationId,
    status: reply.status,
    requestBody: parsed.ok ? parsed.value : raw,
    requestViolations,
    responseViolations: [],
  });
}
