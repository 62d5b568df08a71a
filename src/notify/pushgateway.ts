// Pushing a group of metrics to a Pushgateway: the group's URL (job and grouping labels) and a PUT
// of the text exposition format, delivered like any other notification.
import { deliverWithRetry, type DeliverOptions, type DeliveryResult } from "./deliver.js";
import type { Delivery } from "./plan.js";

/** A grouping-key value in the URL path; base64url when it holds a slash (the Pushgateway's rule). */
function groupingValue(name: string, value: string): string {
  if (value === "") return `${name}@base64/=`;
  return value.includes("/")
    ? `${name}@base64/${Buffer.from(value).toString("base64url")}`
    : `${name}/${encodeURIComponent(value)}`;
}

/** The group's URL: the job, then each grouping label in order. */
export function pushUrl(base: string, job: string, grouping: readonly [string, string][]): string {
  const labels = grouping.map(([name, value]) => `/${groupingValue(name, value)}`).join("");
  return `${base.replace(/\/+$/, "")}/metrics/job/${encodeURIComponent(job)}${labels}`;
}

/** A PUT, which replaces the group's metrics: each push describes the latest state alone. */
export function pushDelivery(url: string, what: string, metricsText: string): Delivery {
  return {
    channel: "pushgateway",
    type: "pushgateway",
    what,
    method: "PUT",
    url,
    contentType: "text/plain; version=0.0.4",
    body: metricsText,
  };
}

/**
 * A push whose metrics are built first (prom-client loads then): a failure to build them is a
 * failed delivery like a failed push, never a throw, so a push never changes an action's result.
 */
export async function pushWithRetry(
  what: string,
  build: () => Promise<Delivery>,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  try {
    return await deliverWithRetry(await build(), options);
  } catch (error) {
    const failed = { ok: false, attempts: 0, error: (error as Error).message };
    return { channel: "pushgateway", type: "pushgateway", what, ...failed };
  }
}
