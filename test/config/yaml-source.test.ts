// What parseYamlSource refuses: documents that would not give plain JSON data, or that cost far
// more to expand than their size, each refusal a configuration problem at its file, line and key.
import { describe, expect, it } from "@jest/globals";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import { configurationErrorOf, problemsOf } from "../support/configuration-error.js";

const FILE = "environments/staging.yml";

/** Nine levels of nine aliases each: 9^9 (387 million) strings once expanded. */
function billionLaughs(): string {
  const lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let level = 1; level <= 8; level++) {
    const previous = `*l${level - 1}`;
    lines.push(`l${level}: &l${level} [${Array(9).fill(previous).join(", ")}]`);
  }
  lines.push(`config:\n  boom: [${Array(9).fill("*l8").join(", ")}]`);
  return `${lines.join("\n")}\n`;
}

describe("aliases and merge keys", () => {
  it("refuses an alias bomb at the alias that crosses the limit, without expanding it", () => {
    const started = performance.now();
    const error = configurationErrorOf(() => parseYamlSource(FILE, billionLaughs()));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ at: { file: FILE, line: 6 }, path: "l5[0]" });
    expect(error.problems[0]?.message).toMatch(/^alias \*l4 expands .* beyond 100000 nodes/);
  });

  it("accepts many aliases of one anchor, as layered defaults use them", () => {
    const services = Array.from({ length: 300 }, (_, i) => `  s${i}:\n    <<: *defaults\n`);
    const text = `defaults: &defaults\n  retries: 3\n  timeout: 5s\nconfig:\n${services.join("")}`;
    const data = parseYamlSource(FILE, text).data as { config: Record<string, unknown> };
    expect(data.config.s299).toEqual({ retries: 3, timeout: "5s" });
  });

  it.each([
    ["a scalar", "config:\n  a: 1\n  <<: 5\n", 3, 'config["<<"]'],
    ["an alias of a scalar", "port: &port 5\nconfig:\n  <<: *port\n", 3, 'config["<<"]'],
    ["a list holding a scalar", "base: &b { x: 1 }\nconfig:\n  <<: [*b, 2]\n", 3, 'config["<<"]'],
  ])("refuses a merge key given %s, at its line", (_what, text, line, path) => {
    const error = configurationErrorOf(() => parseYamlSource(FILE, text));
    expect(error.problems).toEqual([
      {
        at: { file: FILE, line, column: 3 },
        path,
        message: "a merge key (<<) takes a mapping, an alias of one, or a list of them",
      },
    ]);
  });

  it("refuses an alias with no anchor before it, and an alias inside its own anchor", () => {
    expect(problemsOf(() => parseYamlSource(FILE, "config:\n  a: *nope\n"))).toEqual([
      `${FILE}:2 config.a: alias *nope has no anchor &nope before it`,
    ]);
    expect(problemsOf(() => parseYamlSource(FILE, "config:\n  a: &x\n    b: *x\n"))).toEqual([
      `${FILE}:3 config.a.b: alias *x is inside the node it names (a cycle)`,
    ]);
  });
});

describe("tags", () => {
  it.each([
    ["config:\n  key: !!binary aGVsbG8=\n", "!!binary"],
    ["config:\n  key: !!set { a, b }\n", "!!set"],
    ["config:\n  key: !!omap [a: 1]\n", "!!omap"],
    ["config:\n  key: !!timestamp 2001-12-14\n", "!!timestamp"],
    ["config:\n  key: !vault secret/db\n", "!vault"],
  ])("refuses %j at the tag's line", (text, tag) => {
    expect(problemsOf(() => parseYamlSource(FILE, text))).toEqual([
      `${FILE}:2 config.key: tag ${tag} does not give a plain JSON value ` +
        "(string, number, boolean, null, list or mapping); remove the tag, or quote the value",
    ]);
  });

  it("refuses a YAML 1.1 document's binary and timestamp values", () => {
    const text = "%YAML 1.1\n---\nconfig:\n  on: yes\n  day: 2001-12-14\n  key: !!binary aGk=\n";
    expect(problemsOf(() => parseYamlSource(FILE, text))).toEqual([
      `${FILE}:5 config.day: is a YAML 1.1 timestamp, not a plain JSON value; quote it`,
      `${FILE}:6 config.key: tag !!binary does not give a plain JSON value ` +
        "(string, number, boolean, null, list or mapping); remove the tag, or quote the value",
    ]);
  });

  it("refuses a core tag that does not fit its value", () => {
    expect(problemsOf(() => parseYamlSource(FILE, "config:\n  n: !!float five\n"))).toEqual([
      `${FILE}:2 config.n: tag !!float does not fit the value "five"`,
    ]);
  });

  it("keeps the JSON tags and the non-specific tag", () => {
    const text =
      "config: !!map\n  s: !!str 5\n  i: !!int 7\n  f: !!float 1.5\n  b: !!bool true\n" +
      "  n: !!null ~\n  l: !!seq [1]\n  q: ! 12\n";
    expect(parseYamlSource(FILE, text).data).toEqual({
      config: { s: "5", i: 7, f: 1.5, b: true, n: null, l: [1], q: "12" },
    });
  });
});

describe("duplicate keys and large mappings", () => {
  it("reports every duplicate key at its line and key path", () => {
    const text = "config:\n  a: 1\n  b: 2\n  a: 3\nother: { x: 1, x: 2 }\n";
    expect(problemsOf(() => parseYamlSource(FILE, text))).toEqual([
      `${FILE}:4 config.a: YAML syntax error: duplicate key (map keys must be unique)`,
      `${FILE}:5 other.x: YAML syntax error: duplicate key (map keys must be unique)`,
    ]);
  });

  it("parses a mapping of 40,000 keys in linear time", () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `  key${i}: ${i}\n`);
    const started = performance.now();
    const data = parseYamlSource(FILE, `config:\n${keys.join("")}`).data as {
      config: Record<string, number>;
    };
    expect(performance.now() - started).toBeLessThan(3000);
    expect(data.config.key39999).toBe(39999);
  });
});
