// The shared runtime's pure parts: inputs, markdown, secret scrubbing, problem formatting.
import { describe, expect, it } from "@jest/globals";
import * as z from "zod/mini";
import { ConfigurationError, formatProblem } from "../../src/shared/errors.js";
import { booleanInput, inputVariable, integerInput, readInputs } from "../../src/runtime/inputs.js";
import { code, escapeCell, raw, table, truncate } from "../../src/shared/markdown.js";
import { scrubSecrets } from "../../src/shared/secrets.js";

describe("readInputs", () => {
  const schema = z.object({
    environment: z.string(),
    "dry-run": booleanInput(false),
    count: integerInput(3, 1, 10),
    token: z.optional(z.string().check(z.minLength(40))),
  });

  it("maps names to INPUT_ variables as the runner does", () => {
    expect(inputVariable("config dir")).toBe("INPUT_CONFIG_DIR");
    expect(inputVariable("config-dir")).toBe("INPUT_CONFIG-DIR");
  });

  it("trims values, applies defaults to empty inputs and parses types", () => {
    expect(
      readInputs(schema, { INPUT_ENVIRONMENT: " staging ", "INPUT_DRY-RUN": "", INPUT_COUNT: "7" }),
    ).toEqual({
      environment: "staging",
      "dry-run": false,
      count: 7,
    });
    expect(readInputs(schema, { INPUT_ENVIRONMENT: "x", "INPUT_DRY-RUN": "TRUE" })["dry-run"]).toBe(
      true,
    );
  });

  it("reports every bad input by name, never echoing a secret input", () => {
    let error: unknown;
    try {
      readInputs(
        schema,
        { "INPUT_DRY-RUN": "yes", INPUT_COUNT: "11", INPUT_TOKEN: "short-secret" },
        ["token"],
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain('input "environment": is required');
    expect(message).toContain('input "dry-run": expected true or false (got "yes")');
    expect(message).toContain('input "count": Too big: expected number to be <=10 (got "11")');
    expect(message).toContain('input "token"');
    expect(message).not.toContain("short-secret");
  });
});

describe("markdown", () => {
  it("escapes table cells", () => {
    expect(escapeCell("a|b\n<script>")).toBe("a\\|b<br>&lt;script&gt;");
    expect(table(["k", "v"], [[raw(code("x")), "1|2"]], ["left", "right"])).toBe(
      "| k | v |\n| --- | ---: |\n| `x` | 1\\|2 |",
    );
  });

  it("fences inline code around backticks", () => {
    expect(code("a`b")).toBe("``a`b``");
    expect(code("`x`")).toBe("`` `x` ``");
  });

  it("truncates with a marker", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });
});

describe("scrubSecrets", () => {
  it("masks every occurrence, longest first, and each line of a multi-line secret", () => {
    expect(scrubSecrets("k=abc abcdef line2", ["abc", "abcdef", "line1\nline2"])).toBe(
      "k=*** *** ***",
    );
  });
});

describe("formatProblem", () => {
  it("puts file, line and key path first", () => {
    expect(
      formatProblem({
        message: "expected a number",
        path: "config.db.port",
        at: { file: "environments/production.yml", line: 14 },
      }),
    ).toBe("environments/production.yml:14 config.db.port: expected a number");
    expect(formatProblem({ message: "bad" })).toBe("bad");
  });
});
