// One HTTP(S) request of a health check, turned into a response snapshot (the side-effect edge).
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { TLSSocket } from "node:tls";
import type { ResponseSnapshot } from "./conditions.js";

export interface HttpProbeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Accept any certificate (self-signed, expired): the expiry is still reported. */
  insecure: boolean;
  /** Extra trusted CA certificates (PEM). */
  ca?: string;
}

/** At most this much of a body is kept: health endpoints are small, a runaway one must not exhaust memory. */
const MAX_BODY_BYTES = 1024 * 1024;

function describeError(error: NodeJS.ErrnoException, url: URL): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return `connection refused by ${url.host}`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `DNS lookup failed for ${url.hostname}`;
    case "ECONNRESET":
      return `connection reset by ${url.host}`;
    default:
      return error.code ? `${error.code}: ${error.message}` : error.message;
  }
}

/**
 * Sends the request and reads the whole response within `timeoutMs`. Never throws: a refused
 * connection, a DNS or TLS error, or a timeout gives `connected: false` with the reason.
 */
export function probeHttp(probe: HttpProbeRequest): Promise<ResponseSnapshot> {
  const url = new URL(probe.url);
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (snapshot: ResponseSnapshot): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(snapshot);
    };
    const failed = (error: string): void =>
      finish({
        connected: false,
        status: 0,
        responseTimeMs: elapsed(),
        headers: {},
        body: "",
        error,
      });

    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: probe.method,
        headers: { "user-agent": "shipgate-health-verify", ...probe.headers },
        ...(url.protocol === "https:"
          ? { rejectUnauthorized: !probe.insecure, ca: probe.ca, agent: false }
          : { agent: false }),
      },
      (response: IncomingMessage) => {
        const certificate =
          url.protocol === "https:"
            ? (response.socket as TLSSocket).getPeerCertificate?.()
            : undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY_BYTES) chunks.push(chunk);
        });
        response.on("error", (error: NodeJS.ErrnoException) => failed(describeError(error, url)));
        response.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined)
              headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
          }
          finish({
            connected: true,
            status: response.statusCode ?? 0,
            responseTimeMs: elapsed(),
            headers,
            body: Buffer.concat(chunks).toString("utf8"),
            ...(certificate?.valid_to
              ? { certificateExpiresInMs: Date.parse(certificate.valid_to) - Date.now() }
              : {}),
          });
        });
      },
    );
    const timer = setTimeout(() => {
      failed(`timed out after ${probe.timeoutMs}ms`);
      request.destroy();
    }, probe.timeoutMs);
    request.on("error", (error: NodeJS.ErrnoException) => failed(describeError(error, url)));
    if (probe.body !== undefined) request.write(probe.body);
    request.end();
  });
}
