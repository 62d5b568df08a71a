// Conditions as Gatus reads them: cases taken from the behaviour of TwiN/gatus's
// config/endpoint/condition.go (and its tests), and the deviations the README documents.
import { describe, expect, it } from "@jest/globals";
import {
  ConditionSyntaxError,
  parseCondition,
  type ResponseSnapshot,
} from "../../src/health/conditions.js";
import { evaluateCondition } from "../../src/health/evaluate.js";

function response(body: unknown, overrides: Partial<ResponseSnapshot> = {}): ResponseSnapshot {
  return {
    connected: true,
    status: 200,
    responseTimeMs: 120,
    headers: { "x-mask": "0x1f", "x-count": "31" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...overrides,
  };
}

const holds = (text: string, body: unknown, overrides: Partial<ResponseSnapshot> = {}) =>
  evaluateCondition(parseCondition(text), response(body, overrides));

function syntaxError(text: string): string {
  try {
    parseCondition(text);
  } catch (error) {
    if (error instanceof ConditionSyntaxError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

describe("numbers written with a base prefix (Gatus: strconv.ParseInt(text, 0, 64))", () => {
  it.each([
    // [condition, body, holds] — the first block is Gatus's own test table.
    ["[BODY].data > 0", { data: "0x1" }, true],
    ["[BODY].data == 1", { data: "0x1" }, true],
    ["[BODY].data == 0x1", { data: "0x1" }, true],
    ["[BODY].data == 2", { data: "0x2" }, true],
    ["[BODY].data == 15", { data: "0xF" }, true],
    ["[BODY].data == 12648243", { data: "0xC0ff33" }, true],
    ["[BODY].data >= 1", { data: "0x01" }, true],
    ["[BODY].data > 0", { data: "0o1" }, true],
    ["[BODY].data == 2", { data: "0o2" }, true],
    ["[BODY].data == 0o2", { data: "0o2" }, true],
    ["[BODY].data > 0", { data: "0b1" }, true],
    ["[BODY].data == 2", { data: "0b0010" }, true],
    ["[BODY].data == 0b10", { data: "0b0010" }, true],
    ["[BODY].data == 0x2", { data: "0x1" }, false],
    ["[BODY].data != 0x2", { data: "0x1" }, true],
    // Prefixes in the condition against JSON numbers, the status and the whole body.
    ["[BODY].count == 0x2A", { count: 42 }, true],
    ["[BODY].count == 0X2a", { count: 42 }, true],
    ["[BODY].count < 0o53", { count: 42 }, true],
    ["[BODY].count >= 0b101011", { count: 42 }, false],
    ["[BODY].delta == -0x10", { delta: -16 }, true],
    ["[BODY].delta == -16", { delta: "-0x10" }, true],
    ["[BODY].big == 0x_FF_FF", { big: 65535 }, true],
    ["[STATUS] == 0xC8", {}, true],
    ["[STATUS] < 0x190", {}, true],
    ["[STATUS] == any(0xC8, 0xCC)", {}, true],
    ["[BODY] == 31", "0x1F", true],
    ["0x1F == [BODY]", "31", true],
    // Two texts from the response: Gatus compares them as integers when both read as one.
    ["[HEADER].x-mask == [HEADER].x-count", {}, true],
    ["[HEADER].x-mask == [BODY].mask", { mask: "0x1F" }, true],
    // Go's syntax: an underscore only after the prefix or between digits, digits of the base only.
    ["[BODY].data == 0xG", { data: "0xG" }, true],
    ["[BODY].data == 0", { data: "0xG" }, false],
    ["[BODY].data == 2", { data: "0b2" }, false],
    ["[BODY].data == 8", { data: "0o8" }, false],
    ["[BODY].data == 0", { data: "0x" }, false],
    ["[BODY].data == 18", { data: "0x1__2" }, false],
    ["[BODY].data == 1", { data: "0x1_" }, false],
  ] as const)("%s with %j: %s", (text, body, expected) => {
    expect(holds(text, body).success).toBe(expected);
  });

  it("reads a prefixed number against a duration as milliseconds, as Gatus does", () => {
    expect(holds("[RESPONSE_TIME] < 0x1F4", {})).toMatchObject({
      success: true,
      expected: "< 500ms",
    });
    expect(holds("[RESPONSE_TIME] < [BODY].budget", { budget: "0x1F4" }).success).toBe(true);
    expect(holds("[RESPONSE_TIME] < [BODY].budget", { budget: "0x64" }).success).toBe(false);
  });

  it("shows a prefixed number as written", () => {
    expect(holds("[BODY].data == 0x1F", { data: "0x20" })).toEqual({
      condition: "[BODY].data == 0x1F",
      success: false,
      actual: '"0x20"',
      expected: "== 0x1F",
    });
    expect(holds("[STATUS] == any(0xC8, 204)", {}, { status: 500 }).expected).toBe(
      "any(0xC8, 204)",
    );
  });

  it("orders prefixed numbers; a prefix without digits is no number to order", () => {
    expect(holds("[BODY].flags > 0xF", { flags: "0x10" }).success).toBe(true);
    expect(syntaxError("[STATUS] < 0xG")).toBe(
      "0xG is not a number; < compares numbers (column 12)",
    );
  });

  it("reads a leading zero as decimal, unlike Gatus's octal (a deviation)", () => {
    expect(holds("[BODY].zip == 10", { zip: "010" }).success).toBe(true);
  });
});

describe("len() of a number or a boolean is the length of its text", () => {
  it.each([
    // Gatus's own cases first.
    ["len([BODY].age) == 2", { age: 18 }, true],
    ["len([BODY].adult) == 4", { adult: true }, true],
    ["len([BODY][0].age) == 2", [{ age: 18, adult: true }], true],
    ["len([BODY][0].adult) == 4", [{ age: 18, adult: true }], true],
    ["len([BODY].data) == 3", { data: "0x1" }, true],
    ["len([BODY].data) == 4", { data: "0x01" }, true],
    ["len([BODY].off) == 5", { off: false }, true],
    ["len([BODY].delta) == 2", { delta: -3 }, true],
    ["len([BODY].ratio) == 3", { ratio: 1.5 }, true],
    ["len([BODY].ratio) > 2", { ratio: 1.5 }, true],
  ] as const)("%s with %j: %s", (text, body, expected) => {
    expect(holds(text, body)).toMatchObject({ success: expected });
  });

  it("shows the length it measured", () => {
    expect(holds("len([BODY].age) == 3", { age: 18 })).toEqual({
      condition: "len([BODY].age) == 3",
      success: false,
      actual: "2",
      expected: "== 3",
    });
  });

  it("still counts an object's keys (Gatus measures its JSON text: a deviation)", () => {
    expect(holds("len([BODY][0]) == 2", [{ age: 18, adult: true }]).success).toBe(true);
  });

  it("fails with a reason on null, which has no text in Gatus either", () => {
    expect(holds("len([BODY].nothing) == 4", { nothing: null })).toMatchObject({
      success: false,
      actual: "null",
      reason: "len() cannot measure null at nothing",
    });
  });
});

describe("functions on either side of the operator", () => {
  it.each([
    ["any(200, 429) == [STATUS]", {}, 200, true],
    ["any(200, 429) == [STATUS]", {}, 404, false],
    ["any(500, 503) != [STATUS]", {}, 200, true],
    ["pat(4*) == [STATUS]", {}, 404, true],
    ["pat(4*) == [STATUS]", {}, 200, false],
    ["pat(2*) != [STATUS]", {}, 503, true],
    ["pat(*john*) == [BODY]", "<p>john.doe</p>", 200, true],
    ["any(UP, DEGRADED) == [BODY].status", { status: "DEGRADED" }, 200, true],
    ["pat(4*) == 404", {}, 200, true],
    ["0 < len([BODY].items)", { items: [1] }, 200, true],
    ["2 == len([BODY].items)", { items: [1] }, 200, false],
    ["true == has([BODY].version)", { version: "1" }, 200, true],
    ["len([BODY].a) == len([BODY].b)", { a: [1, 2], b: "xy" }, 200, true],
    ["len([BODY].a) < len([BODY].b)", { a: [1, 2], b: "xyz" }, 200, true],
  ] as const)("%s with %j and status %d: %s", (text, body, status, expected) => {
    expect(holds(text, body, { status }).success).toBe(expected);
  });

  it("keeps the matcher on the right of the AST, the text as written", () => {
    expect(parseCondition("any(200, 429) == [STATUS]")).toMatchObject({
      source: "any(200, 429) == [STATUS]",
      left: { kind: "status" },
      operator: "==",
      right: { kind: "any", options: [{ text: "200" }, { text: "429" }] },
    });
    expect(holds("pat(4*) == [STATUS]", {})).toEqual({
      condition: "pat(4*) == [STATUS]",
      success: false,
      actual: "200",
      expected: "pat(4*)",
    });
  });

  it.each([
    ["pat(2*) < [STATUS]", "pat() works with == or != only, not < (column 9)"],
    ["any(200, 204) >= [STATUS]", "any() works with == or != only, not >= (column 15)"],
    ["any(200) == pat(2*)", "any() and pat() each need a value on the other side (column 13)"],
    ["pat(2*) != pat(3*)", "pat() and pat() each need a value on the other side (column 12)"],
  ])("rejects %j: %s", (text, message) => {
    expect(syntaxError(text)).toBe(message);
  });
});

describe("an operator inside a value", () => {
  it.each([
    ["[BODY].x == a==b", { x: "a==b" }, true],
    ["[BODY].x == a==b", { x: "a" }, false],
    ["[BODY].x != a<b", { x: "a<b" }, false],
    ["[BODY].x == a>=b>c", { x: "a>=b>c" }, true],
    ["[BODY].x == a !=b", { x: "a !=b" }, true],
    ["[BODY].x == a== b", { x: "a== b" }, true],
    ["[BODY].x == any(a==b, c)", { x: "a==b" }, true],
    ['[BODY].x == "a == b"', { x: "a == b" }, true],
    ["[BODY].x==a==b", { x: "a==b" }, true],
  ] as const)("%s with %j: %s", (text, body, expected) => {
    expect(holds(text, body).success).toBe(expected);
  });

  it("keeps the operator characters in the right side's literal", () => {
    expect(parseCondition("[BODY].x == a==b").right).toEqual({
      kind: "literal",
      text: "a==b",
      position: 12,
      value: { type: "string", value: "a==b" },
    });
  });

  it.each([
    // Gatus splits on every " == " and silently ignores the third part; here that is an error.
    ["[BODY].x == a == b", "a condition has one operator; found a second one (column 15)"],
    ["[BODY].x != a == b", "a condition has one operator; found a second one (column 15)"],
    ["[BODY].x == a < b", "a condition has one operator; found a second one (column 15)"],
    ["[BODY].x == a ==", "a condition has one operator; found a second one (column 15)"],
  ])("rejects %j: %s", (text, message) => {
    expect(syntaxError(text)).toBe(message);
  });
});
