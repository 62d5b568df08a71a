// Every static rule on PostgreSQL's parse tree: a migration that breaks it and its safe rewrite.
import { describe, expect, it } from "@jest/globals";
import { parseSqlFile } from "../../src/migrations/parse.js";
import { RULE_IDS, type RuleId } from "../../src/migrations/rule-table.js";
import {
  lintDownMigrations,
  lintMigrations,
  type LintOptions,
} from "../../src/migrations/rules.js";
import { ConfigurationError } from "../../src/shared/errors.js";

const TIMEOUT = "SET lock_timeout = '2s';\n";

/** rule -> [failing migration, passing migration]; each runs against a table production already has. */
const CASES: Record<RuleId, [string, string, LintOptions?]> = {
  "adding-not-null-column": [
    `${TIMEOUT}ALTER TABLE users ADD COLUMN age bigint NOT NULL;`,
    `${TIMEOUT}ALTER TABLE users ADD COLUMN age bigint NOT NULL DEFAULT 0;`,
  ],
  "adding-column-volatile-default": [
    `${TIMEOUT}ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();`,
    `${TIMEOUT}ALTER TABLE users ADD COLUMN token uuid;`,
  ],
  "require-concurrent-index": [
    `${TIMEOUT}CREATE INDEX users_email ON users (email);`,
    "CREATE INDEX CONCURRENTLY users_email ON users (email);",
  ],
  "require-concurrent-index-deletion": [
    "DROP INDEX users_email;",
    "DROP INDEX CONCURRENTLY users_email;",
  ],
  "concurrently-in-transaction": [
    "BEGIN;\nCREATE INDEX CONCURRENTLY users_email ON users (email);\nCOMMIT;",
    "CREATE INDEX CONCURRENTLY users_email ON users (email);",
  ],
  "constraint-missing-not-valid": [
    `${TIMEOUT}ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id);`,
    `${TIMEOUT}ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user;`,
  ],
  "adding-unique-constraint": [
    `${TIMEOUT}ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);`,
    `CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
${TIMEOUT}ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;`,
  ],
  "setting-not-null": [
    `${TIMEOUT}ALTER TABLE users ALTER COLUMN email SET NOT NULL;`,
    `${TIMEOUT}ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;`,
  ],
  "changing-column-type": [
    `${TIMEOUT}ALTER TABLE users ALTER COLUMN id TYPE bigint;`,
    `${TIMEOUT}ALTER TABLE users ADD COLUMN id_new bigint;`,
  ],
  "dropping-column": [
    `${TIMEOUT}ALTER TABLE users DROP COLUMN name;`,
    "CREATE TABLE t (id bigint); ALTER TABLE t DROP COLUMN id;",
  ],
  "dropping-table": [
    `${TIMEOUT}DROP TABLE users;`,
    "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;",
  ],
  "renaming-column": [
    `${TIMEOUT}ALTER TABLE users RENAME COLUMN name TO full_name;`,
    `${TIMEOUT}ALTER TABLE users ADD COLUMN full_name text;`,
  ],
  "renaming-table": [
    `${TIMEOUT}ALTER TABLE users RENAME TO accounts;`,
    "CREATE TABLE accounts (id bigint);",
  ],
  "require-lock-timeout": [
    "ALTER TABLE users ADD COLUMN nickname text;",
    "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nickname text;",
  ],
  "prefer-bigint": ["CREATE TABLE t (id integer);", "CREATE TABLE t (id bigint);"],
  "prefer-identity": [
    "CREATE TABLE t (id bigserial PRIMARY KEY);",
    "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
  ],
  "prefer-text": ["CREATE TABLE t (name varchar(40));", "CREATE TABLE t (name text);"],
  "prefer-timestamptz": ["CREATE TABLE t (at timestamp);", "CREATE TABLE t (at timestamptz);"],
};

async function lint(sql: string, options?: LintOptions) {
  return lintMigrations([await parseSqlFile("migrations/002_change.sql", sql)], options);
}

describe("static rules", () => {
  it("has a case for every rule", () => {
    expect(Object.keys(CASES).sort()).toEqual([...RULE_IDS].sort());
  });

  it.each(Object.entries(CASES))(
    "%s: flags the failing migration, not the passing one",
    async (rule, [bad, good, options]) => {
      const failing = await lint(bad, options);
      const hit = failing.find((finding) => finding.rule === rule);
      expect(hit).toBeDefined();
      expect(hit?.message).toContain("Safe recipe:");
      expect(hit?.at.file).toBe("migrations/002_change.sql");
      expect((await lint(good, options)).map((finding) => finding.rule)).not.toContain(rule);
    },
  );
});

describe("positions, transactions, suppressions", () => {
  it("annotates the offending node's line and column, counting characters not bytes", async () => {
    const sql =
      "-- migration for café\nSET lock_timeout = '1s';\nALTER TABLE users\n  RENAME COLUMN name TO full_name;";
    const [finding] = await lint(sql);
    expect(finding).toMatchObject({
      rule: "renaming-column",
      at: { line: 3, column: 13 },
      statement: 1,
    });
  });

  it("treats every file as one transaction when told to", async () => {
    const findings = await lint("CREATE INDEX CONCURRENTLY i ON users (email);", {
      assumeInTransaction: true,
    });
    expect(findings.map((finding) => finding.rule)).toContain("concurrently-in-transaction");
  });

  it("leaves tables the pull request creates alone, across files", async () => {
    const first = await parseSqlFile("m/001.sql", "CREATE TABLE events (id bigint, kind text);");
    const second = await parseSqlFile(
      "m/002.sql",
      "CREATE INDEX events_kind ON events (kind);\nALTER TABLE events DROP COLUMN kind;",
    );
    expect(lintMigrations([first, second])).toEqual([]);
  });

  it("suppresses a statement's finding with its reason, and refuses one without a reason", async () => {
    const sql = `SET lock_timeout = '1s';
-- migration-check:ignore dropping-column legacy_flag has not been read since 2.3
ALTER TABLE users DROP COLUMN legacy_flag;
-- migration-check:ignore dropping-column
ALTER TABLE users DROP COLUMN other_flag;`;
    const findings = await lint(sql);
    expect(findings.find((f) => f.statement === 1)).toMatchObject({
      rule: "dropping-column",
      suppressed: "legacy_flag has not been read since 2.3",
    });
    expect(findings.filter((f) => f.statement === 2).map((f) => [f.rule, f.suppressed])).toEqual([
      ["suppression-without-reason", undefined],
      ["dropping-column", undefined],
    ]);
  });

  it("suppresses a rule for the whole file", async () => {
    const findings = await lint(
      "/* migration-check:ignore-file require-lock-timeout run by hand at night */\n" +
        "ALTER TABLE users ADD COLUMN a text;",
    );
    expect(findings).toMatchObject([
      { rule: "require-lock-timeout", suppressed: "run by hand at night" },
    ]);
  });

  it("reports SQL the parser rejects at its file, line and column", async () => {
    const error = await parseSqlFile("m/003.sql", "SELECT 1;\nALTER TABLE users ADD COLUMN;").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems[0]?.at).toEqual({
      file: "m/003.sql",
      line: 2,
      column: 29,
    });
    expect((error as ConfigurationError).message).toContain("syntax error");
  });
});

describe("down migrations and per-file transactions", () => {
  it("lints a down with the same rules: what drops data is a warning there, locking keeps its level", async () => {
    const down = await parseSqlFile(
      "m/002.down.sql",
      "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN age;\nCREATE INDEX users_age ON users (email);",
    );
    const findings = lintDownMigrations([down]);
    expect(findings.map((f) => [f.rule, f.level, f.direction])).toEqual([
      ["dropping-column", "warning", "down"],
      ["require-concurrent-index", "unsafe", "down"],
    ]);
    expect(findings[0]?.message).toMatch(/^down migration: dropping-column: /);
    expect(lintMigrations([down]).map((f) => f.level)).toEqual(["unsafe", "unsafe"]);
  });

  it("asks per file whether its tool wraps it in a transaction (dbmate unless transaction:false)", async () => {
    const inTx = await parseSqlFile("a.sql", "CREATE INDEX CONCURRENTLY i ON users (email);");
    const outside = await parseSqlFile("b.sql", "CREATE INDEX CONCURRENTLY j ON users (email);");
    const findings = lintMigrations([inTx, outside], {
      assumeInTransaction: true,
      inTransaction: (file) => (file === "b.sql" ? false : undefined),
    });
    expect(findings.map((f) => [f.at.file, f.rule])).toEqual([
      ["a.sql", "concurrently-in-transaction"],
    ]);
  });
});
