// Real receivers for the notifier's tests: Prometheus Alertmanager and Pushgateway (Debian) on
// loopback ports, and an HTTP receiver that can be down for its first N requests.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  freePort,
  isAlive,
  logTail,
  spawnLogged,
  stopPid,
  waitUntil,
} from "../../lab/lib/processes.mjs";
import { httpGet } from "../../lab/lib/http.mjs";

export interface RealServer {
  url: string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

async function startBinary(
  name: string,
  dir: string,
  args: (port: number) => string[],
  readyPath: string,
): Promise<RealServer> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const logFile = join(dir, `${name}.log`);
  const spawned = await spawnLogged(name, args(port), { logFile });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      `${name} on port ${port}`,
      async () => {
        if (!isAlive(spawned.pid))
          throw Object.assign(new Error(`${name} exited:\n${await logTail(logFile)}`), {
            permanent: true,
          });
        return (await httpGet(`${url}${readyPath}`, { timeoutMs: 1000 })).status === 200
          ? true
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  } catch (error) {
    await stopPid(spawned.pid, { signal: "SIGKILL" });
    throw error;
  }
  return {
    url,
    stop: async () => void (await stopPid(spawned.pid, { signal: "SIGTERM", timeoutMs: 10_000 })),
    kill: async () => void (await stopPid(spawned.pid, { signal: "SIGKILL" })),
  };
}

/** Alertmanager with one route to `webhookUrl` (resolved alerts included), grouping within a second. */
export async function startAlertmanager(dir: string, webhookUrl: string): Promise<RealServer> {
  await mkdir(dir, { recursive: true });
  const config = join(dir, "alertmanager.yml");
  await writeFile(
    config,
    [
      "route:",
      "  receiver: hook",
      "  group_by: [alertname, environment]",
      "  group_wait: 1s",
      "  group_interval: 1s",
      "  repeat_interval: 1h",
      "receivers:",
      "  - name: hook",
      "    webhook_configs:",
      `      - url: ${JSON.stringify(webhookUrl)}`,
      "        send_resolved: true",
      "",
    ].join("\n"),
  );
  return startBinary(
    "prometheus-alertmanager",
    dir,
    (port) => [
      `--config.file=${config}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    "/-/ready",
  );
}

export function startPushgateway(dir: string): Promise<RealServer> {
  return startBinary(
    "prometheus-pushgateway",
    dir,
    (port) => [
      `--web.listen-address=127.0.0.1:${port}`,
      `--persistence.file=${join(dir, "pushgateway.data")}`,
    ],
    "/-/ready",
  );
}

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** The status it was answered with. */
  status: number;
}

export interface Receiver {
  url: string;
  /** Every request, in order, failed ones included. */
  received: Received[];
  /** The next `count` requests are answered `status` (503 by default), then all are accepted. */
  failNext(count: number, status?: number): void;
  stop(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let failures = 0;
  let failStatus = 503;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const status = failures > 0 ? failStatus : 200;
      if (failures > 0) failures--;
      received.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        status,
      });
      response
        .writeHead(status, { "content-type": "text/plain" })
        .end(status === 200 ? "ok" : "down");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext(count, status = 503) {
      failures = count;
      failStatus = status;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
