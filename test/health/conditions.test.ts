// The health-check condition grammar: durations, body paths, parsing and evaluation on hand-built snapshots.
import { describe, expect, it } from "@jest/globals";
import { parseJsonBody, resolveBodyPath } from "../../src/shared/json-path.js";
import {
  ConditionSyntaxError,
  DEFAULT_CONDITIONS,
  parseCondition,
  type ConditionResult,
  type ResponseSnapshot,
} from "../../src/health/conditions.js";
import { formatDuration, parseDuration } from "../../src/shared/duration.js";
import { evaluateCondition } from "../../src/health/evaluate.js";

const DAY = 86_400_000;

const BODY = {
  status: "UP",
  version: "1.4.2",
  count: 42,
  ratio: "42.0",
  negative: -3,
  text: "abc",
  nan: "NaN",
  healthy: true,
  nothing: null,
  items: [{ id: 7, name: "first" }, { id: 8 }],
  data: { list: [10, 20, 30], "b-c": "dash", empty: {} },
};

function snapshot(overrides: Partial<ResponseSnapshot> = {}): ResponseSnapshot {
  return {
    connected: true,
    status: 200,
    responseTimeMs: 120,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "x-version": "1.4.2",
      "content-length": "42",
    },
    body: JSON.stringify(BODY),
    certificateExpiresInMs: 30 * DAY,
    ...overrides,
  };
}

const refused = snapshot({
  connected: false,
  status: 0,
  responseTimeMs: 3,
  headers: {},
  body: "",
  error: "connect ECONNREFUSED 127.0.0.1:8080",
});

function check(text: string, overrides: Partial<ResponseSnapshot> = {}): ConditionResult {
  return evaluateCondition(parseCondition(text), snapshot(overrides));
}

function syntaxError(text: string): ConditionSyntaxError {
  try {
    parseCondition(text);
  } catch (error) {
    if (error instanceof ConditionSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

describe("parseDuration", () => {
  it.each([
    ["300ms", 300],
    ["2s", 2_000],
    ["1.5s", 1_500],
    ["5m", 300_000],
    ["48h", 48 * 3_600_000],
    ["1h30m", 5_400_000],
    ["2d", 2 * DAY],
    ["250", 250],
    ["0.5", 0.5],
    [" 2m 5s ", 125_000],
    ["1m30s500ms", 90_500],
  ])("reads %j as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "abc", "5 sec", "2S", "-5s", "1s1s", "5x", "h", "1.2.3s", "1e3ms"])(
    "rejects %j with a clear message",
    (text) => {
      expect(() => parseDuration(text)).toThrow(/malformed duration .*write e\.g\. 300ms/);
    },
  );

  it("reads back what formatDuration writes", () => {
    for (const ms of [250, 1_500, 125_000, 177_120_000])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [2.54, "2.5ms"],
    [250, "250ms"],
    [742.4, "742ms"],
    [999.7, "1s"],
    [1_500, "1.5s"],
    [2_000, "2s"],
    [59_960, "1m"],
    [125_000, "2m 5s"],
    [3_600_000, "1h"],
    [177_120_000, "49h 12m"],
    [-1_500, "-1.5s"],
  ])("writes %d ms as %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("resolveBodyPath", () => {
  it.each([
    ["status", "UP"],
    ["items[0].id", 7],
    ["data.list[2]", 30],
    ["data.b-c", "dash"],
    ["nothing", null],
    ["", BODY],
  ])("finds %j", (path, value) => {
    expect(resolveBodyPath(BODY, path)).toEqual({ found: true, value });
  });

  it("reads a root array", () => {
    expect(resolveBodyPath([{ name: "a" }, { name: "b" }], "[1].name")).toEqual({
      found: true,
      value: "b",
    });
  });

  it.each([
    ["items[0].x", 'no key "x" at items[0]'],
    ["items[5]", "index 5 out of range (length 2) at items"],
    ["missing", 'no key "missing" at the root'],
    ["status.length", "expected an object at status, found a string"],
    ["data[0]", "expected an array at data, found an object"],
    ["constructor", 'no key "constructor" at the root'],
    ["a..b", 'invalid path "a..b": empty key (offset 2)'],
    [
      "items[x]",
      'invalid path "items[x]": an array index is a whole number, found "[x]" (offset 5)',
    ],
    ["items[0", 'invalid path "items[0": "[" has no matching "]" (offset 5)'],
    ["items]", 'invalid path "items]": "]" has no matching "[" (offset 5)'],
    [
      "items[0]id",
      'invalid path "items[0]id": expected "." or "[" after "]", found "i" (offset 8)',
    ],
  ])("explains why %j is not found", (path, reason) => {
    expect(resolveBodyPath(BODY, path)).toEqual({ found: false, reason });
  });

  it("parses JSON bodies and says why others are not", () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBody("")).toEqual({ ok: false, reason: "body is empty, not JSON" });
    expect(parseJsonBody("<html>")).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^body is not JSON: Unexpected token/),
    });
  });
});

describe("parseCondition", () => {
  it("builds a typed AST, with durations in milliseconds", () => {
    expect(parseCondition("[RESPONSE_TIME] < 1h30m")).toEqual({
      source: "[RESPONSE_TIME] < 1h30m",
      left: { kind: "responseTime" },
      operator: "<",
      right: {
        kind: "literal",
        text: "1h30m",
        position: 18,
        value: { type: "number", value: 5_400_000, unit: "ms" },
      },
    });
    expect(parseCondition("len([BODY].items[0].tags) >= 2").left).toEqual({
      kind: "len",
      of: { kind: "body", path: "items[0].tags", steps: ["items", 0, "tags"] },
    });
    expect(parseCondition("[BODY][0].name == a").left).toEqual({
      kind: "body",
      path: "[0].name",
      steps: [0, "name"],
    });
    expect(parseCondition("[HEADER].Content-Type == x").left).toEqual({
      kind: "header",
      name: "content-type",
    });
  });

  it.each(["[STATUS]==200", "  [STATUS]   ==   200  ", "[STATUS]\t==\t200"])(
    "tolerates whitespace: %j",
    (text) => {
      expect(check(text).success).toBe(true);
    },
  );

  it.each([
    ["", "the condition is empty"],
    ["   ", "the condition is empty"],
    ["[STAUTS] == 200", "unknown placeholder [STAUTS]; did you mean [STATUS]? (column 1)"],
    ["[status] == 200", "unknown placeholder [status]; did you mean [STATUS]? (column 1)"],
    ["[UPTIME] == 1", "unknown placeholder [UPTIME] (column 1)"],
    [
      "[STATUS] 200",
      "missing operator after [STATUS]; expected one of ==, !=, <, <=, >, >= (column 10)",
    ],
    [
      "[STATUS]",
      "missing operator after [STATUS]; expected one of ==, !=, <, <=, >, >= (column 9)",
    ],
    ["[STATUS] = 200", 'unknown operator "="; expected one of ==, !=, <, <=, >, >= (column 10)'],
    [
      "[STATUS] === 200",
      'unknown operator "==="; expected one of ==, !=, <, <=, >, >= (column 10)',
    ],
    ["[STATUS] => 200", 'unknown operator "=>"; expected one of ==, !=, <, <=, >, >= (column 10)'],
    ["[STATUS] <> 200", 'unknown operator "<>"; expected one of ==, !=, <, <=, >, >= (column 10)'],
    ["== 200", "missing the left side before the operator (column 1)"],
    ["[STATUS] ==", "missing the right side after == (column 12)"],
    ["[STATUS] ==   ", "missing the right side after == (column 15)"],
    ["[STATUS] < pat(2*)", "pat() works with == or != only, not < (column 10)"],
    ["[STATUS] >= any(200, 204)", "any() works with == or != only, not >= (column 10)"],
    ["pat(2*) < [STATUS]", "pat() works with == or != only, not < (column 9)"],
    ["any(200) == pat(2*)", "any() and pat() each need a value on the other side (column 13)"],
    ["len([BODY].items == 2", 'expected ")", found "=" (column 18)'],
    ["len([BODY].items", 'unbalanced "(": no matching ")" (column 1)'],
    ["[STATUS] == any(200, 204", 'unbalanced "(": no matching ")" (column 13)'],
    ["[BODY].status == pat(U*", 'unbalanced "(": no matching ")" (column 18)'],
    ["[STATUS] == 200)", 'unbalanced ")" (column 16)'],
    ["[STATUS == 200", 'unbalanced "[": no matching "]" (column 1)'],
    ["[STATUS]] == 200", 'unbalanced "]" (column 9)'],
    ["[BODY].items[0 == 1", 'invalid body path "items[0": "[" has no matching "]" (column 13)'],
    ["[BODY].a..b == 1", 'invalid body path "a..b": empty key (column 10)'],
    ["[BODY]. == 1", "[BODY]. needs a path after the dot, as in [BODY].status (column 7)"],
    ["size([BODY].items) == 2", "unknown function size() (column 1)"],
    ["lenn([BODY].items) == 2", "unknown function lenn(); did you mean len()? (column 1)"],
    ["len([STATUS]) == 3", "len() takes a [BODY] path or a [HEADER].name (column 5)"],
    [
      "has([BODY]) == true",
      "has() needs a path into the body, as in has([BODY].version) (column 5)",
    ],
    ["[HEADER] == x", "[HEADER] needs a header name, as in [HEADER].content-type (column 1)"],
    ["[STATUS].code == 200", "[STATUS] takes no path (column 9)"],
    [
      "[RESPONSE_TIME] < 5 sec",
      'malformed duration "5 sec": cannot read "5 sec"; write e.g. ' +
        "300ms, 2s, 1h30m or 2d (a bare number is milliseconds) " +
        "(compared with [RESPONSE_TIME]) (column 19)",
    ],
    [
      "[CERTIFICATE_EXPIRATION] > 2w",
      'malformed duration "2w": cannot read "2w"; write e.g. 300ms, 2s, 1h30m or 2d (a bare number is milliseconds) ' +
        "(compared with [CERTIFICATE_EXPIRATION]) (column 28)",
    ],
    ["[STATUS] < abc", "abc is not a number; < compares numbers (column 12)"],
    ['[STATUS] < "400"', '"400" is not a number; < compares numbers (column 12)'],
    ["[CONNECTED] < 1", "[CONNECTED] is true or false; compare it with == or != (column 1)"],
    [
      "[CONNECTED] == yes",
      "[CONNECTED] is true or false, so comparing it with yes never holds (column 16)",
    ],
    [
      "has([BODY].x) == 1",
      "has([BODY].x) is true or false, so comparing it with 1 never holds (column 18)",
    ],
    ["[STATUS] == 200 == 300", "a condition has one operator; found a second one (column 17)"],
    ['[BODY].status == "UP" x', 'unexpected "x" after the right side (column 23)'],
    ["[STATUS] == 200 [BODY]", 'unexpected "[BODY]" after the right side (column 17)'],
    ['[BODY].status == "UP', 'unterminated string: the " is never closed (column 18)'],
    ["[STATUS] == any()", "any() needs at least one value (column 17)"],
    ["[STATUS] == any(200,,204)", "empty value in any() (column 21)"],
    [
      "[STATUS] == (200)",
      'unexpected "("; only len(), has(), any() and pat() take parentheses (column 13)',
    ],
  ])("rejects %j: %s", (text, message) => {
    const error = syntaxError(text);
    expect(error.message).toBe(message);
    expect(error.condition).toBe(text);
  });

  it("records the 0-based position of the problem", () => {
    expect(syntaxError("[STATUS] == [STAUTS]").position).toBe(12);
    expect(syntaxError("").position).toBeUndefined();
  });

  it("parses the default conditions", () => {
    expect(DEFAULT_CONDITIONS).toEqual(["[CONNECTED] == true", "[STATUS] < 400"]);
    expect(DEFAULT_CONDITIONS.map((text) => parseCondition(text).operator)).toEqual(["==", "<"]);
  });
});

describe("evaluateCondition", () => {
  it.each([
    // [condition, response overrides, success, actual, expected]
    ["[STATUS] == 200", {}, true, "200", "== 200"],
    ["[STATUS] == 200", { status: 503 }, false, "503", "== 200"],
    ["[STATUS] != 500", {}, true, "200", "!= 500"],
    ["[STATUS] < 400", { status: 399 }, true, "399", "< 400"],
    ["[STATUS] < 400", { status: 400 }, false, "400", "< 400"],
    ["[STATUS] <= 400", { status: 400 }, true, "400", "<= 400"],
    ["[STATUS] > 199", {}, true, "200", "> 199"],
    ["[STATUS] >= 201", {}, false, "200", ">= 201"],
    ["200 == [STATUS]", {}, true, "200", "== 200"],
    ["400 > [STATUS]", { status: 404 }, false, "404", "< 400"],
    ["[RESPONSE_TIME] < 500", { responseTimeMs: 742 }, false, "742ms", "< 500ms"],
    ["[RESPONSE_TIME] < 500ms", {}, true, "120ms", "< 500ms"],
    ["[RESPONSE_TIME] <= 1.5s", { responseTimeMs: 1_500 }, true, "1.5s", "<= 1.5s"],
    ['[RESPONSE_TIME] < "2s"', { responseTimeMs: 2_500 }, false, "2.5s", "< 2s"],
    ["[CERTIFICATE_EXPIRATION] > 48h", {}, true, "720h", "> 48h"],
    ["[CERTIFICATE_EXPIRATION] > 2d", { certificateExpiresInMs: DAY }, false, "24h", "> 48h"],
    ["[BODY].status == UP", {}, true, '"UP"', '== "UP"'],
    ['[BODY].status == "UP"', {}, true, '"UP"', '== "UP"'],
    ["[BODY].status == 'UP'", {}, true, '"UP"', '== "UP"'],
    ["[BODY].status == DOWN", {}, false, '"UP"', '== "DOWN"'],
    ["[BODY].status != DOWN", {}, true, '"UP"', '!= "DOWN"'],
    ["[BODY].items[0].name == first", {}, true, '"first"', '== "first"'],
    ["[BODY].data.b-c == dash", {}, true, '"dash"', '== "dash"'],
    ["[BODY].count == 42", {}, true, "42", "== 42"],
    ["[BODY].count == 42.0", {}, true, "42", "== 42"],
    ["[BODY].ratio == 42", {}, true, '"42.0"', "== 42"],
    ['[BODY].ratio == "42"', {}, false, '"42.0"', '== "42"'],
    ["[BODY].count > 41.5", {}, true, "42", "> 41.5"],
    ["[BODY].ratio >= 42", {}, true, '"42.0"', ">= 42"],
    ["[BODY].negative < 0", {}, true, "-3", "< 0"],
    ["[BODY].negative > -3.5", {}, true, "-3", "> -3.5"],
    ["[BODY].negative == -3", {}, true, "-3", "== -3"],
    ["[BODY].healthy == true", {}, true, "true", "== true"],
    ["[BODY].healthy == false", {}, false, "true", "== false"],
    ["[BODY].nothing == null", {}, true, "null", '== "null"'],
    ["[BODY].data.empty == {}", {}, true, "{}", '== "{}"'],
    ["[BODY].items[1].id == [BODY].data.list[0]", {}, false, "8", "== [BODY].data.list[0] (10)"],
    ["[BODY].items[1].id < [BODY].data.list[0]", {}, true, "8", "< [BODY].data.list[0] (10)"],
    ["[BODY] == OK", { body: "OK" }, true, '"OK"', '== "OK"'],
    [
      "[BODY] == pat(*ready*)",
      { body: "all systems ready\n" },
      true,
      '"all systems ready\\n"',
      "pat(*ready*)",
    ],
    [
      "[HEADER].content-type == pat(application/json*)",
      {},
      true,
      '"application/json; charset=utf-8"',
      "pat(application/json*)",
    ],
    ["[HEADER].Content-Length == 42", {}, true, '"42"', "== 42"],
    ["[HEADER].x-version != pat(1.?.*)", {}, false, '"1.4.2"', "!= pat(1.?.*)"],
    ["[STATUS] == pat(2*)", { status: 204 }, true, "204", "pat(2*)"],
    ["[STATUS] == pat(2.*)", { status: 204 }, false, "204", "pat(2.*)"],
    ["[STATUS] == pat(2?4)", { status: 204 }, true, "204", "pat(2?4)"],
    ["[STATUS] == pat(2?)", { status: 204 }, false, "204", "pat(2?)"],
    ["[STATUS] != pat(5*)", {}, true, "200", "!= pat(5*)"],
    ["[BODY].version == pat(1.4.*)", {}, true, '"1.4.2"', "pat(1.4.*)"],
    ["[BODY].version == pat(1.4)", {}, false, '"1.4.2"', "pat(1.4)"],
    ["[BODY].status == pat((UP))", { body: '{"status":"(UP)"}' }, true, '"(UP)"', "pat((UP))"],
    ["[STATUS] == any(200, 204)", { status: 204 }, true, "204", "any(200, 204)"],
    ["[STATUS] == any(200, 204)", { status: 500 }, false, "500", "any(200, 204)"],
    ["[STATUS] != any(500, 503)", {}, true, "200", "!= any(500, 503)"],
    ['[BODY].status == any(UP, "DEGRADED")', {}, true, '"UP"', 'any("UP", "DEGRADED")'],
    ["[RESPONSE_TIME] == any(100ms, 120ms)", {}, true, "120ms", "any(100ms, 120ms)"],
    ["len([BODY].items) == 2", {}, true, "2", "== 2"],
    ["len([BODY].data.list) > 3", {}, false, "3", "> 3"],
    ["len([BODY].text) == 3", {}, true, "3", "== 3"],
    ["len([BODY].data) == 3", {}, true, "3", "== 3"],
    ["len([BODY]) == 2", { body: "[1,2]" }, true, "2", "== 2"],
    ["len([BODY]) == 5", { body: "hello" }, true, "5", "== 5"],
    ["len([HEADER].x-version) == 5", {}, true, "5", "== 5"],
    ["has([BODY].version) == true", {}, true, "true", "== true"],
    ["has([BODY].nothing) == true", {}, true, "true", "== true"],
    ["has([BODY].missing) == false", {}, true, "false", "== false"],
    ["has([BODY].items[9].id) == true", {}, false, "false", "== true"],
    ["has([BODY].version) == false", { body: "not json" }, true, "false", "== false"],
    ["has([HEADER].x-version) == true", {}, true, "true", "== true"],
    ["[CONNECTED] == true", {}, true, "true", "== true"],
    ["1 < 2", {}, true, "1", "< 2"],
    ["hello world == hello world", {}, true, '"hello world"', '== "hello world"'],
  ] as const)("%s with %j: %s, saw %s", (text, overrides, success, actual, expected) => {
    const result = check(text, overrides);
    expect(result).toEqual({ condition: text, success, actual, expected });
  });

  it.each([
    // [condition, response overrides, actual, reason]
    ["[BODY].missing == 1", {}, "(not found)", 'no key "missing" at the root'],
    ["[BODY].items[0].x == 1", {}, "(not found)", 'no key "x" at items[0]'],
    ["[BODY].items[5].id == 1", {}, "(not found)", "index 5 out of range (length 2) at items"],
    [
      "[BODY].status == UP",
      { body: "<html>down</html>" },
      "(not JSON)",
      expect.stringMatching(/^body is not JSON: Unexpected token/),
    ],
    ["[BODY].status == UP", { body: "" }, "(not JSON)", "body is empty, not JSON"],
    ["[HEADER].x-missing == 1", {}, "(not found)", 'no header "x-missing" in the response'],
    [
      "[CERTIFICATE_EXPIRATION] > 48h",
      { certificateExpiresInMs: undefined },
      "(no certificate)",
      "no certificate: the response did not come over HTTPS",
    ],
    ["[BODY].text < 5", {}, '"abc"', '"abc" is not a number'],
    ["[BODY].nan > 0", {}, '"NaN"', '"NaN" is not a number'],
    ["[BODY].healthy >= 1", {}, "true", "true is not a number"],
    ["[BODY].nothing < 1", {}, "null", "null is not a number"],
    ["[STATUS] < [BODY].text", {}, "200", '"abc" is not a number'],
    ["[STATUS] == [BODY].missing", {}, "200", 'no key "missing" at the root'],
    ["len([BODY].nothing) == 1", {}, "null", "len() cannot measure null at nothing"],
    ["len([BODY].missing) == 0", {}, "(not found)", 'no key "missing" at the root'],
    [
      "[BODY].count == pat(4*)",
      { body: "[]" },
      "(not found)",
      "expected an object at the root, found an array",
    ],
  ] as const)("%s with %j fails with a reason, never throws", (text, overrides, actual, reason) => {
    const result = check(text, overrides);
    expect(result).toMatchObject({ success: false, actual, reason });
  });

  it("never reads an unparseable number as 0", () => {
    expect(check("[BODY].text < 1").success).toBe(false);
    expect(check("[BODY].text >= 0").success).toBe(false);
    expect(check("[BODY].text != 0").success).toBe(true);
  });

  it("compares a placeholder against a duration string in the body", () => {
    expect(check("[RESPONSE_TIME] < [BODY].budget", { body: '{"budget":"1s"}' })).toMatchObject({
      success: true,
      expected: '< [BODY].budget ("1s")',
    });
  });

  it("truncates long values to about 200 characters", () => {
    const result = check("[BODY] == short", { body: "x".repeat(5_000) });
    expect(result.success).toBe(false);
    expect(result.actual.length).toBeLessThanOrEqual(200);
    expect(result.actual.endsWith("…")).toBe(true);
  });

  it("keeps pat() fast on long bodies with many stars", () => {
    const started = Date.now();
    expect(check("[BODY] == pat(*a*a*a*a*a*a*a*a*b)", { body: "a".repeat(20_000) }).success).toBe(
      false,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("parses once and evaluates many times", () => {
    const condition = parseCondition("[STATUS] == any(200, 204)");
    expect(
      [200, 204, 500].map((status) => evaluateCondition(condition, snapshot({ status })).success),
    ).toEqual([true, true, false]);
  });
});

describe("when not connected", () => {
  it.each([
    "[STATUS] < 400",
    "[STATUS] == 0",
    "[STATUS] != 200",
    "[RESPONSE_TIME] < 500ms",
    "has([BODY].version) == false",
    "len([BODY]) == 0",
    "[HEADER].content-type == pat(*)",
    "[CERTIFICATE_EXPIRATION] > 1h",
    "1 == 1",
  ])("%s fails, saying why", (text) => {
    expect(evaluateCondition(parseCondition(text), refused)).toMatchObject({
      success: false,
      actual: "(not connected)",
      reason: "not connected: connect ECONNREFUSED 127.0.0.1:8080",
    });
  });

  it("says so even without a recorded error", () => {
    expect(
      evaluateCondition(parseCondition("[STATUS] < 400"), { ...refused, error: undefined }).reason,
    ).toBe("not connected: no reason recorded");
  });

  it("evaluates conditions on [CONNECTED] normally", () => {
    expect(evaluateCondition(parseCondition("[CONNECTED] == false"), refused)).toEqual({
      condition: "[CONNECTED] == false",
      success: true,
      actual: "false",
      expected: "== false",
    });
    expect(evaluateCondition(parseCondition("[CONNECTED] == true"), refused)).toMatchObject({
      success: false,
      actual: "false",
    });
    expect(evaluateCondition(parseCondition("false == [CONNECTED]"), refused).success).toBe(true);
    expect(evaluateCondition(parseCondition("[CONNECTED] != true"), refused).success).toBe(true);
  });

  it("fails the default conditions, and passes them when healthy", () => {
    const defaults = DEFAULT_CONDITIONS.map((text) => parseCondition(text));
    expect(defaults.map((condition) => evaluateCondition(condition, refused).success)).toEqual([
      false,
      false,
    ]);
    expect(defaults.map((condition) => evaluateCondition(condition, snapshot()).success)).toEqual([
      true,
      true,
    ]);
    expect(
      defaults.map((condition) => evaluateCondition(condition, snapshot({ status: 404 })).success),
    ).toEqual([true, false]);
  });
});
