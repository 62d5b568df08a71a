// JSON paths as Gatus writes them ("items[0].id", "[0].name"): parsed into steps, then resolved.

/** One step of a body path: an object key, or an array index. */
export type BodyPathStep = string | number;

export type PathResult = { found: true; value: unknown } | { found: false; reason: string };

export type ParsedBodyPath =
  { ok: true; steps: BodyPathStep[] } | { ok: false; reason: string; offset: number };

/**
 * Splits a path into steps: keys separated by ".", indices in "[n]". A key is any run of characters
 * other than ".", "[" and "]" (so "a.b-c" is the key "b-c" under "a"); the empty path is the root.
 * On a syntax error, `offset` is where in `path` it was found.
 */
export function parseBodyPath(path: string): ParsedBodyPath {
  const steps: BodyPathStep[] = [];
  let at = 0;
  while (at < path.length) {
    const char = path[at];
    if (char === "[") {
      const close = path.indexOf("]", at);
      if (close < 0) return { ok: false, reason: '"[" has no matching "]"', offset: at };
      const inner = path.slice(at + 1, close);
      if (!/^\d+$/.test(inner))
        return {
          ok: false,
          reason: `an array index is a whole number, found "[${inner}]"`,
          offset: at,
        };
      steps.push(Number(inner));
      at = close + 1;
      continue;
    }
    if (char === "]") return { ok: false, reason: '"]" has no matching "["', offset: at };
    if (steps.length > 0) {
      // Only an index can end right before a key; after a key the scan below stops at ".", "[" or "]".
      if (char !== ".")
        return { ok: false, reason: `expected "." or "[" after "]", found "${char}"`, offset: at };
      at += 1;
    }
    const start = at;
    while (at < path.length && !".[]".includes(path[at] ?? "")) at += 1;
    if (at === start) return { ok: false, reason: "empty key", offset: start };
    steps.push(path.slice(start, at));
  }
  return { ok: true, steps };
}

/** Renders steps as users write them, for messages: `items[0].id`, or "the root" for none. */
export function formatSteps(steps: readonly BodyPathStep[]): string {
  if (steps.length === 0) return "the root";
  return steps
    .map((step, i) => (typeof step === "number" ? `[${step}]` : i === 0 ? step : `.${step}`))
    .join("");
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Walks parsed JSON along steps; a miss says which step failed and what was there instead. */
export function resolveSteps(body: unknown, steps: readonly BodyPathStep[]): PathResult {
  let value = body;
  for (const [i, step] of steps.entries()) {
    const where = formatSteps(steps.slice(0, i));
    if (typeof step === "number") {
      if (!Array.isArray(value))
        return {
          found: false,
          reason: `expected an array at ${where}, found ${describeJson(value)}`,
        };
      if (step >= value.length)
        return {
          found: false,
          reason: `index ${step} out of range (length ${value.length}) at ${where}`,
        };
      value = value[step] as unknown;
    } else {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return {
          found: false,
          reason: `expected an object at ${where}, found ${describeJson(value)}`,
        };
      }
      // Own keys only: "constructor" or "__proto__" must not resolve to something the body never said.
      if (!Object.hasOwn(value, step))
        return { found: false, reason: `no key "${step}" at ${where}` };
      value = (value as Record<string, unknown>)[step];
    }
  }
  return { found: true, value };
}

/**
 * Resolves a Gatus body path such as "status", "items[0].id", "data.list[2]", "[0].name" (root
 * array), "a.b-c" against parsed JSON.
 */
export function resolveBodyPath(body: unknown, path: string): PathResult {
  const parsed = parseBodyPath(path);
  if (!parsed.ok)
    return {
      found: false,
      reason: `invalid path "${path}": ${parsed.reason} (offset ${parsed.offset})`,
    };
  return resolveSteps(body, parsed.steps);
}

export function parseJsonBody(
  text: string,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (text.trim() === "") return { ok: false, reason: "body is empty, not JSON" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      ok: false,
      reason: `body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
