// Pushing a group of metrics to a Pushgateway: the group's URL (job and grouping labels) and a PUT
// of the text exposition format, delivered like any other notification.
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
