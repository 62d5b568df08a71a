// prepareChecks refuses, before any request, what Node's HTTP client or timers would fail on later:
// URLs that are not absolute http(s) URLs, header names and values it cannot send, waits too long.
import { describe, expect, it } from "@jest/globals";
import { prepareChecks } from "../../src/health/checks.js";

const VARIABLES: Record<string, string> = {
  SERVICE_URL: "https://api.example.com",
  SPACED_URL: "https://api.example.com/a b",
  NEWLINE_URL: "https://api.example.com/health\n",
  TOKEN: "s3cr3t-token",
  TOKEN_WITH_NEWLINE: "s3cr3t-token\n",
};

/** Every problem as `path: message`, or the prepared checks' URLs when there is none. */
function problems(checks: unknown[]): string[] {
  const result = prepareChecks([{ checks, path: ["checks"] }], (name) => VARIABLES[name]);
  if (!("problems" in result)) return result.checks.map((check) => `prepared ${check.url}`);
  return result.problems.map((problem) => `${problem.path}: ${problem.message}`);
}

const check = (overrides: Record<string, unknown>) => ({
  name: "api",
  url: "https://api.example.com/health",
  ...overrides,
});

describe("the url", () => {
  it.each([
    ["https://api.example.com/a b", "the URL contains a space; write it as %20"],
    ["https://api example.com/", "the URL contains a space; write it as %20"],
    ["https://api.example.com/\r\nx", "the URL contains a line break (CR or LF)"],
    ["https://api.example.com/\tx", "the URL contains a tab"],
    ["https://api.example.com/\u0007", "the URL contains a control character (U+0007)"],
    [
      "https://api.example.com:99999/",
      "expected an absolute http:// or https:// URL; this one does not parse",
    ],
    ["http://[::1/", "expected an absolute http:// or https:// URL; this one does not parse"],
    [
      "https://a%zz.example.com/",
      "expected an absolute http:// or https:// URL; this one does not parse",
    ],
    ["ftp://api.example.com/", "expected an http:// or https:// URL"],
    ["/health", "expected an http:// or https:// URL"],
  ])("refuses %j: %s", (url, message) => {
    expect(problems([check({ url })])).toEqual([`checks[0].url (check "api"): ${message}`]);
  });

  it.each([
    ["${env:SPACED_URL}", "the URL contains a space; write it as %20"],
    ["${env:NEWLINE_URL}", "the URL contains a line break (CR or LF)"],
  ])("checks %s once resolved", (url, message) => {
    expect(problems([check({ url })])).toEqual([`checks[0].url (check "api"): ${message}`]);
  });

  it.each([
    "https://api.example.com/health?x=%20y#top",
    "http://127.0.0.1:8080/",
    "http://[::1]:8080/ready",
    "https://user:pa%20ss@api.example.com/",
    "https://bücher.example/",
  ])("accepts %j", (url) => {
    expect(problems([check({ url })])).toEqual([`prepared ${url}`]);
  });
});

describe("headers", () => {
  it.each([
    [{ "X Token": "1" }, 'checks[0].headers["X Token"]', 'header name "X Token"'],
    [{ "X-Token:": "1" }, 'checks[0].headers["X-Token:"]', 'header name "X-Token:"'],
    [{ "X-Tok\nen": "1" }, 'checks[0].headers["X-Tok\\nen"]', 'header name "X-Tok\\nen"'],
    [{ "": "1" }, 'checks[0].headers[""]', 'header name ""'],
  ])("refuses the name of %j", (headers, path, name) => {
    expect(problems([check({ headers })])).toEqual([
      `${path} (check "api"): ${name} is not an HTTP header name: ` +
        "use letters, digits and !#$%&'*+-.^_`|~ only",
    ]);
  });

  it.each([
    ["a\r\nInjected: 1", "the value contains a line break (CR or LF)"],
    ["a\nb", "the value contains a line break (CR or LF)"],
    ["a\u0000b", "the value contains a control character (U+0000)"],
    ["a\u007fb", "the value contains a control character (U+007F)"],
    ["price in €", "the value contains U+20AC, beyond the Latin-1 a header can carry"],
  ])("refuses the value %j: %s", (value, message) => {
    expect(problems([check({ headers: { "X-Token": value } })])).toEqual([
      `checks[0].headers.X-Token (check "api"): ${message}`,
    ]);
  });

  it("checks a value once its references are resolved, without showing it", () => {
    const found = problems([
      check({ headers: { authorization: "Bearer ${secret:TOKEN_WITH_NEWLINE}" } }),
    ]);
    expect(found).toEqual([
      'checks[0].headers.authorization (check "api"): the value contains a line break (CR or LF)',
    ]);
    expect(found.join("\n")).not.toContain("s3cr3t");
  });

  it("accepts tabs, spaces and Latin-1 in values, and every token character in names", () => {
    const headers = {
      "X-A_b.c!#$%&'*+^`|~9": "a\tb c é",
      authorization: "Bearer ${secret:TOKEN}",
    };
    expect(problems([check({ headers })])).toEqual(["prepared https://api.example.com/health"]);
  });
});

describe("durations that a timer can wait", () => {
  it.each([
    ["deadline", "30d"],
    ["deadline", "24d21h"],
    ["timeout", "600h"],
    ["interval", "25d"],
    ["initial-delay", "2147483648ms"],
  ])("refuses %s: %s", (key, value) => {
    expect(problems([check({ [key]: value })])).toEqual([
      `checks[0].${key} (check "api"): ${JSON.stringify(value)} is longer than a timer can wait ` +
        "(at most 24d20h31m23s)",
    ]);
  });

  it.each([
    ["deadline", "24d"],
    ["deadline", "24d20h31m23s"],
    ["initial-delay", "2147483647ms"],
  ])("accepts %s: %s", (key, value) => {
    expect(problems([check({ [key]: value })])).toEqual([
      "prepared https://api.example.com/health",
    ]);
  });
});
