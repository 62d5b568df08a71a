// @ts-check
// One-off HTTP GETs for readiness polls and Prometheus queries (no connection kept afterwards).
import { Buffer } from "node:buffer";
import { request } from "node:http";

/**
 * @typedef {object} HttpResponse
 * @property {number} status
 * @property {import("node:http").IncomingHttpHeaders} headers
 * @property {string} body
 */

/**
 * @param {string} url
 * @param {{ timeoutMs?: number, method?: string }} [options]
 * @returns {Promise<HttpResponse>}
 */
export function httpGet(url, options = {}) {
  const { timeoutMs = 5000, method = "GET" } = options;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, timeout: timeoutMs }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("timeout", () =>
      req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end();
  });
}
