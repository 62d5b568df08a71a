// Real local HTTP(S) servers with scripted health behaviours, and short-lived certificates for them.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Route = (
  request: IncomingMessage,
  response: ServerResponse,
  hits: number,
) => void | Promise<void>;

export interface FixtureServer {
  url: string;
  /** Requests received per path. */
  hits: Map<string, number>;
  /** Headers of the last request per path. */
  lastHeaders: Map<string, IncomingMessage["headers"]>;
  close(): Promise<void>;
}

function handler(
  routes: Record<string, Route>,
  hits: Map<string, number>,
  lastHeaders: FixtureServer["lastHeaders"],
) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    const count = (hits.get(path) ?? 0) + 1;
    hits.set(path, count);
    lastHeaders.set(path, request.headers);
    const route = routes[path];
    if (!route) {
      response.writeHead(404).end("not found");
      return;
    }
    void Promise.resolve(route(request, response, count)).catch(() => response.destroy());
  };
}

async function listen(
  server: Server,
  scheme: string,
  hits: Map<string, number>,
  lastHeaders: FixtureServer["lastHeaders"],
): Promise<FixtureServer> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    hits,
    lastHeaders,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function startHttpServer(routes: Record<string, Route>): Promise<FixtureServer> {
  const hits = new Map<string, number>();
  const lastHeaders: FixtureServer["lastHeaders"] = new Map();
  return listen(createHttpServer(handler(routes, hits, lastHeaders)), "http", hits, lastHeaders);
}

export function startHttpsServer(
  routes: Record<string, Route>,
  tls: { key: string; cert: string },
): Promise<FixtureServer> {
  const hits = new Map<string, number>();
  const lastHeaders: FixtureServer["lastHeaders"] = new Map();
  return listen(
    createHttpsServer(tls, handler(routes, hits, lastHeaders)) as unknown as Server,
    "https",
    hits,
    lastHeaders,
  );
}

/** JSON with a status code. */
export const json =
  (status: number, body: unknown, delayMs = 0): Route =>
  async (_request, response) => {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };

export interface Certificates {
  /** The CA that signed the server certificate (PEM), for a ca-file input. */
  caCert: string;
  key: string;
  cert: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it, valid for `days`, made by openssl. */
export function makeCertificates(days: number): Certificates {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-tls-"));
  const run = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  };
  try {
    // A new P-256 key, unencrypted, written to `keyFile`.
    const newKey = (keyFile: string) => [
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
    ];
    run(
      "req",
      "-x509",
      ...newKey("ca.key"),
      "-out",
      "ca.crt",
      "-days",
      "30",
      "-subj",
      "/CN=shipgate test CA",
    );
    run("req", ...newKey("server.key"), "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
    run(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.crt",
      "-days",
      String(days),
      "-extfile",
      "ext.cnf",
    );
    return {
      caCert: readFileSync(join(dir, "ca.crt"), "utf8"),
      key: readFileSync(join(dir, "server.key"), "utf8"),
      cert: readFileSync(join(dir, "server.crt"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
