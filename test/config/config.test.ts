// The pure configuration engine: merging, references, locations, diffs, digests and formats.
import { describe, expect, it } from "@jest/globals";
import { canonicalJson, contentDigest } from "../../src/config/canonical.js";
import { compileConfigSchema } from "../../src/config/config-schema.js";
import { diffTrees, leaves } from "../../src/config/flatten.js";
import { serializeConfig, toVariableName, toVariables } from "../../src/config/formats.js";
import { layerEnvironment } from "../../src/config/layering.js";
import { mergePatch } from "../../src/config/merge-patch.js";
import { resolveReferences } from "../../src/config/references.js";
import { compareConfigs, renderConfig } from "../../src/config/render.js";
import { formatKeyPath, parseYamlSource } from "../../src/config/yaml-source.js";
import { problemsOf } from "../support/configuration-error.js";

describe("mergePatch (RFC 7386)", () => {
  // The test cases of RFC 7386, appendix A.
  it.each([
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"],
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])("%j + %j = %j", (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });

  it("does not modify its arguments", () => {
    const target = { a: { b: 1 } };
    const patch = { a: { c: [1] } };
    const result = mergePatch(target, patch) as { a: { c: number[] } };
    result.a.c.push(2);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: [1] } });
  });
});

describe("resolveReferences", () => {
  const lookup = (name: string) => ({ HOST: "db.local", PW: "hunter22", EMPTY: "" })[name];

  it("resolves env and secret references inside strings, redacting secrets only", () => {
    const result = resolveReferences(
      { url: "postgres://app:${secret:PW}@${env:HOST}/x", n: 5, list: ["${env:HOST}"] },
      lookup,
    );
    expect(result.problems).toEqual([]);
    expect(result.value).toEqual({
      url: "postgres://app:hunter22@db.local/x",
      n: 5,
      list: ["db.local"],
    });
    expect(result.redacted).toEqual({
      url: "postgres://app:***@db.local/x",
      n: 5,
      list: ["db.local"],
    });
    expect(result.secrets).toEqual(["hunter22"]);
    expect(result.secretPaths).toEqual([["url"]]);
  });

  it("treats $${ as an escaped literal and leaves other ${...} alone", () => {
    const result = resolveReferences(
      { a: "$${env:HOST}", b: "${HOME} and ${{ github.sha }}" },
      lookup,
    );
    expect(result.value).toEqual({ a: "${env:HOST}", b: "${HOME} and ${{ github.sha }}" });
    expect(result.problems).toEqual([]);
  });

  it("allows an empty env variable but not an empty secret", () => {
    const result = resolveReferences(
      { a: "${env:EMPTY}", b: "${secret:EMPTY}", c: "${env:NOPE}" },
      lookup,
    );
    expect(result.problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      "b: secret ${secret:EMPTY} is not set or empty: pass it to the step as env EMPTY: ${{ secrets.EMPTY }}",
      "c: environment variable ${env:NOPE} is not set",
    ]);
  });
});

describe("yaml-source", () => {
  const source = parseYamlSource(
    "env.yml",
    "defaults: &d\n  retries: 3\nconfig:\n  db:\n    port: 5432\n  hosts:\n    - a\n    - b\n  <<: *d\n",
  );

  it("locates keys, list items and the nearest existing parent", () => {
    expect(source.locate(["config", "db", "port"])).toEqual({
      file: "env.yml",
      line: 5,
      column: 5,
    });
    expect(source.locate(["config", "hosts", 1])).toEqual({ file: "env.yml", line: 8, column: 7 });
    expect(source.locate(["config", "db", "missing"]).line).toBe(4);
    expect(source.has(["config", "db", "port"])).toBe(true);
    expect(source.has(["config", "db", "missing"])).toBe(false);
  });

  it("applies merge keys", () => {
    expect((source.data as { config: { retries: number } }).config.retries).toBe(3);
  });

  it("formats key paths as users write them", () => {
    expect(formatKeyPath(["config", "db", "hosts", 0, "a.b", "x-y"])).toBe(
      'config.db.hosts[0]["a.b"].x-y',
    );
  });

  it("reports every syntax error with its line", () => {
    expect(problemsOf(() => parseYamlSource("bad.yml", "a: 1\nb: [\n"))[0]).toMatch(
      /^bad\.yml:\d+: YAML syntax error/,
    );
  });
});

describe("layering and rendering", () => {
  const base = parseYamlSource(
    "base.yml",
    "service: api\nconfig:\n  a: 1\n  nested: { x: 1, y: 2 }\n  pw: ${secret:PW}\n",
  );
  const env = parseYamlSource(
    "prod.yml",
    "production: true\nconfig:\n  nested: { y: null, z: 3 }\n",
  );

  it("merges layers and locates each key in the file that set it", () => {
    const layered = layerEnvironment({ name: "prod", layers: [base, env] });
    expect(layered.document.config).toEqual({ a: 1, nested: { x: 1, z: 3 }, pw: "${secret:PW}" });
    expect(layered.locate(["config", "a"])?.file).toBe("base.yml");
    expect(layered.locate(["config", "nested", "z"])?.file).toBe("prod.yml");
  });

  it("reports problems in each layer against its own file", () => {
    const bad = parseYamlSource("prod.yml", "production: yes-please\nconfig: 3\n");
    expect(problemsOf(() => layerEnvironment({ name: "prod", layers: [base, bad] }))).toEqual([
      "prod.yml:1 production: expected true or false",
      "prod.yml:2 config: expected a mapping of keys to values",
    ]);
  });

  it("renders, digests and validates against a JSON Schema", () => {
    const layered = layerEnvironment({ name: "prod", layers: [base, env] });
    const schema = compileConfigSchema({ type: "object", properties: { a: { type: "string" } } });
    expect(problemsOf(() => renderConfig(layered, () => "pw-value-1", schema.validate))).toEqual([
      "base.yml:3 config.a: must be string",
    ]);
    const rendered = renderConfig(layered, () => "pw-value-1");
    expect(rendered.redacted.pw).toBe("***");
    expect(rendered.digest).toBe(
      contentDigest({ nested: { z: 3, x: 1 }, pw: "${secret:PW}", a: 1 }),
    );
  });

  it("compares declared configs without needing the other environment's secrets", () => {
    const here = layerEnvironment({ name: "prod", layers: [base, env] });
    const there = layerEnvironment({ name: "base", layers: [base] });
    expect(
      compareConfigs(here, there).map(({ path, change, here: mine, there: theirs }) => ({
        path,
        change,
        mine,
        theirs,
      })),
    ).toEqual([
      { path: "nested.y", change: "removed", mine: undefined, theirs: "2" },
      { path: "nested.z", change: "added", mine: "3", theirs: undefined },
    ]);
  });

  it("reports an invalid JSON Schema", () => {
    expect(compileConfigSchema({ type: "no-such-type" }).problem?.message).toContain(
      "is not a valid JSON Schema",
    );
  });
});

describe("canonical JSON and digest", () => {
  it("sorts keys at every level and is independent of key order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }], é: null })).toBe(
      '{"a":[{"c":2,"d":1}],"b":1,"é":null}',
    );
    expect(contentDigest({ a: 1, b: 2 })).toBe(contentDigest({ b: 2, a: 1 }));
    expect(contentDigest({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe("diffTrees and leaves", () => {
  it("treats arrays and empty objects as leaves", () => {
    expect(leaves({ a: [1, 2], b: {}, c: { d: 1 } })).toEqual([
      { path: ["a"], value: [1, 2] },
      { path: ["b"], value: {} },
      { path: ["c", "d"], value: 1 },
    ]);
  });

  it("sorts differences by path", () => {
    expect(
      diffTrees({ b: 1, a: { x: 1 } }, { b: 2, c: 1 }, canonicalJson).map((d) => [
        d.path,
        d.change,
      ]),
    ).toEqual([
      ["a.x", "added"],
      ["b", "changed"],
      ["c", "removed"],
    ]);
  });
});

describe("formats", () => {
  it.each([
    ["logLevel", "LOG_LEVEL"],
    ["log-level", "LOG_LEVEL"],
    ["db.host", "DB_HOST"],
    ["HTTPServer", "HTTPSERVER"],
    ["maxBodyKb", "MAX_BODY_KB"],
    ["2fa", "_2FA"],
    ["---", undefined],
  ])("toVariableName(%s) = %s", (key, expected) => {
    expect(toVariableName(key)).toBe(expected);
  });

  it("refuses reserved and clashing names", () => {
    expect(
      problemsOf(() =>
        toVariables([
          { path: ["githubToken"], value: "x" },
          { path: ["path"], value: "y" },
        ]),
      ),
    ).toEqual([
      "githubToken: would be exported as GITHUB_TOKEN, a name the runner reserves; rename the key",
      "path: would be exported as PATH, a name reserved because it decides which programs later " +
        "steps run; rename the key",
    ]);
  });

  it("quotes dotenv values so quotes, newlines and $ survive (as sh reads double quotes)", () => {
    expect(serializeConfig({ a: 'say "hi"\n$HOME', b: true }, "dotenv")).toBe(
      'A="say \\"hi\\"\n\\$HOME"\nB="true"\n',
    );
  });
});
