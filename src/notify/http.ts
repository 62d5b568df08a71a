// The one place the notifier touches the network: a delivery as one undici request.
import { request } from "undici";
import type { Attempt, Send } from "./deliver.js";

/** Seconds or an HTTP date, as `Retry-After` may be written. */
function retryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Never throws, and never puts the URL (a secret) into what it returns. */
export const sendHttp: Send = async (delivery, timeoutMs): Promise<Attempt> => {
  try {
    const response = await request(delivery.url, {
      method: delivery.method,
      headers: { "content-type": delivery.contentType, "user-agent": "shipgate" },
      body: delivery.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.dump();
    const wait = retryAfter(response.headers["retry-after"]);
    return { status: response.statusCode, ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  } catch (error) {
    const err = error as Error & { code?: string };
    return {
      error:
        err.name === "TimeoutError" ||
        err.code === "UND_ERR_HEADERS_TIMEOUT" ||
        err.code === "UND_ERR_BODY_TIMEOUT"
          ? "timeout"
          : (err.code ?? err.name),
    };
  }
};

/**
 * Real HTTP whose bodies are scrubbed first: what a chat channel or receiver keeps never holds a
 * secret, whatever an event's text picked up on the way (hook output, error bodies).
 */
export function scrubbedSend(scrub: (text: string) => string): Send {
  return (delivery, timeoutMs) => sendHttp({ ...delivery, body: scrub(delivery.body) }, timeoutMs);
}
