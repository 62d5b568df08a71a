// env-config driven through its bundle in a child process, as the runner runs it.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { examplePayload, runAction, type ActionResult } from "../../tools/runner/run-action.js";
import { createWorkspace, type Workspace } from "../../tools/runner/workspace.js";

const SECRET = "pA55-w0rd-7f3c9e1d";
const OTHER_SECRET = "second-s3cret-value-91";

let ws: Workspace;
beforeEach(async () => {
  ws = await createWorkspace();
});
afterEach(async () => {
  await ws.remove();
});

const run = (
  inputs: Record<string, string>,
  env: Record<string, string> = { DB_PASSWORD: SECRET },
) => runAction({ action: "env-config", workspace: ws.dir, inputs, env });

/** Canonical JSON computed independently of the action: sorted keys at every level. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

function expectNoSecretLeak(result: ActionResult, secrets: string[] = [SECRET]): void {
  const visible = [
    ...result.lines,
    ...Object.values(result.outputs),
    result.summary,
    ...result.annotations.map((annotation) => annotation.message),
  ].join("\n");
  for (const secret of secrets) expect(visible).not.toContain(secret);
}

function expectFailedCleanly(result: ActionResult): void {
  expect(result.exitCode).toBe(1);
  expect(result.outputs).toEqual({});
  expect(result.env).toEqual({});
  expect(result.summary).toBe("");
}

describe("rendering", () => {
  it("layers base.yml and the environment file, masks secrets and digests them by reference", async () => {
    const result = await run({ environment: "staging" });
    expect(result.exitCode).toBe(0);
    const config = JSON.parse(result.outputs.config ?? "");
    expect(config.database).toEqual({
      host: "staging-db.internal.example.com",
      port: 5432,
      name: "demo",
      user: "demo_app",
      password: "***",
      poolSize: 20,
      sslMode: "require",
    });
    expect(config.telemetry).toEqual({
      otlpEndpoint: "http://otel-collector:4318",
      sampleRatio: 0.5,
    });
    expect(config.http.corsOrigins).toEqual(["https://staging.demo-shop.example.com"]);
    const referenced = {
      ...config,
      database: { ...config.database, password: "${secret:DB_PASSWORD}" },
    };
    expect(result.outputs.digest).toBe(
      `sha256:${createHash("sha256").update(canonical(referenced)).digest("hex")}`,
    );
    expect(result.masked).toContain(SECRET);
    expect(result.summary).toContain("### env-config: `staging`");
    expect(result.summary).toContain("| `database.password` | *** |");
    expect(result.outputs.file).toBeUndefined();
    expect(result.outputs.diff).toBeUndefined();
    expectNoSecretLeak(result);
  });

  it("deletes keys set to null and replaces arrays whole (JSON Merge Patch)", async () => {
    const result = await run({ environment: "development" });
    const config = JSON.parse(result.outputs.config ?? "");
    expect(config.telemetry).toBeUndefined();
    expect(config.http).toEqual({
      port: 8080,
      requestTimeoutMs: 5000,
      corsOrigins: ["http://localhost:3000"],
    });
    expect(config.features).toEqual({ newCheckout: true, recommendations: true });
  });

  it("keeps the digest when only a secret changes (rotation), so it reveals nothing of it", async () => {
    const first = await run({ environment: "production" });
    const second = await run({ environment: "production" }, { DB_PASSWORD: OTHER_SECRET });
    expect(first.outputs.config).toBe(second.outputs.config);
    expect(first.outputs.digest).toBe(second.outputs.digest);
    await ws.write("environments/production.yml", "config:\n  logLevel: debug\n");
    const changed = await run({ environment: "production" });
    expect(changed.outputs.digest).not.toBe(first.outputs.digest);
  });

  it("resolves ${env:NAME}, keeps $${ literal, and runs with a real webhook payload", async () => {
    await ws.write(
      "custom/preview.yml",
      "config:\n  release: ${env:RELEASE_TAG}\n  template: 'echo $${env:HOME}'\n" +
        "  database:\n    password: ${secret:PREVIEW_DB}\n",
    );
    const result = await runAction({
      action: "env-config",
      workspace: ws.dir,
      inputs: { environment: "preview", "config-dir": "custom" },
      env: { RELEASE_TAG: "v1.4.2", PREVIEW_DB: OTHER_SECRET },
      event: { name: "pull_request", payload: examplePayload("pull_request", "opened") },
    });
    expect(result.exitCode).toBe(0);
    const config = JSON.parse(result.outputs.config ?? "");
    expect(config.release).toBe("v1.4.2");
    expect(config.template).toBe("echo ${env:HOME}");
    expect(config.database.password).toBe("***");
    expectNoSecretLeak(result, [OTHER_SECRET]);
  });
});

describe("output-file and formats", () => {
  it("writes JSON with the real values, mode 0600, and reports the path", async () => {
    const result = await run({ environment: "production", "output-file": "out/config.json" });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.file).toBe(join(ws.dir, "out/config.json"));
    const written = JSON.parse(await ws.read("out/config.json"));
    expect(written.database.password).toBe(SECRET);
    expect(written.logLevel).toBe("warn");
    expect((await stat(join(ws.dir, "out/config.json"))).mode & 0o777).toBe(0o600);
    expectNoSecretLeak(result);
  });

  it("writes YAML that parses back to the same configuration", async () => {
    const json = await run({ environment: "staging", "output-file": "c.json" });
    const yaml = await run({ environment: "staging", format: "yaml", "output-file": "c.yml" });
    expect(yaml.exitCode).toBe(0);
    expect(parseYaml(await ws.read("c.yml"))).toEqual(JSON.parse(await ws.read("c.json")));
    expect(json.outputs.digest).toBe(yaml.outputs.digest);
  });

  it("writes dotenv with nested keys joined by __ and values quoted", async () => {
    const result = await run({ environment: "staging", format: "dotenv", "output-file": ".env" });
    expect(result.exitCode).toBe(0);
    const text = await ws.read(".env");
    expect(text).toContain('LOG_LEVEL="info"\n');
    expect(text).toContain('DATABASE__POOL_SIZE="20"\n');
    expect(text).toContain(`DATABASE__PASSWORD="${SECRET}"\n`);
    expect(text).toContain('HTTP__CORS_ORIGINS="[\\"https://staging.demo-shop.example.com\\"]"\n');
  });
});

describe("export-env", () => {
  it("exports each top-level scalar as UPPER_SNAKE_CASE and skips nested sections", async () => {
    await ws.write(
      "custom/qa.yml",
      "config:\n  logLevel: debug\n  maxBodyKb: 512\n  apiToken: ${secret:QA_TOKEN}\n  nested: { a: 1 }\n  list: [1]\n",
    );
    const result = await run(
      { environment: "qa", "config-dir": "custom", "export-env": "true" },
      { DB_PASSWORD: SECRET, QA_TOKEN: OTHER_SECRET },
    );
    expect(result.exitCode).toBe(0);
    expect(result.env).toEqual({ LOG_LEVEL: "debug", MAX_BODY_KB: "512", API_TOKEN: OTHER_SECRET });
    expect(result.masked).toContain(OTHER_SECRET);
    expectNoSecretLeak(result, [SECRET, OTHER_SECRET]);
  });

  it("refuses two keys that export to the same name, before writing anything", async () => {
    await ws.write("custom/qa.yml", "config:\n  log-level: debug\n  logLevel: info\n");
    const result = await run({
      environment: "qa",
      "config-dir": "custom",
      "export-env": "true",
      "output-file": "qa.json",
    });
    expectFailedCleanly(result);
    expect(result.annotations[0]?.message).toContain("would be exported as LOG_LEVEL");
    expect(await ws.files()).not.toContain("qa.json");
  });
});

describe("compare-to", () => {
  it("lists the differences and flags keys the compared environment has but this one lacks", async () => {
    const result = await run({ environment: "staging", "compare-to": "production" });
    expect(result.exitCode).toBe(0);
    const diff = JSON.parse(result.outputs.diff ?? "");
    expect(diff).toEqual(
      expect.arrayContaining([
        { path: "database.replicaHost", change: "removed" },
        { path: "database.poolSize", change: "changed" },
        { path: "logLevel", change: "changed" },
      ]),
    );
    expect(diff.find((d: { path: string }) => d.path === "database.password")).toBeUndefined();
    const warning = result.annotations.find((annotation) => annotation.level === "warning");
    expect(warning).toMatchObject({ file: "environments/production.yml", line: 14 });
    expect(warning?.message).toContain(
      "database.replicaHost is set in production but not in staging",
    );
    expect(result.summary).toContain("[!WARNING]");
    expect(result.summary).toContain(
      "| `database.replicaHost` | missing here | — | prod-db-ro.internal.example.com |",
    );
  });

  it("shows a secret-bearing difference masked", async () => {
    await ws.write(
      "environments/qa.yml",
      "config:\n  database:\n    password: literal-${secret:QA_DB}\n",
    );
    const result = await run({ environment: "staging", "compare-to": "qa" });
    expect(result.exitCode).toBe(0);
    expect(result.summary).toContain("| `database.password` | changed | *** | *** |");
    expectNoSecretLeak(result);
  });
});

describe("errors: one clear message with file, line and key path, exit 1, nothing written", () => {
  const failing = async (inputs: Record<string, string>, env?: Record<string, string>) => {
    await ws.write("keep.json", "untouched");
    const result = await run({ "output-file": "keep.json", ...inputs }, env);
    expectFailedCleanly(result);
    expect(await ws.read("keep.json")).toBe("untouched");
    expectNoSecretLeak(result);
    return result;
  };

  it("unknown environment lists the known ones", async () => {
    const result = await failing({ environment: "prod" });
    expect(result.annotations).toHaveLength(1);
    expect(result.annotations[0]?.message).toBe(
      'input "environment": unknown environment "prod" in environments (known: development, production, staging)',
    );
  });

  it("rejects an environment name that tries to leave the directory", async () => {
    const result = await failing({ environment: "../environments/staging" });
    expect(result.annotations[0]?.message).toContain("unknown environment");
  });

  it("YAML syntax error points at the file and line", async () => {
    await ws.write("environments/staging.yml", "config:\n  logLevel: info\n  http: [unclosed\n");
    const result = await failing({ environment: "staging" });
    expect(result.annotations[0]).toMatchObject({
      level: "error",
      file: "environments/staging.yml",
    });
    expect(result.annotations[0]?.line).toBeGreaterThanOrEqual(3);
    expect(result.annotations[0]?.message).toContain("YAML syntax error");
  });

  it("duplicate keys are a syntax error", async () => {
    await ws.write("environments/staging.yml", "config:\n  logLevel: info\n  logLevel: warn\n");
    const result = await failing({ environment: "staging" });
    expect(result.annotations[0]).toMatchObject({ file: "environments/staging.yml", line: 3 });
  });

  it("config.schema.json violations name the key path, the file and the line that set it", async () => {
    await ws.write(
      "environments/staging.yml",
      "url: https://staging.example.com\nconfig:\n  http:\n    port: eighty\n  logLevel: verbose\n",
    );
    const result = await failing({ environment: "staging" });
    const messages = result.annotations.map(
      (annotation) => `${annotation.file}:${annotation.line} ${annotation.message}`,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        "environments/staging.yml:4 environments/staging.yml:4 config.http.port: must be integer",
        expect.stringMatching(
          new RegExp(
            String.raw`^environments\/staging\.yml:5 .*config\.logLevel: ` +
              String.raw`must be equal to one of the allowed values: "debug", "info", "warn", "error"$`,
          ),
        ),
      ]),
    );
  });

  it("a key required by the schema but deleted by the environment is reported", async () => {
    await ws.write("environments/staging.yml", "config:\n  features: null\n");
    const result = await failing({ environment: "staging" });
    expect(result.annotations[0]?.message).toContain(
      "config.features: is required by config.schema.json but missing",
    );
  });

  it("a missing environment variable names the key and the reference", async () => {
    await ws.write("environments/qa.yml", "config:\n  release: ${env:RELEASE_TAG}\n");
    const result = await failing({ environment: "qa" });
    expect(result.annotations[0]).toMatchObject({ file: "environments/qa.yml", line: 2 });
    expect(result.annotations[0]?.message).toContain(
      "config.release: environment variable ${env:RELEASE_TAG} is not set",
    );
  });

  it("an unset or empty secret is an error (GitHub passes unset secrets as empty strings)", async () => {
    const result = await failing({ environment: "staging" }, { DB_PASSWORD: "" });
    expect(result.annotations[0]).toMatchObject({ file: "environments/base.yml", line: 18 });
    expect(result.annotations[0]?.message).toContain(
      "config.database.password: secret ${secret:DB_PASSWORD} is not set or empty",
    );
  });

  it("a malformed reference is an error", async () => {
    await ws.write("environments/qa.yml", "config:\n  a: ${secret:1BAD}\n  b: ${env:OPEN\n");
    const result = await failing({ environment: "qa" });
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      expect.stringContaining("config.a: invalid reference ${secret:1BAD}"),
      expect.stringContaining("config.b: unterminated reference"),
    ]);
  });

  it("a section of the wrong type and an unknown section are reported with their lines", async () => {
    await ws.write(
      "environments/staging.yml",
      "service: demo-api\nconfig:\n  - not\n  - a mapping\nhelth: {}\n",
    );
    const result = await failing({ environment: "staging" });
    expect(result.annotations.map((annotation) => [annotation.line, annotation.message])).toEqual([
      [2, "environments/staging.yml:2 config: expected a mapping of keys to values"],
      [5, "environments/staging.yml:5 helth: unknown key (check its spelling and indentation)"],
    ]);
  });

  it("an invalid input names the input", async () => {
    const result = await failing({ environment: "staging", format: "toml" });
    expect(result.annotations[0]?.message).toMatch(
      /^input "format": .*json.*yaml.*dotenv.* \(got "toml"\)$/,
    );
  });

  it("a missing config directory is reported", async () => {
    const result = await failing({ environment: "staging", "config-dir": "nowhere" });
    expect(result.annotations[0]?.message).toBe(
      'input "config-dir": directory nowhere does not exist',
    );
  });
});

describe("hostile input: refused as configuration errors, at their place, nothing written", () => {
  const refused = async (inputs: Record<string, string>, env?: Record<string, string>) => {
    await ws.write("keep.json", "untouched");
    const result = await run(
      { environment: "staging", "output-file": "keep.json", ...inputs },
      env,
    );
    expectFailedCleanly(result);
    expect(await ws.read("keep.json")).toBe("untouched");
    for (const annotation of result.annotations)
      expect(annotation.title).toBe("env-config: invalid configuration");
    return result;
  };

  it("an alias bomb is refused at the alias's line, quickly", async () => {
    const levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i <= 8; i++) levels.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`)}]`);
    await ws.write("environments/staging.yml", `${levels.join("\n")}\nconfig: {}\n`);
    const started = Date.now();
    const result = await refused({});
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.annotations[0]).toMatchObject({ file: "environments/staging.yml", line: 6 });
    expect(result.annotations[0]?.message).toContain("a5[0]: alias *a4 expands");
  });

  it("a merge key with a scalar and a !!binary value are refused at their lines", async () => {
    await ws.write(
      "environments/staging.yml",
      "config:\n  logLevel: info\n  <<: 5\n  key: !!binary aGVsbG8=\n",
    );
    const result = await refused({});
    expect(result.annotations.map((annotation) => [annotation.line, annotation.message])).toEqual([
      [
        3,
        'environments/staging.yml:3 config["<<"]: ' +
          "a merge key (<<) takes a mapping, an alias of one, or a list of them",
      ],
      [4, expect.stringContaining("config.key: tag !!binary does not give a plain JSON value")],
    ]);
  });

  it("a file that is not UTF-8 is refused at the line of the bad byte", async () => {
    await writeFile(
      join(ws.dir, "environments/staging.yml"),
      Buffer.concat([Buffer.from("config:\n  name: caf"), Buffer.from([0xe9, 0x0a])]),
    );
    const result = await refused({});
    expect(result.annotations[0]).toMatchObject({ file: "environments/staging.yml", line: 2 });
    expect(result.annotations[0]?.message).toContain("is not valid UTF-8");
  });

  it("a file over 1 MiB is refused before it is parsed", async () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `  key${i}: ${i}\n`).join("");
    await ws.write("environments/staging.yml", `config:\n${keys}`);
    const result = await refused({});
    expect(result.annotations[0]?.message).toMatch(
      /^environments\/staging\.yml: is \d+ bytes, over the limit of 1048576 bytes \(1 MiB\)/,
    );
  });

  it.each([
    ["output-file", "../escape.json", "is outside the workspace"],
    ["output-file", "/tmp/shipgate-escape.json", "is outside the workspace"],
    ["output-file", ".git/hooks/pre-commit", "is inside the workspace's .git directory"],
    ["config-dir", "../", "is outside the workspace"],
    ["config-dir", ".git", "is inside the workspace's .git directory"],
  ])("%s %s is refused, naming the input", async (input, path, why) => {
    const result = await refused({ [input]: path });
    expect(result.annotations).toHaveLength(1);
    expect(result.annotations[0]?.message).toBe(
      `input "${input}": ${path} ${why}` +
        (why.startsWith("is outside") ? "; give a path inside it" : ""),
    );
    if (input === "output-file") expect(existsSync(resolve(ws.dir, path))).toBe(false);
  });

  it("export-env refuses a key that would set LD_PRELOAD, and exports nothing", async () => {
    await ws.write("custom/staging.yml", "config:\n  ldPreload: /tmp/evil.so\n");
    const result = await refused({ "export-env": "true", "config-dir": "custom" });
    expect(result.annotations[0]?.message).toBe(
      "config.ldPreload: would be exported as LD_PRELOAD, a name reserved because the dynamic " +
        "loader reads it, and can load other code into every later process; rename the key",
    );
  });

  it("a dotenv file sourced by bash runs nothing and gives back every value", async () => {
    await ws.write(
      "custom/staging.yml",
      'config:\n  greeting: "`touch pwned` $(touch pwned) \\" \' \\\\ end"\n' +
        "  banner: |\n    line one $HOME\n    `id`\n",
    );
    const result = await run({
      environment: "staging",
      "config-dir": "custom",
      format: "dotenv",
      "output-file": "c.env",
    });
    expect(result.exitCode).toBe(0);
    const script = 'set -a; . ./c.env; printf "%s\\0%s" "$GREETING" "$BANNER"';
    const [greeting, banner] = execFileSync("bash", ["-c", script], { cwd: ws.dir })
      .toString("utf8")
      .split("\0");
    expect(await ws.files()).not.toContain("pwned");
    expect(greeting).toBe("`touch pwned` $(touch pwned) \" ' \\ end");
    expect(banner).toBe("line one $HOME\n`id`\n");
  });
});

describe("secret scan", () => {
  it("no secret value appears anywhere but the requested output-file", async () => {
    const runs = [
      await run(
        {
          environment: "staging",
          "compare-to": "production",
          "export-env": "true",
          "output-file": "out/config.env",
          format: "dotenv",
        },
        { DB_PASSWORD: SECRET, API_KEY: OTHER_SECRET },
      ),
      await run(
        {
          environment: "production",
          "compare-to": "staging",
          "output-file": "out/config.yml",
          format: "yaml",
        },
        { DB_PASSWORD: SECRET, API_KEY: OTHER_SECRET },
      ),
      await run({ environment: "production", "config-dir": "missing" }, { DB_PASSWORD: SECRET }),
    ];
    for (const result of runs) {
      const everything = [
        result.stdout,
        result.stderr,
        result.summary,
        JSON.stringify(result.outputs),
        JSON.stringify(result.env),
        JSON.stringify(result.state),
      ]
        .join("\n")
        .split("\n")
        .filter((line) => !line.startsWith("::add-mask::"))
        .join("\n");
      for (const secret of [SECRET, OTHER_SECRET]) expect(everything).not.toContain(secret);
    }
    expect(runs.map((result) => result.exitCode)).toEqual([0, 0, 1]);
    for (const file of await ws.files()) {
      const text = await ws.read(file);
      if (file.startsWith("out/")) expect(text).toContain(SECRET);
      else
        for (const secret of [SECRET, OTHER_SECRET])
          expect({ file, leaked: text.includes(secret) }).toEqual({ file, leaked: false });
    }
  });
});
