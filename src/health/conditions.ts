// Health-check conditions in Gatus's grammar: the typed AST and its parser (evaluate.ts evaluates it).
import { parseBodyPath, type BodyPathStep } from "../shared/json-path.js";
import { parseDuration } from "../shared/duration.js";

/** What one request produced; the only thing evaluation reads. */
export interface ResponseSnapshot {
  connected: boolean; // false on refused connection, DNS error, TLS error, timeout
  status: number; // 0 when not connected
  responseTimeMs: number;
  headers: Record<string, string>; // names lower-cased
  body: string; // raw text (may be empty)
  certificateExpiresInMs?: number; // present for https responses
  error?: string; // why not connected
}

export type Operator = "==" | "!=" | "<" | "<=" | ">" | ">=";
const OPERATORS: readonly string[] = ["==", "!=", "<", "<=", ">", ">="];
const OPERATOR_LIST = "expected one of ==, !=, <, <=, >, >=";

/** A value as conditions compare it; `unit: "ms"` marks a duration, which renders as one. */
export type Value =
  | { type: "number"; value: number; unit?: "ms" }
  | { type: "boolean"; value: boolean }
  | { type: "string"; value: string }
  | { type: "json"; value: unknown }; // null, an object or an array from the body

/**
 * A literal as written (`text`, starting at `position`), typed at parse time: milliseconds against
 * a duration placeholder.
 */
export interface Literal {
  kind: "literal";
  text: string;
  position: number;
  value: Exclude<Value, { type: "json" }>;
}

/** `[BODY]` with `path` "" is the whole raw body; otherwise the JSON value at `steps`. */
export interface BodyOperand {
  kind: "body";
  path: string;
  steps: readonly BodyPathStep[];
}
export interface HeaderOperand {
  kind: "header";
  name: string; // lower-cased
}

export type Operand =
  | { kind: "status" | "responseTime" | "certificateExpiration" | "connected" }
  | BodyOperand
  | HeaderOperand
  | { kind: "len" | "has"; of: BodyOperand | HeaderOperand }
  | Literal;

/**
 * Forms for == or != alone: equality with any of a list, or a whole-string glob. Either side may
 * hold one (as in Gatus); the parser always puts it on the right of a Condition.
 */
export type Matcher =
  { kind: "any"; options: readonly Literal[] } | { kind: "pattern"; glob: string };

/** One condition; a matcher written on the left is stored on the right (`source` keeps the text). */
export interface Condition {
  source: string;
  left: Operand;
  operator: Operator;
  right: Operand | Matcher;
}

/**
 * A condition the user wrote wrongly; `position` is the 0-based offset into `condition` (shown
 * 1-based as a column).
 */
export class ConditionSyntaxError extends Error {
  readonly condition: string;
  readonly position?: number;

  constructor(condition: string, problem: string, position?: number) {
    super(position === undefined ? problem : `${problem} (column ${position + 1})`);
    this.name = "ConditionSyntaxError";
    this.condition = condition;
    this.position = position;
  }
}

export interface ConditionResult {
  condition: string; // the source text
  success: boolean;
  actual: string; // what was seen, rendered for humans, e.g. "503", "742ms", "\"DOWN\"", "(not found)"
  expected: string; // e.g. "== 200", "< 500ms", "any(200, 204)", "pat(2.*)"
  reason?: string; // when it could not be evaluated: unresolvable path, not a number, no certificate, not connected
}

/** The default when a check has no conditions: connected and [STATUS] < 400. */
export const DEFAULT_CONDITIONS: readonly string[] = Object.freeze([
  "[CONNECTED] == true",
  "[STATUS] < 400",
]);

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// Go's integer literals with a base prefix, which Gatus reads with strconv.ParseInt(text, 0, 64):
// an underscore may follow the prefix or separate two digits.
const PREFIXED = /^[+-]?0(?:[xX](?:_?[\da-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)$/;
const SIMPLE_PLACEHOLDERS: Readonly<Record<string, Operand>> = {
  STATUS: { kind: "status" },
  RESPONSE_TIME: { kind: "responseTime" },
  CERTIFICATE_EXPIRATION: { kind: "certificateExpiration" },
  CONNECTED: { kind: "connected" },
};
const PLACEHOLDER_NAMES = [...Object.keys(SIMPLE_PLACEHOLDERS), "BODY", "HEADER"];
const FUNCTION_NAMES = ["len", "has", "any", "pat"];
const CALL = /([A-Za-z_]\w*)\s*\(/y;

/** Whether `text` is an integer written with a base prefix: 0x1F, -0o17, 0b1010, 0x_FF. */
export const isPrefixedNumber = (text: string): boolean => PREFIXED.test(text);

/**
 * The number `text` writes: a decimal as JSON writes it, or an integer with a 0x, 0o or 0b prefix
 * (as Gatus compares them); undefined for anything else.
 */
export function readNumber(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  if (!PREFIXED.test(text)) return undefined;
  const magnitude = Number(text.replace(/^[+-]/, "").replace(/_/g, ""));
  return text.startsWith("-") ? -magnitude : magnitude;
}

export function parseCondition(text: string): Condition {
  return new ConditionParser(text).condition();
}

/** Renders an operand or a matcher the canonical way it is written, for messages, `expected`. */
export function describeOperand(operand: Operand | Matcher): string {
  switch (operand.kind) {
    case "status":
      return "[STATUS]";
    case "responseTime":
      return "[RESPONSE_TIME]";
    case "certificateExpiration":
      return "[CERTIFICATE_EXPIRATION]";
    case "connected":
      return "[CONNECTED]";
    case "body":
      return operand.path === ""
        ? "[BODY]"
        : `[BODY]${operand.path.startsWith("[") ? "" : "."}${operand.path}`;
    case "header":
      return `[HEADER].${operand.name}`;
    case "len":
    case "has":
      return `${operand.kind}(${describeOperand(operand.of)})`;
    case "literal":
      return operand.text;
    case "any":
      return `any(${operand.options.map((option) => option.text).join(", ")})`;
    case "pattern":
      return `pat(${operand.glob})`;
  }
}

const isMatcher = (side: Operand | Matcher): side is Matcher =>
  side.kind === "any" || side.kind === "pattern";
const functionName = (matcher: Matcher): string => (matcher.kind === "any" ? "any" : "pat");

export const isDuration = (side: Operand | Matcher) =>
  side.kind === "responseTime" || side.kind === "certificateExpiration";
const isBoolean = (side: Operand | Matcher) => side.kind === "connected" || side.kind === "has";

function didYouMean(
  word: string,
  candidates: readonly string[],
  wrap: (name: string) => string,
): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(word.toUpperCase(), candidate.toUpperCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best === undefined ? "" : `; did you mean ${wrap(best)}?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Whole-string glob match ("*" any run, "?" one character). A loop rather than a RegExp: a regular
 * expression with several stars backtracks exponentially on a long body that almost matches.
 */
export function matchesGlob(glob: string, text: string): boolean {
  const [pattern, input] = [[...glob], [...text]];
  let [g, t] = [0, 0];
  // Where the last "*" was, and from which input position it is retried taking one more character.
  let [star, retryFrom] = [-1, 0];
  while (t < input.length) {
    if (pattern[g] === "*") [star, retryFrom, g] = [g, t, g + 1];
    else if (g < pattern.length && (pattern[g] === "?" || pattern[g] === input[t]))
      [g, t] = [g + 1, t + 1];
    else if (star >= 0) [g, t, retryFrom] = [star + 1, retryFrom + 1, retryFrom + 1];
    else return false;
  }
  while (pattern[g] === "*") g += 1;
  return g === pattern.length;
}

/** Reads one condition left to right; every error names what is wrong and where. */
class ConditionParser {
  private pos = 0;
  /** Set once the operator is read: from there on, operator characters can belong to a value. */
  private operatorRead = false;

  constructor(private readonly text: string) {}

  condition(): Condition {
    this.skipSpace();
    if (this.pos === this.text.length) throw this.error("the condition is empty");
    const left = this.side("left");
    this.skipSpace();
    const operatorAt = this.pos;
    const operator = this.operator(left);
    if (isMatcher(left)) this.requireEquality(functionName(left), operator, operatorAt);
    this.skipSpace();
    const rightAt = this.pos;
    const right = this.side("right", operator, operatorAt);
    this.skipSpace();
    this.expectEnd();
    if (!isMatcher(left)) return this.typed({ source: this.text, left, operator, right }, rightAt);
    if (isMatcher(right)) {
      throw this.error(
        `${functionName(left)}() and ${functionName(right)}() each need a value on the other side`,
        rightAt,
      );
    }
    // == and != are symmetric: the matcher moves to the right, where evaluation looks for it.
    return this.typed({ source: this.text, left: right, operator, right: left }, rightAt);
  }

  /** Types literals by what they meet and rejects comparisons that can never mean anything. */
  private typed(condition: Condition, rightAt: number): Condition {
    const { left, operator, right } = condition;
    const ordering = operator !== "==" && operator !== "!=";
    const durationAgainst = isDuration(left) ? left : isDuration(right) ? right : undefined;
    const typeLiteral = (literal: Literal, against: Operand | Matcher): Literal => {
      if (durationAgainst !== undefined && durationAgainst !== literal) {
        // Gatus reads 0x1F4 against a duration as the integer it is: milliseconds.
        if (literal.value.type === "number" && isPrefixedNumber(literal.text))
          return { ...literal, value: { ...literal.value, unit: "ms" } };
        const written = literal.value.type === "string" ? literal.value.value : literal.text;
        try {
          return {
            ...literal,
            value: { type: "number", value: parseDuration(written), unit: "ms" },
          };
        } catch (error) {
          throw this.error(
            `${(error as Error).message} (compared with ${describeOperand(durationAgainst)})`,
            literal.position,
          );
        }
      }
      if (isBoolean(against) && literal.value.type !== "boolean") {
        throw this.error(
          `${describeOperand(against)} is true or false, so comparing it with ${literal.text} never holds`,
          literal.position,
        );
      }
      if (ordering && literal.value.type !== "number") {
        throw this.error(
          `${literal.text} is not a number; ${operator} compares numbers`,
          literal.position,
        );
      }
      return literal;
    };
    if (ordering) {
      for (const [side, at] of [
        [left, 0],
        [right, rightAt],
      ] as const) {
        if (isBoolean(side))
          throw this.error(
            `${describeOperand(side)} is true or false; compare it with == or !=`,
            at,
          );
      }
    }
    const typedLeft = left.kind === "literal" ? typeLiteral(left, right) : left;
    if (right.kind === "any")
      return {
        ...condition,
        left: typedLeft,
        right: { ...right, options: right.options.map((option) => typeLiteral(option, left)) },
      };
    return {
      ...condition,
      left: typedLeft,
      right: right.kind === "literal" ? typeLiteral(right, left) : right,
    };
  }

  private error(problem: string, position?: number): ConditionSyntaxError {
    return new ConditionSyntaxError(this.text, problem, position);
  }

  private peek(ahead = 0): string | undefined {
    return this.text[this.pos + ahead];
  }

  private skipSpace(): void {
    while (/\s/.test(this.peek() ?? "")) this.pos += 1;
  }

  private atOperator(): boolean {
    const char = this.peek();
    return char === "=" || char === "<" || char === ">" || (char === "!" && this.peek(1) === "=");
  }

  /**
   * Where a bare value ends: on the left at any operator; on the right only at one written with
   * spaces around it, as Gatus splits on " == ", so `[BODY].x == a==b` compares with `a==b`.
   */
  private endsValue(): boolean {
    if (!this.atOperator()) return false;
    if (!this.operatorRead) return true;
    let end = this.pos;
    while (/[=!<>]/.test(this.text[end] ?? "")) end += 1;
    const [before, after] = [this.text[this.pos - 1] ?? "", this.text[end]];
    return /\s/.test(before) && (after === undefined || /\s/.test(after));
  }

  private operator(left: Operand | Matcher): Operator {
    const start = this.pos;
    const char = this.peek();
    if (char === ")" || char === "]") throw this.error(`unbalanced "${char}"`, start);
    while (/[=!<>]/.test(this.peek() ?? "")) this.pos += 1;
    const written = this.text.slice(start, this.pos);
    if (written === "")
      throw this.error(`missing operator after ${describeOperand(left)}; ${OPERATOR_LIST}`, start);
    if (!OPERATORS.includes(written))
      throw this.error(`unknown operator "${written}"; ${OPERATOR_LIST}`, start);
    this.operatorRead = true;
    return written as Operator;
  }

  private expectEnd(): void {
    const char = this.peek();
    if (char === undefined) return;
    if (char === ")" || char === "]") throw this.error(`unbalanced "${char}"`, this.pos);
    if (this.atOperator())
      throw this.error("a condition has one operator; found a second one", this.pos);
    throw this.error(
      `unexpected ${JSON.stringify(this.text.slice(this.pos))} after the right side`,
      this.pos,
    );
  }

  /** The name and the offset just past "(" when a function call starts here. */
  private call(): { name: string; open: number } | undefined {
    CALL.lastIndex = this.pos;
    const match = CALL.exec(this.text);
    return match ? { name: match[1] ?? "", open: CALL.lastIndex } : undefined;
  }

  /** One side: any() or pat() (checked against the operator once it is known), or an operand. */
  private side(
    side: "left" | "right",
    operator?: Operator,
    operatorAt?: number,
  ): Operand | Matcher {
    const start = this.pos;
    const call = this.call();
    if (call?.name !== "any" && call?.name !== "pat") return this.operand(side, operator);
    if (operator !== undefined) this.requireEquality(call.name, operator, operatorAt);
    this.pos = call.open;
    return call.name === "any" ? this.anyOf(start) : this.pattern(start);
  }

  private requireEquality(name: string, operator: Operator, operatorAt?: number): void {
    if (operator !== "==" && operator !== "!=")
      throw this.error(`${name}() works with == or != only, not ${operator}`, operatorAt);
  }

  private operand(side: "left" | "right", operator?: Operator): Operand {
    const start = this.pos;
    const char = this.peek();
    if (char === undefined || this.atOperator()) {
      throw this.error(
        side === "left"
          ? "missing the left side before the operator"
          : `missing the right side after ${operator}`,
        start,
      );
    }
    if (char === "[") return this.placeholder();
    if (char === "]" || char === ")") throw this.error(`unbalanced "${char}"`, start);
    const call = this.call();
    if (call === undefined) {
      if (char === "(")
        throw this.error(
          'unexpected "("; only len(), has(), any() and pat() take parentheses',
          start,
        );
      return this.literal("");
    }
    if (call.name !== "len" && call.name !== "has") {
      throw this.error(
        `unknown function ${call.name}()${didYouMean(call.name, FUNCTION_NAMES, (name) => `${name}()`)}`,
        start,
      );
    }
    this.pos = call.open;
    this.skipSpace();
    const argumentAt = this.pos;
    const of = this.peek() === "[" ? this.placeholder() : undefined;
    if (of?.kind !== "body" && of?.kind !== "header") {
      throw this.error(`${call.name}() takes a [BODY] path or a [HEADER].name`, argumentAt);
    }
    if (call.name === "has" && of.kind === "body" && of.path === "") {
      throw this.error("has() needs a path into the body, as in has([BODY].version)", argumentAt);
    }
    this.closeParenthesis(start);
    return { kind: call.name, of };
  }

  private closeParenthesis(openedAt: number): void {
    this.skipSpace();
    const char = this.peek();
    if (char === ")") {
      this.pos += 1;
      return;
    }
    if (char === undefined) throw this.error('unbalanced "(": no matching ")"', openedAt);
    throw this.error(`expected ")", found "${char}"`, this.pos);
  }

  private placeholder(): Operand {
    const start = this.pos;
    const match = /\[([^[\]]*)\]/y;
    match.lastIndex = start;
    const found = match.exec(this.text);
    if (!found) throw this.error('unbalanced "[": no matching "]"', start);
    const name = found[1] ?? "";
    this.pos = match.lastIndex;
    if (name === "BODY") return this.bodyPath();
    if (name === "HEADER") {
      const header = /\.([A-Za-z0-9#$%&*+\-.^_`|~]+)/y;
      header.lastIndex = this.pos;
      const headerName = header.exec(this.text)?.[1];
      if (headerName === undefined)
        throw this.error("[HEADER] needs a header name, as in [HEADER].content-type", start);
      this.pos = header.lastIndex;
      return { kind: "header", name: headerName.toLowerCase() };
    }
    const simple = SIMPLE_PLACEHOLDERS[name];
    if (simple === undefined) {
      throw this.error(
        `unknown placeholder [${name}]${didYouMean(name, PLACEHOLDER_NAMES, (known) => `[${known}]`)}`,
        start,
      );
    }
    if (this.peek() === "." || this.peek() === "[")
      throw this.error(`[${name}] takes no path`, this.pos);
    return simple;
  }

  private bodyPath(): BodyOperand {
    const start = this.pos;
    if (this.peek() !== "." && this.peek() !== "[") return { kind: "body", path: "", steps: [] };
    while (this.pos < this.text.length && !/[\s(),]/.test(this.peek() ?? "") && !this.atOperator())
      this.pos += 1;
    const written = this.text.slice(start, this.pos);
    const path = written.startsWith(".") ? written.slice(1) : written;
    if (path === "")
      throw this.error("[BODY]. needs a path after the dot, as in [BODY].status", start);
    const parsed = parseBodyPath(path);
    if (!parsed.ok)
      throw this.error(
        `invalid body path "${path}": ${parsed.reason}`,
        start + written.length - path.length + parsed.offset,
      );
    return { kind: "body", path, steps: parsed.steps };
  }

  /**
   * A quoted string, or bare text up to where a value ends (see endsValue), a bracket, a parenthesis
   * or one of `stops` (spaces inside are kept).
   */
  private literal(stops: string): Literal {
    const position = this.pos;
    const quote = this.peek();
    if (quote === '"' || quote === "'") {
      let value = "";
      this.pos += 1;
      while (this.pos < this.text.length) {
        const char = this.text[this.pos++] ?? "";
        if (char === quote)
          return {
            kind: "literal",
            text: this.text.slice(position, this.pos),
            position,
            value: { type: "string", value },
          };
        value += char === "\\" && this.pos < this.text.length ? this.text[this.pos++] : char;
      }
      throw this.error(`unterminated string: the ${quote} is never closed`, position);
    }
    while (
      this.pos < this.text.length &&
      !this.endsValue() &&
      !`[]()${stops}`.includes(this.peek() ?? "")
    )
      this.pos += 1;
    const text = this.text.slice(position, this.pos).trimEnd();
    if (text === "") throw this.error(`expected a value, found "${this.peek() ?? ""}"`, position);
    if (text === "true" || text === "false")
      return {
        kind: "literal",
        text,
        position,
        value: { type: "boolean", value: text === "true" },
      };
    const number = readNumber(text);
    if (number !== undefined)
      return { kind: "literal", text, position, value: { type: "number", value: number } };
    return { kind: "literal", text, position, value: { type: "string", value: text } };
  }

  private anyOf(start: number): Matcher {
    const options: Literal[] = [];
    for (;;) {
      this.skipSpace();
      const char = this.peek();
      if (char === undefined) throw this.error('unbalanced "(": no matching ")"', start);
      if (char === ")" && options.length === 0)
        throw this.error("any() needs at least one value", this.pos);
      if (char === "," || char === ")") throw this.error("empty value in any()", this.pos);
      options.push(this.literal(","));
      this.skipSpace();
      const next = this.peek();
      this.pos += 1;
      if (next === ")") return { kind: "any", options };
      if (next === undefined) throw this.error('unbalanced "(": no matching ")"', start);
      if (next !== ",") throw this.error(`unexpected "${next}" in any()`, this.pos - 1);
    }
  }

  private pattern(start: number): Matcher {
    const open = this.pos;
    let depth = 1;
    for (; this.pos < this.text.length; this.pos += 1) {
      const char = this.text[this.pos];
      if (char === "(") depth += 1;
      if (char === ")" && --depth === 0) break;
    }
    if (depth > 0) throw this.error('unbalanced "(": no matching ")"', start);
    const glob = this.text.slice(open, this.pos).trim();
    this.pos += 1;
    return { kind: "pattern", glob };
  }
}
