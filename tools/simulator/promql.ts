// The PromQL the simulator answers: parsed with Prometheus's own grammar (lezer-promql) into a
// small typed tree. Only the shapes canary-gate's queries use are accepted (selectors, rate and
// increase over ranges, histogram_quantile, vector, scalar, sum/avg/min/max/count with by or
// without, arithmetic and or/and/unless without matching modifiers); anything else is an
// `UnsupportedQuery`, answered as Prometheus answers a query it cannot run.
import { parser } from "@prometheus-io/lezer-promql";

type SyntaxNode = ReturnType<typeof parser.parse>["topNode"];

export type MatchOp = "=" | "!=" | "=~" | "!~";
export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

export type AggregateOp = "sum" | "avg" | "min" | "max" | "count";
export type BinaryOp = "+" | "-" | "*" | "/" | "or" | "and" | "unless";
export type FunctionName = "rate" | "increase" | "histogram_quantile" | "vector" | "scalar";

export type Expr =
  | { kind: "number"; value: number }
  | { kind: "selector"; matchers: Matcher[] }
  | { kind: "range"; matchers: Matcher[]; rangeMs: number }
  | { kind: "call"; name: FunctionName; args: Expr[] }
  | {
      kind: "aggregate";
      op: AggregateOp;
      without: boolean;
      labels: string[] | undefined;
      arg: Expr;
    }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr }
  | { kind: "negate"; arg: Expr };

/** A query Prometheus would reject (bad_data): a syntax error, with its position. */
export class QuerySyntaxError extends Error {}

/** A well-formed query using PromQL the simulator does not implement. */
export class UnsupportedQuery extends Error {}

const AGGREGATES: readonly string[] = ["sum", "avg", "min", "max", "count"];
const FUNCTIONS: readonly string[] = ["rate", "increase", "histogram_quantile", "vector", "scalar"];
const BINARY: Readonly<Record<string, BinaryOp>> = {
  Add: "+",
  Sub: "-",
  Mul: "*",
  Div: "/",
  Or: "or",
  And: "and",
  Unless: "unless",
};
const MATCH_OPS: Readonly<Record<string, MatchOp>> = {
  EqlSingle: "=",
  Neq: "!=",
  EqlRegex: "=~",
  NeqRegex: "!~",
};
const DURATION_UNITS: Readonly<Record<string, number>> = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

function children(node: SyntaxNode): SyntaxNode[] {
  const result: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) result.push(child);
  return result;
}

const isExpr = (node: SyntaxNode) => node.type.is("Expr");

/** A PromQL duration ("5m", "1h30m", "250ms", or a number of seconds) in milliseconds. */
export function parseDurationMs(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)];
  if (parts.map((part) => part[0]).join("") !== text)
    throw new QuerySyntaxError(`bad duration "${text}"`);
  return parts.reduce(
    (total, [, amount, unit]) => total + Number(amount) * DURATION_UNITS[unit!]!,
    0,
  );
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/** A PromQL string literal's value (Go's strconv.Unquote rules; backquotes are raw). */
export function unquote(literal: string): string {
  const quote = literal[0];
  if (literal.length < 2 || literal.at(-1) !== quote)
    throw new QuerySyntaxError(`unterminated string ${literal}`);
  const body = literal.slice(1, -1);
  if (quote === "`") return body;
  return body.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g,
    (_, escape: string) => {
      if (/^[xuU]/.test(escape)) return String.fromCodePoint(parseInt(escape.slice(1), 16));
      if (/^[0-7]{3}$/.test(escape)) return String.fromCodePoint(parseInt(escape, 8));
      const simple = SIMPLE_ESCAPES[escape];
      if (simple === undefined) throw new QuerySyntaxError(`unknown escape sequence \\${escape}`);
      return simple;
    },
  );
}

/** Parses a query into the supported subset; throws QuerySyntaxError or UnsupportedQuery. */
export function parsePromql(query: string): Expr {
  const tree = parser.parse(query);
  let error: number | undefined;
  tree.iterate({
    enter: (node) => {
      if (error === undefined && node.type.isError) error = node.from;
      return error === undefined;
    },
  });
  if (error !== undefined) {
    const near = query.slice(error, error + 10);
    const what = near ? `unexpected ${JSON.stringify(near)}` : "unexpected end of input";
    throw new QuerySyntaxError(`parse error at char ${error + 1}: ${what}`);
  }
  const top = tree.topNode.firstChild;
  if (!top) throw new QuerySyntaxError("parse error: no expression found in input");
  return convert(top, query);
}

function convert(node: SyntaxNode, query: string): Expr {
  const text = (of: SyntaxNode) => query.slice(of.from, of.to);
  switch (node.type.name) {
    case "NumberDurationLiteral":
      return { kind: "number", value: numberLiteral(text(node)) };
    case "ParenExpr":
      return convert(children(node).find(isExpr)!, query);
    case "VectorSelector":
      return { kind: "selector", matchers: selectorMatchers(node, query) };
    case "MatrixSelector":
      return matrixSelector(node, query);
    case "UnaryExpr": {
      const [op, arg] = children(node);
      const inner = convert(arg!, query);
      return text(op!) === "-" ? { kind: "negate", arg: inner } : inner;
    }
    case "FunctionCall":
      return functionCall(node, query);
    case "AggregateExpr":
      return aggregate(node, query);
    case "BinaryExpr":
      return binary(node, query);
    default:
      throw new UnsupportedQuery(`${describe(node.type.name)} (${JSON.stringify(text(node))})`);
  }
}

function describe(type: string): string {
  const names: Record<string, string> = {
    OffsetExpr: "offset",
    StepInvariantExpr: "the @ modifier",
    SubqueryExpr: "subqueries",
    StringLiteral: "string results",
  };
  return `the simulator does not support ${names[type] ?? type}`;
}

function numberLiteral(text: string): number {
  const value = text.replace(/_/g, "");
  const sign = value.startsWith("-") ? -1 : 1;
  const unsigned = value.replace(/^[+-]/, "");
  const lower = unsigned.toLowerCase();
  if (lower === "inf") return sign * Infinity;
  if (lower === "nan") return Number.NaN;
  if (/^0x[0-9a-f]+$/.test(lower)) return sign * parseInt(lower.slice(2), 16);
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) return sign * Number(lower);
  return (sign * parseDurationMs(unsigned)) / 1000;
}

function selectorMatchers(node: SyntaxNode, query: string): Matcher[] {
  const matchers: Matcher[] = [];
  for (const child of children(node)) {
    if (child.type.name === "Identifier")
      matchers.push({ name: "__name__", op: "=", value: query.slice(child.from, child.to) });
    if (child.type.name !== "LabelMatchers") continue;
    for (const matcher of children(child)) {
      const [name, op, value] = children(matcher);
      if (matcher.type.name !== "UnquotedLabelMatcher" || !name || !op || !value)
        throw new UnsupportedQuery(`the simulator does not support quoted label names`);
      matchers.push({
        name: query.slice(name.from, name.to),
        op: MATCH_OPS[op.firstChild?.type.name ?? ""] ?? "=",
        value: unquote(query.slice(value.from, value.to)),
      });
    }
  }
  return matchers;
}

function matrixSelector(node: SyntaxNode, query: string): Expr {
  const [selector, duration] = children(node);
  if (selector?.type.name !== "VectorSelector" || !duration)
    throw new UnsupportedQuery("the simulator supports ranges of selectors only");
  const durationText = query.slice(duration.from, duration.to);
  if (
    duration.firstChild?.type.name !== "NumberDurationLiteralInDurationContext" ||
    children(duration).length !== 1
  )
    throw new UnsupportedQuery(
      `the simulator does not support duration expressions ("${durationText}")`,
    );
  return {
    kind: "range",
    matchers: selectorMatchers(selector, query),
    rangeMs: parseDurationMs(durationText),
  };
}

function functionCall(node: SyntaxNode, query: string): Expr {
  const [identifier, body] = children(node);
  const name = query.slice(identifier!.from, identifier!.to);
  if (!FUNCTIONS.includes(name))
    throw new UnsupportedQuery(`the simulator does not support the function ${name}()`);
  const args = children(body!)
    .filter(isExpr)
    .map((arg) => convert(arg, query));
  const expected: Record<string, string[]> = {
    rate: ["range"],
    increase: ["range"],
    histogram_quantile: ["scalar", "vector"],
    vector: ["scalar"],
    scalar: ["vector"],
  };
  const kinds = expected[name]!;
  if (args.length !== kinds.length)
    throw new QuerySyntaxError(
      `expected ${kinds.length} argument(s) in call to "${name}", got ${args.length}`,
    );
  if (kinds[0] === "range" && args[0]?.kind !== "range")
    throw new QuerySyntaxError(`expected type range vector in call to function "${name}"`);
  return { kind: "call", name: name as FunctionName, args };
}

function aggregate(node: SyntaxNode, query: string): Expr {
  const parts = children(node);
  const op = query.slice(parts[0]!.from, parts[0]!.to).toLowerCase();
  if (!AGGREGATES.includes(op))
    throw new UnsupportedQuery(`the simulator does not support the aggregation ${op}`);
  const modifier = parts.find((part) => part.type.name === "AggregateModifier");
  const body = parts.find((part) => part.type.name === "FunctionCallBody");
  const args = children(body!).filter(isExpr);
  if (args.length !== 1)
    throw new QuerySyntaxError(`wrong number of arguments for aggregate expression ${op}`);
  const labels = modifier
    ? children(modifier.lastChild!).map((label) => query.slice(label.from, label.to))
    : undefined;
  return {
    kind: "aggregate",
    op: op as AggregateOp,
    without: modifier?.firstChild?.type.name === "Without",
    labels,
    arg: convert(args[0]!, query),
  };
}

function binary(node: SyntaxNode, query: string): Expr {
  const parts = children(node);
  const [left, operator, ...rest] = parts;
  const op = BINARY[operator?.type.name ?? ""];
  if (!op)
    throw new UnsupportedQuery(
      `the simulator does not support the operator ${query.slice(operator!.from, operator!.to)}`,
    );
  if (rest.length !== 1)
    throw new UnsupportedQuery(
      "the simulator does not support bool, on, ignoring, group_left or group_right",
    );
  return { kind: "binary", op, left: convert(left!, query), right: convert(rest[0]!, query) };
}
