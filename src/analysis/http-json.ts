// GET/POST a JSON document over HTTP(S) with undici, bounded by a timeout. Every failure becomes
// a QueryError whose message says what went wrong without repeating credentials.
import { request } from "undici";
import { QueryError } from "./provider.js";

export interface JsonRequest {
  url: URL;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** A form body (application/x-www-form-urlencoded), as Prometheus accepts for long queries. */
  form?: URLSearchParams;
  timeoutMs: number;
}

export interface JsonResponse {
  status: number;
  body: unknown;
  /** The body text when it was not JSON (truncated), for messages. */
  text?: string;
}

/** Where a request went, without user info or query string (which may carry tokens). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export async function requestJson(options: JsonRequest): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  let body: string | undefined;
  if (options.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = options.form.toString();
  }
  const target = describeUrl(options.url);
  let response;
  try {
    response = await request(options.url, {
      method: options.method ?? "GET",
      headers,
      body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const err = error as Error & { code?: string };
    const why =
      err.name === "TimeoutError" ||
      err.code === "UND_ERR_HEADERS_TIMEOUT" ||
      err.code === "UND_ERR_BODY_TIMEOUT"
        ? `no answer within ${options.timeoutMs} ms`
        : (err.code ?? err.message);
    throw new QueryError(`${target}: ${why}`);
  }
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw new QueryError(`${target}: the response broke off (${(error as Error).message})`);
  }
  try {
    return { status: response.statusCode, body: JSON.parse(text) as unknown };
  } catch {
    return {
      status: response.statusCode,
      body: undefined,
      text: text.length > 200 ? `${text.slice(0, 200)}…` : text,
    };
  }
}
