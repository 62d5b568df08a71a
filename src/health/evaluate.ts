// Evaluating a parsed condition against a response snapshot: the value seen, what was expected, and why.
import { formatSteps, parseJsonBody, resolveSteps } from "../shared/json-path.js";
import { formatDuration, parseDuration } from "../shared/duration.js";
import {
  describeOperand,
  isDuration,
  isPrefixedNumber,
  matchesGlob,
  readNumber,
  type BodyOperand,
  type Condition,
  type ConditionResult,
  type HeaderOperand,
  type Literal,
  type Matcher,
  type Operand,
  type Operator,
  type ResponseSnapshot,
  type Value,
} from "./conditions.js";

type Resolved = { ok: true; value: Value } | { ok: false; shown: string; reason: string };

const MAX_SHOWN = 200;
const FLIPPED: Readonly<Record<Operator, Operator>> = {
  "==": "==",
  "!=": "!=",
  "<": ">",
  "<=": ">=",
  ">": "<",
  ">=": "<=",
};
// One parse per snapshot however many conditions read the body.
const parsedBodies = new WeakMap<ResponseSnapshot, ReturnType<typeof parseJsonBody>>();

function jsonBody(response: ResponseSnapshot): ReturnType<typeof parseJsonBody> {
  let parsed = parsedBodies.get(response);
  if (parsed === undefined) {
    parsed = parseJsonBody(response.body);
    parsedBodies.set(response, parsed);
  }
  return parsed;
}

/** For humans: strings quoted, durations with units, everything cut to about 200 characters. */
function render(value: Value): string {
  const text =
    value.type === "number" && value.unit === "ms"
      ? formatDuration(value.value)
      : value.type === "string" || value.type === "json"
        ? (JSON.stringify(value.value) ?? String(value.value))
        : String(value.value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** For comparing as Gatus does: the value's plain text (numbers as written by JSON, strings unquoted). */
function plain(value: Value): string {
  if (value.type === "string") return value.value;
  return value.type === "json" ? JSON.stringify(value.value) : String(value.value);
}

function toNumber(value: Value, durations: boolean): number | undefined {
  if (value.type === "number") return value.value;
  if (value.type !== "string") return undefined;
  const text = value.value.trim();
  const number = readNumber(text);
  if (number !== undefined) return number;
  if (!durations) return undefined;
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

/** A number, or text of an integer with a base prefix ("0x1F"): Gatus compares those by value. */
const numeric = (value: Value): boolean =>
  value.type === "number" || (value.type === "string" && isPrefixedNumber(value.value.trim()));

/**
 * Numbers compare as numbers when either side is one (so "42.0" == 42 and "0x2A" == 42); everything
 * else as plain text.
 */
function sameValue(a: Value, b: Value, durations: boolean): boolean {
  if (numeric(a) || numeric(b)) {
    const [x, y] = [toNumber(a, durations), toNumber(b, durations)];
    if (x !== undefined && y !== undefined) return x === y;
  }
  return plain(a) === plain(b);
}

function fromJson(value: unknown): Value {
  if (typeof value === "string") return { type: "string", value };
  if (typeof value === "number") return { type: "number", value };
  if (typeof value === "boolean") return { type: "boolean", value };
  return { type: "json", value };
}

function count(value: unknown): number | undefined {
  if (typeof value === "string") return [...value].length;
  if (Array.isArray(value)) return value.length;
  return value !== null && typeof value === "object" ? Object.keys(value).length : undefined;
}

/**
 * What len() measures: characters of a string, items of an array, keys of an object, and (as in
 * Gatus) the length of a number's or a boolean's text; undefined for null.
 */
function lengthOf(value: Value): number | undefined {
  if (value.type === "number" || value.type === "boolean") return String(value.value).length;
  return count(value.value);
}

function resolve(operand: Operand, response: ResponseSnapshot): Resolved {
  if (!response.connected && operand.kind !== "connected" && operand.kind !== "literal") {
    return {
      ok: false,
      shown: "(not connected)",
      reason: `not connected: ${response.error ?? "no reason recorded"}`,
    };
  }
  switch (operand.kind) {
    case "literal":
      return { ok: true, value: operand.value };
    case "connected":
      return { ok: true, value: { type: "boolean", value: response.connected } };
    case "status":
      return { ok: true, value: { type: "number", value: response.status } };
    case "responseTime":
      return { ok: true, value: { type: "number", value: response.responseTimeMs, unit: "ms" } };
    case "certificateExpiration":
      if (response.certificateExpiresInMs === undefined) {
        return {
          ok: false,
          shown: "(no certificate)",
          reason: "no certificate: the response did not come over HTTPS",
        };
      }
      return {
        ok: true,
        value: { type: "number", value: response.certificateExpiresInMs, unit: "ms" },
      };
    case "body": {
      if (operand.steps.length === 0)
        return { ok: true, value: { type: "string", value: response.body } };
      const parsed = jsonBody(response);
      if (!parsed.ok) return { ok: false, shown: "(not JSON)", reason: parsed.reason };
      const found = resolveSteps(parsed.value, operand.steps);
      return found.found
        ? { ok: true, value: fromJson(found.value) }
        : { ok: false, shown: "(not found)", reason: found.reason };
    }
    case "header": {
      const entry = Object.entries(response.headers).find(
        ([name]) => name.toLowerCase() === operand.name,
      );
      if (entry === undefined)
        return {
          ok: false,
          shown: "(not found)",
          reason: `no header "${operand.name}" in the response`,
        };
      return { ok: true, value: { type: "string", value: entry[1] } };
    }
    case "has":
      return { ok: true, value: { type: "boolean", value: resolve(operand.of, response).ok } };
    case "len":
      return measure(operand.of, response);
  }
}

function measure(of: BodyOperand | HeaderOperand, response: ResponseSnapshot): Resolved {
  if (of.kind === "body" && of.steps.length === 0) {
    // The whole body counts as the JSON array or object it holds, and as text otherwise.
    const parsed = jsonBody(response);
    const counted = parsed.ok && typeof parsed.value === "object" ? count(parsed.value) : undefined;
    return { ok: true, value: { type: "number", value: counted ?? [...response.body].length } };
  }
  const resolved = resolve(of, response);
  if (!resolved.ok) return resolved;
  const counted = lengthOf(resolved.value);
  if (counted === undefined) {
    const where = of.kind === "body" ? formatSteps(of.steps) : `header ${of.name}`;
    return {
      ok: false,
      shown: render(resolved.value),
      reason: `len() cannot measure ${render(resolved.value)} at ${where}`,
    };
  }
  return { ok: true, value: { type: "number", value: counted } };
}

/** A literal for `expected`: its value, but a number written with a base prefix as written. */
function shown(literal: Literal): string {
  const { value, text } = literal;
  return value.type === "number" && value.unit === undefined && isPrefixedNumber(text)
    ? text
    : render(value);
}

function describeExpected(
  operator: Operator,
  other: Operand | Matcher,
  resolved?: Resolved,
): string {
  const negation = operator === "!=" ? "!= " : "";
  if (other.kind === "any") return `${negation}any(${other.options.map(shown).join(", ")})`;
  if (other.kind === "pattern") return `${negation}pat(${other.glob})`;
  if (other.kind === "literal") return `${operator} ${shown(other)}`;
  return `${operator} ${describeOperand(other)}${resolved?.ok ? ` (${render(resolved.value)})` : ""}`;
}

function compareNumbers(a: number, operator: Operator, b: number): boolean {
  switch (operator) {
    case "==":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

export function evaluateCondition(
  condition: Condition,
  response: ResponseSnapshot,
): ConditionResult {
  const { source, left, right } = condition;
  // `actual` shows the response's side: `200 == [STATUS]` reads as [STATUS], expected == 200.
  const swap =
    left.kind === "literal" &&
    right.kind !== "literal" &&
    right.kind !== "any" &&
    right.kind !== "pattern";
  const observed = swap ? right : left;
  const operator = swap ? FLIPPED[condition.operator] : condition.operator;
  const other = swap ? left : right;
  const durations = isDuration(left) || isDuration(right);
  const failed = (actual: string, expected: string, reason: string): ConditionResult => ({
    condition: source,
    success: false,
    actual,
    expected,
    reason,
  });

  if (!response.connected && left.kind !== "connected" && right.kind !== "connected") {
    return failed(
      "(not connected)",
      describeExpected(operator, other),
      `not connected: ${response.error ?? "no reason recorded"}`,
    );
  }
  const seen = resolve(observed, response);
  const actual = seen.ok ? render(seen.value) : seen.shown;
  if (other.kind === "any" || other.kind === "pattern") {
    const expected = describeExpected(operator, other);
    if (!seen.ok) return failed(actual, expected, seen.reason);
    const matched =
      other.kind === "any"
        ? other.options.some((option) => sameValue(seen.value, option.value, durations))
        : matchesGlob(other.glob, plain(seen.value));
    return { condition: source, success: matched === (operator === "=="), actual, expected };
  }
  const target = resolve(other, response);
  const expected = describeExpected(operator, other, target);
  if (!seen.ok) return failed(actual, expected, seen.reason);
  if (!target.ok) return failed(actual, expected, target.reason);
  if (operator === "==" || operator === "!=") {
    return {
      condition: source,
      success: sameValue(seen.value, target.value, durations) === (operator === "=="),
      actual,
      expected,
    };
  }
  // Gatus reads an unparseable number as 0; here it fails and says why.
  const [a, b] = [toNumber(seen.value, durations), toNumber(target.value, durations)];
  if (a === undefined) return failed(actual, expected, `${render(seen.value)} is not a number`);
  if (b === undefined) return failed(actual, expected, `${render(target.value)} is not a number`);
  return { condition: source, success: compareNumbers(a, operator, b), actual, expected };
}
