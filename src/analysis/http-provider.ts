// The http provider: any endpoint that answers JSON. The query is a URL (relative to `address`
// when one is given) and `path` picks the value(s) out of the answer. Range queries fill the
// `{{ start }}`, `{{ end }}` and `{{ step }}` placeholders (unix seconds) of the URL.
import { parseBodyPath, resolveSteps } from "../shared/json-path.js";
import { authenticated, redactUserinfo } from "./endpoint.js";
import { describeUrl, requestJson } from "./http-json.js";
import {
  parseSampleValue,
  QueryError,
  type EndpointOptions,
  type MetricsProvider,
} from "./provider.js";
import { renderTemplate } from "../shared/template.js";

/** Placeholders the http provider fills at query time, left in place when queries are prepared. */
export const HTTP_TIME_PLACEHOLDERS = ["time", "start", "end", "step"] as const;

export interface HttpProviderOptions extends EndpointOptions {
  address?: string;
  /** Where the value(s) are in the JSON answer (health-verify's body path syntax); the root by default. */
  path?: string;
}

/**
 * Values found at the path, as samples: a number (or numeric string); a list of numbers; a list of
 * `[time, value]` pairs; or a list of objects with a `value` (their other string fields are labels).
 */
export function samplesAt(
  found: unknown,
): { labels: Record<string, string>; time?: number; value: number }[] {
  const one = (item: unknown, index: number) => {
    if (Array.isArray(item) && item.length === 2)
      return { labels: {}, time: Number(item[0]), value: parseSampleValue(item[1]) };
    if (item !== null && typeof item === "object" && "value" in item) {
      const labels = Object.fromEntries(
        Object.entries(item).filter(
          (entry): entry is [string, string] =>
            entry[0] !== "value" && typeof entry[1] === "string",
        ),
      );
      return { labels, value: parseSampleValue((item as { value: unknown }).value) };
    }
    if (typeof item === "number" || typeof item === "string")
      return { labels: { index: String(index) }, value: parseSampleValue(item) };
    throw new QueryError(
      `expected numbers at the path, found ${JSON.stringify(item)?.slice(0, 80)}`,
    );
  };
  if (Array.isArray(found)) return found.map(one);
  if (found === null) return [];
  const single = one(found, 0);
  return [{ ...single, labels: {} }];
}

export function createHttpProvider(options: HttpProviderOptions): MetricsProvider {
  const parsedPath = parseBodyPath(options.path ?? "");
  if (!parsedPath.ok)
    throw new Error(`invalid path ${JSON.stringify(options.path)}: ${parsedPath.reason}`);
  const steps = parsedPath.steps;
  const toUrl = (query: string): URL =>
    options.address ? new URL(query, options.address) : new URL(query);

  async function fetchSamples(query: string) {
    const { url, headers } = authenticated(toUrl(query), options.auth);
    const response = await requestJson({ url, headers, timeoutMs: options.timeoutMs });
    if (response.status >= 400)
      throw new QueryError(`${describeUrl(url)}: HTTP ${response.status}`);
    if (response.body === undefined)
      throw new QueryError(
        `${describeUrl(url)}: the answer is not JSON${response.text ? `: ${response.text}` : ""}`,
      );
    const found = resolveSteps(response.body, steps);
    if (!found.found) throw new QueryError(`${describeUrl(url)}: ${found.reason}`);
    return samplesAt(found.value);
  }

  return {
    description: `http${options.address ? ` at ${redactUserinfo(options.address)}` : ""}`,
    validate(query) {
      const probe = renderTemplate(query, { time: "0", start: "0", end: "0", step: "1" });
      try {
        const url = toUrl(probe);
        if (url.protocol !== "http:" && url.protocol !== "https:")
          return `expected an http(s) URL, got ${url.protocol}`;
        return undefined;
      } catch {
        const base = options.address
          ? ` relative to ${redactUserinfo(options.address)}`
          : " (give an absolute URL, or set address)";
        return `not a URL${base}: ${JSON.stringify(redactUserinfo(query))}`;
      }
    },
    async instant(query, at) {
      const samples = await fetchSamples(
        renderTemplate(query, { time: String(at.getTime() / 1000), start: "", end: "", step: "" }),
      );
      return samples.map(({ labels, value }) => ({ labels, value }));
    },
    async range(query, range) {
      const rendered = renderTemplate(query, {
        time: String(range.end.getTime() / 1000),
        start: String(range.start.getTime() / 1000),
        end: String(range.end.getTime() / 1000),
        step: String(range.stepSeconds),
      });
      const samples = await fetchSamples(rendered);
      // A list of pairs is one series over time; anything else is one point per element at the end.
      const end = range.end.getTime() / 1000;
      return [
        {
          labels: {},
          points: samples.map((sample) => ({ time: sample.time ?? end, value: sample.value })),
        },
      ];
    },
  };
}
