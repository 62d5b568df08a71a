// @ts-check
// nginx as the lab's weighted traffic router between slots: config rendering, start, reload, stop.
import { execFile } from "node:child_process";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { httpGet } from "./http.mjs";
import {
  awaitServer,
  childPids,
  freePort,
  isAlive,
  isLabProcess,
  logTail,
  spawnLogged,
  stopPid,
  waitUntil,
} from "./processes.mjs";

const run = promisify(execFile);
const NGINX = process.env.LAB_NGINX_BIN ?? "nginx";

/**
 * @typedef {object} UpstreamServer one slot behind the router
 * @property {string} name the slot ("blue", "green")
 * @property {number} port where the slot's instance listens on 127.0.0.1
 * @property {number} weight share of traffic, an integer 0..100; 0 marks the server `down`
 */

/**
 * @typedef {object} NginxRouter
 * @property {string} url http://127.0.0.1:PORT, the traffic entry point
 * @property {number} port
 * @property {number} pid the master process
 * @property {string} dir the nginx prefix directory
 * @property {() => UpstreamServer[]} upstream the weights in force
 * @property {(weights: Record<string, number> | UpstreamServer[]) => Promise<void>} setWeights
 *   rewrite and reload; resolves when only new workers remain
 * @property {() => Promise<void>} stop `nginx -s quit`: finish in-flight requests, exit
 * @property {() => Promise<void>} kill SIGKILL to the master
 */

/** @param {string} dir */
const paths = (dir) => {
  const prefix = resolve(dir);
  return {
    prefix,
    conf: join(prefix, "conf", "nginx.conf"),
    errorLog: join(prefix, "logs", "error.log"),
    pidFile: join(prefix, "logs", "nginx.pid"),
  };
};

/** @param {string} dir @param {string} [conf] relative to the prefix */
const nginxArgs = (dir, conf = "conf/nginx.conf") => {
  const p = paths(dir);
  return ["-p", `${p.prefix}/`, "-c", conf, "-e", p.errorLog];
};

/** @param {UpstreamServer[]} upstream */
function checkUpstream(upstream) {
  if (upstream.length === 0) throw new Error("nginx: the upstream needs at least one server");
  for (const server of upstream) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(server.name))
      throw new Error(`nginx: bad server name ${JSON.stringify(server.name)}`);
    if (!Number.isInteger(server.port) || server.port <= 0 || server.port > 65535)
      throw new Error(`nginx: ${server.name}: bad port ${server.port}`);
    if (!Number.isInteger(server.weight) || server.weight < 0 || server.weight > 100) {
      throw new Error(
        `nginx: ${server.name}: weight must be an integer from 0 to 100, got ${server.weight}`,
      );
    }
  }
  if (upstream.every((server) => server.weight === 0))
    throw new Error("nginx: every weight is 0; no server would receive traffic");
}

/** Each request's line in the access log, with the upstream that answered it and how. */
const ACCESS_LOG_FORMAT =
  `'$remote_addr [$time_local] "$request" $status ` +
  "upstream=$upstream_addr upstream_status=$upstream_status $request_time'";

/**
 * The whole nginx.conf. Weights go in as given (90 and 10 rather than 9 and 1): with one worker
 * and smooth weighted round-robin, every 100 consecutive requests split exactly by percentage.
 * @param {{ dir: string, port: number, upstream: UpstreamServer[], generation: number }} options
 */
export function renderNginxConfig({ dir, port, upstream, generation }) {
  checkUpstream(upstream);
  const { prefix, errorLog, pidFile } = paths(dir);
  const servers = upstream
    .map(
      (s) =>
        `    server 127.0.0.1:${s.port}${s.weight === 0 ? " down" : ` weight=${s.weight} max_fails=0`}; # ${s.name}`,
    )
    .join("\n");
  const weights = JSON.stringify(Object.fromEntries(upstream.map((s) => [s.name, s.weight])));
  return `# generation ${generation}: written by lab/lib/nginx.mjs, rewritten on every weight change.
daemon off;
master_process on;
# One worker: weighted round-robin is then exact per request (the zone shares state across workers anyway).
worker_processes 1;
pid ${pidFile};
error_log ${errorLog} warn;

events {
  worker_connections 1024;
}

http {
  log_format lab ${ACCESS_LOG_FORMAT};
  access_log ${prefix}/logs/access.log lab;
  client_body_temp_path ${prefix}/temp/client_body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;

  # max_fails=0: a failed connection does not bench a server for fail_timeout (10 s by default),
  # so the weights keep meaning exactly what they say; the retry below still covers that request.
  upstream demo {
    zone demo 64k;
${servers}
    keepalive 16;
  }

  server {
    listen 127.0.0.1:${port};

    location = /__lab/nginx {
      default_type application/json;
      return 200 '{"generation":${generation},"weights":${weights}}\\n';
    }

    location / {
      proxy_pass http://demo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout 1s;
      # Retry on the other server only when the connection itself fails (refused, reset, or no
      # answer within the timeouts): such a request never reached the application. HTTP 500s are
      # NOT retried (http_500 is not listed), so a canary's errors reach clients and its metrics,
      # and the gate sees them. What this does mask from clients is a slot that is down
      # altogether: its share goes to the other slot, and Prometheus reports up == 0 for it.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
      add_header X-Lab-Upstream $upstream_addr always;
    }
  }
}
`;
}

/** @param {string} conf */
async function currentGeneration(conf) {
  const text = await readFile(conf, "utf8").catch(() => "");
  return Number(/^# generation (\d+)/.exec(text)?.[1] ?? 0);
}

/**
 * Writes the config atomically and checks it with `nginx -t`, so a bad config fails here
 * instead of being ignored by a reload.
 * @param {{ dir: string, port: number, upstream: UpstreamServer[] }} options
 */
async function writeConfig({ dir, port, upstream }) {
  const p = paths(dir);
  await Promise.all(
    ["conf", "logs", "temp"].map((sub) => mkdir(join(p.prefix, sub), { recursive: true })),
  );
  const generation = (await currentGeneration(p.conf)) + 1;
  const text = renderNginxConfig({ dir, port, upstream, generation });
  await writeFile(`${p.conf}.next`, text);
  try {
    await run(NGINX, [...nginxArgs(dir, "conf/nginx.conf.next"), "-t"]);
  } catch (error) {
    const stderr = /** @type {{ stderr?: string }} */ (error).stderr ?? String(error);
    throw new Error(`nginx rejected the generated config: ${stderr.trim()}`, { cause: error });
  }
  await rename(`${p.conf}.next`, p.conf);
  return generation;
}

/** @param {string} dir */
async function masterPid(dir) {
  const pid = Number((await readFile(paths(dir).pidFile, "utf8").catch(() => "")).trim());
  return pid > 0 && isLabProcess(pid, "nginx") ? pid : undefined;
}

/**
 * @param {string} url
 * @param {number} generation
 */
async function servesGeneration(url, generation) {
  const response = await httpGet(`${url}/__lab/nginx`, { timeoutMs: 1000 });
  return response.status === 200 && JSON.parse(response.body).generation === generation
    ? true
    : undefined;
}

/**
 * Rewrites the weights of a running router and reloads it. Resolves only once every old worker
 * has exited (they finish their in-flight requests first), so afterwards no request can reach a
 * server by the old weights: a slot taken out of traffic can then be stopped without losses.
 * @param {{ dir: string, port: number, upstream: UpstreamServer[], timeoutMs?: number }} options
 */
export async function setWeights({ dir, port, upstream, timeoutMs = 15_000 }) {
  const master = await masterPid(dir);
  if (!master) throw new Error(`nginx: no running master for prefix ${dir}`);
  const generation = await writeConfig({ dir, port, upstream });
  const oldWorkers = childPids(master);
  await run(NGINX, [...nginxArgs(dir), "-s", "reload"]);
  await waitUntil(
    `nginx to replace its workers (generation ${generation})`,
    () => {
      const workers = childPids(master);
      return workers.length > 0 && workers.every((pid) => !oldWorkers.includes(pid))
        ? true
        : undefined;
    },
    { timeoutMs, intervalMs: 20 },
  ).catch(async (/** @type {Error} */ error) => {
    throw new Error(`${error.message}\n${await logTail(paths(dir).errorLog)}`);
  });
  await waitUntil(
    `nginx to serve generation ${generation}`,
    () => servesGeneration(`http://127.0.0.1:${port}`, generation),
    { timeoutMs },
  );
}

/**
 * Starts nginx in the foreground of its own prefix directory (`daemon off`, so the pid is the
 * master's and the lab owns its lifetime).
 * @param {{ dir: string, upstream: UpstreamServer[], port?: number, detached?: boolean, timeoutMs?: number }} options
 * @returns {Promise<NginxRouter>}
 */
export async function startNginx(options) {
  const dir = resolve(options.dir);
  if (await masterPid(dir)) throw new Error(`nginx: already running for prefix ${dir}`);
  const port = options.port || (await freePort());
  const timeoutMs = options.timeoutMs ?? 10_000;
  let upstream = options.upstream.map((s) => ({ ...s }));
  const generation = await writeConfig({ dir, port, upstream });
  const spawned = await spawnLogged(NGINX, nginxArgs(dir), {
    logFile: join(dir, "logs", "nginx.out.log"),
    detached: options.detached,
  });
  const url = `http://127.0.0.1:${port}`;
  await awaitServer(
    spawned,
    `nginx on port ${port}`,
    paths(dir).errorLog,
    () => servesGeneration(url, generation),
    { timeoutMs },
  );
  return {
    url,
    port,
    pid: spawned.pid,
    dir,
    upstream: () => upstream.map((s) => ({ ...s })),
    setWeights: async (weights) => {
      const next = Array.isArray(weights)
        ? weights.map((s) => ({ ...s }))
        : upstream.map((s) => ({ ...s, weight: weights[s.name] ?? 0 }));
      await setWeights({ dir, port, upstream: next });
      upstream = next;
    },
    stop: async () => {
      await stopNginx(dir);
    },
    kill: async () => {
      await stopPid(spawned.pid, { signal: "SIGKILL" });
    },
  };
}

/**
 * `nginx -s quit` (workers finish in-flight requests) and waits for the master to exit.
 * @param {string} dir the prefix directory
 * @param {number} [timeoutMs]
 */
export async function stopNginx(dir, timeoutMs = 10_000) {
  const master = await masterPid(dir);
  if (!master) return "not running";
  const quit = await run(NGINX, [...nginxArgs(dir), "-s", "quit"]).then(
    () => true,
    () => false,
  );
  if (!quit) return stopPid(master, { signal: "SIGQUIT", timeoutMs });
  try {
    await waitUntil("nginx to quit", () => (isAlive(master) ? undefined : true), {
      timeoutMs,
      intervalMs: 25,
    });
    return "stopped";
  } catch {
    return stopPid(master, { signal: "SIGKILL" });
  }
}
