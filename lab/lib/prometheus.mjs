// @ts-check
// Prometheus for the lab: config and file_sd targets, start, query, wait for data, stop or kill.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { URLSearchParams } from "node:url";
import { httpGet } from "./http.mjs";
import {
  awaitServer,
  freePort,
  isLabProcess,
  spawnLogged,
  stopPid,
  waitUntil,
} from "./processes.mjs";

const PROMETHEUS = process.env.LAB_PROMETHEUS_BIN ?? "prometheus";

/**
 * @typedef {object} ScrapeTarget
 * @property {string} target "host:port", or a URL whose path is the metrics path
 *   ("http://127.0.0.1:9100/metrics")
 * @property {string} [job] the job label, "demo" by default
 * @property {Record<string, string>} [labels] more target labels (the lab sets `slot`)
 */

/**
 * @typedef {object} Sample one series of an instant vector
 * @property {Record<string, string>} metric
 * @property {[number, string]} value
 */

/**
 * @typedef {object} WaitForOptions
 * @property {number} [timeoutMs]
 * @property {number} [intervalMs]
 * @property {(result: Sample[]) => boolean} [until]
 */

/**
 * @typedef {object} PrometheusServer
 * @property {string} url
 * @property {number} port
 * @property {number} pid
 * @property {string} dir
 * @property {(promql: string) => Promise<Sample[]>} query an instant query now
 * @property {(promql: string, options?: WaitForOptions) => Promise<Sample[]>} waitFor
 *   polls until the result is non-empty (and `until` holds); a malformed query fails at once
 * @property {(targets: ScrapeTarget[]) => Promise<void>} setTargets rewrites the file_sd file (applied within ~5 s)
 * @property {() => Promise<void>} stop SIGTERM and wait
 * @property {() => Promise<void>} kill SIGKILL, for "Prometheus goes down mid-analysis"
 */

/** @param {string} dir */
const paths = (dir) => ({
  config: join(dir, "prometheus.yml"),
  targets: join(dir, "targets.json"),
  data: join(dir, "data"),
  log: join(dir, "prometheus.log"),
});

/**
 * The file_sd document: one group per target, the job and extra labels as target labels.
 * @param {ScrapeTarget[]} targets
 */
export function renderTargets(targets) {
  return targets.map(({ target, job = "demo", labels = {} }) => {
    /** @type {Record<string, string>} */
    const meta = {};
    let address = target;
    if (/^https?:\/\//.test(target)) {
      const url = new URL(target);
      address = url.host;
      meta.__scheme__ = url.protocol.slice(0, -1);
      if (url.pathname !== "/") meta.__metrics_path__ = url.pathname;
    }
    return { targets: [address], labels: { job, ...labels, ...meta } };
  });
}

const CONFIG_HEADER =
  "# Written by lab/lib/prometheus.mjs. Targets come from the file_sd file, " +
  "so slots can be re-pointed without a restart.";

/**
 * `honor_labels: true` because the service labels its own series with `slot` and `version`; the
 * target's `slot` label agrees with them and survives on `up`, so an idle slot shows as up == 0.
 * @param {{ dir: string, scrapeInterval: string }} options
 */
export function renderPrometheusConfig({ dir, scrapeInterval }) {
  return `${CONFIG_HEADER}
global:
  scrape_interval: ${scrapeInterval}
  scrape_timeout: ${scrapeInterval}
  evaluation_interval: ${scrapeInterval}
scrape_configs:
  - job_name: lab
    honor_labels: true
    file_sd_configs:
      - files: [${JSON.stringify(paths(dir).targets)}]
        refresh_interval: 1s
`;
}

/** @param {string} file @param {string} text */
async function writeAtomically(file, text) {
  await writeFile(`${file}.next`, text);
  await rename(`${file}.next`, file);
}

/**
 * @param {string} url
 * @param {string} promql
 * @returns {Promise<Sample[]>}
 */
export async function queryPrometheus(url, promql) {
  const response = await httpGet(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
    timeoutMs: 5000,
  });
  const body = JSON.parse(response.body);
  if (body.status !== "success") {
    const error = new Error(`prometheus: ${body.errorType}: ${body.error} (query ${promql})`);
    if (body.errorType === "bad_data") Object.assign(error, { permanent: true });
    throw error;
  }
  const { resultType, result } = body.data;
  if (resultType === "scalar") return [{ metric: {}, value: result }];
  return result;
}

/**
 * @typedef {object} StartPrometheusOptions
 * @property {string} dir
 * @property {ScrapeTarget[]} targets
 * @property {string} [scrapeInterval]
 * @property {number} [port]
 * @property {boolean} [detached]
 * @property {number} [timeoutMs]
 */

/**
 * Starts Prometheus scraping `targets` every `scrapeInterval`; resolves once /-/ready answers.
 * The first scrape lands only ~5 s later (service discovery updates are batched every 5 s):
 * use `waitFor`, never a fixed sleep.
 * @param {StartPrometheusOptions} options
 * @returns {Promise<PrometheusServer>}
 */
export async function startPrometheus(options) {
  const dir = resolve(options.dir);
  const p = paths(dir);
  await mkdir(p.data, { recursive: true });
  const port = options.port || (await freePort());
  await writeAtomically(p.targets, JSON.stringify(renderTargets(options.targets), null, 2));
  await writeFile(
    p.config,
    renderPrometheusConfig({ dir, scrapeInterval: options.scrapeInterval ?? "1s" }),
  );
  const spawned = await spawnLogged(
    PROMETHEUS,
    [
      `--config.file=${p.config}`,
      `--storage.tsdb.path=${p.data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-lifecycle",
      "--web.console.templates=/dev/null",
      "--web.console.libraries=/dev/null",
    ],
    { logFile: p.log, detached: options.detached },
  );
  const url = `http://127.0.0.1:${port}`;
  await awaitServer(
    spawned,
    `prometheus on port ${port} to be ready`,
    p.log,
    async () =>
      (await httpGet(`${url}/-/ready`, { timeoutMs: 1000 })).status === 200 ? true : undefined,
    { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 100 },
  );
  return {
    url,
    port,
    pid: spawned.pid,
    dir,
    query: (promql) => queryPrometheus(url, promql),
    waitFor: (promql, { timeoutMs = 30_000, intervalMs = 250, until = () => true } = {}) =>
      waitUntil(
        `a result for ${promql}`,
        async () => {
          const result = await queryPrometheus(url, promql);
          return result.length > 0 && until(result) ? result : undefined;
        },
        { timeoutMs, intervalMs },
      ),
    setTargets: (targets) =>
      writeAtomically(p.targets, JSON.stringify(renderTargets(targets), null, 2)),
    stop: async () => {
      await stopPid(spawned.pid, { signal: "SIGTERM", timeoutMs: 15_000 });
    },
    kill: async () => {
      await stopPid(spawned.pid, { signal: "SIGKILL" });
    },
  };
}

/**
 * Stops a Prometheus known only by pid (from the lab's state file), if it still is one.
 * @param {number | null | undefined} pid
 */
export async function stopPrometheusPid(pid) {
  if (!isLabProcess(pid, "prometheus")) return "not running";
  return stopPid(pid, { signal: "SIGTERM", timeoutMs: 15_000 });
}
