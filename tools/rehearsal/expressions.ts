// `${{ }}` evaluation with GitHub's own lexer, parser and evaluator: the contexts a runner offers,
// the status functions with the runner's semantics, and the runner's coercion of results to text.
import { data, Evaluator, Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { truthy } from "@actions/expressions/result";
import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from "@actions/workflow-parser";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/index";
import { entries, items } from "./workflow-file.js";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * What the status functions see. For a job's `if`: whether every needed job succeeded and whether
 * any ancestor failed. For a step's `if`: the job's status after the steps before it.
 */
export interface Status {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export const SUCCEEDED: Status = { success: true, failure: false, cancelled: false };

/** The contexts an expression may read, and the status its status functions report. */
export interface Scope {
  contexts: Record<string, Json>;
  status: Status;
}

const CONTEXT_NAMES = [
  "github",
  "inputs",
  "needs",
  "steps",
  "env",
  "secrets",
  "matrix",
  "job",
  "jobs",
  "runner",
  "vars",
  "strategy",
];

function statusFunctions(status: Status): Map<string, FunctionDefinition> {
  const define = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ];
  return new Map([
    define("success", () => status.success && !status.cancelled),
    define("failure", () => status.failure && !status.cancelled),
    define("always", () => true),
    define("cancelled", () => status.cancelled),
  ]);
}

const STATUS_FUNCTION_INFO = [...statusFunctions(SUCCEEDED).values()].map(
  ({ name, minArgs, maxArgs }) => ({ name, minArgs, maxArgs }),
);

function toData(value: Json): data.ExpressionData {
  return JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData;
}

function fromData(value: data.ExpressionData): Json {
  return JSON.parse(JSON.stringify(value, data.replacer) ?? "null") as Json;
}

function evaluateData(expression: string, scope: Scope): data.ExpressionData {
  const { tokens } = new Lexer(expression).lex();
  const tree = new Parser(tokens, CONTEXT_NAMES, STATUS_FUNCTION_INFO).parse();
  const contexts = toData(
    Object.fromEntries(CONTEXT_NAMES.map((name) => [name, scope.contexts[name] ?? {}])),
  );
  return new Evaluator(tree, contexts as data.Dictionary, statusFunctions(scope.status)).evaluate();
}

/** Evaluates one expression (without `${{ }}`). */
export function evaluateExpression(expression: string, scope: Scope): Json {
  return fromData(evaluateData(expression, scope));
}

/** Evaluates an `if:` condition (the parser has already wrapped it in `success() && (...)` where needed). */
export function evaluateCondition(expression: string, scope: Scope): boolean {
  return truthy(evaluateData(expression, scope));
}

/** Evaluates a token tree: expressions (`${{ }}` in strings become format() calls when parsed) and literals. */
export function evaluateToken(token: TemplateToken | undefined, scope: Scope): Json {
  if (!token) return null;
  if (isBasicExpression(token)) return evaluateExpression(token.expression, scope);
  if (isString(token) || isNumber(token) || isBoolean(token)) return token.value;
  if (isMapping(token))
    return Object.fromEntries(
      entries(token).map(([key, value]) => [key, evaluateToken(value, scope)]),
    );
  if (isSequence(token)) return items(token).map((item) => evaluateToken(item, scope));
  return null;
}

/** A value as the runner passes it on in `with:` and `env:`: text, with objects as JSON. */
export function asText(value: Json): string {
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, null, 2);
}

/** Evaluates a token to text, as `asText` writes values. */
export function evaluateText(token: TemplateToken | undefined, scope: Scope): string {
  return asText(evaluateToken(token, scope));
}

/** Evaluates a mapping token (`with:`, `env:`, `outputs:`) to text values. */
export function evaluateTextMap(
  token: TemplateToken | undefined,
  scope: Scope,
): Record<string, string> {
  return Object.fromEntries(
    entries(token).map(([key, value]) => [key, asText(evaluateToken(value, scope))]),
  );
}
