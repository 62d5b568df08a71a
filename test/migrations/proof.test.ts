// The proof on a real PostgreSQL (a throwaway cluster the test starts): locks, rewrites and the
// previous version's queries, statement by statement; nothing left running.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { parseSqlFile } from "../../src/migrations/parse.js";
import { findPostgresBin, startThrowaway, type Database } from "../../src/migrations/postgres.js";
import { runProof } from "../../src/migrations/proof.js";
import { ROOT } from "../../tools/runner/run-action.js";

const FIXTURES = join(ROOT, "test/fixtures/migrations/rename");
const sqlFile = async (path: string) =>
  parseSqlFile(path, await readFile(join(FIXTURES, path), "utf8"));
const inline = (name: string, sql: string) => parseSqlFile(name, sql);

let db: Database;
beforeAll(async () => {
  db = await startThrowaway(await findPostgresBin());
});
afterAll(async () => {
  await db?.remove();
});

/** A database of its own on the test's cluster for one proof, dropped afterwards. */
async function withDatabase<T>(body: (config: pg.ClientConfig) => Promise<T>): Promise<T> {
  const admin = new pg.Client(db.config);
  await admin.connect();
  const name = `proof_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    return await body({ ...db.config, database: name });
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function prove(changes: string, extra: { seedRows?: number } = {}) {
  const base = [await sqlFile("base/db/migrations/001_users.sql")];
  const old = await sqlFile("old-queries.sql");
  return withDatabase(async (config) =>
    runProof(config, {
      base,
      changes: [await inline("m/002.sql", changes)],
      seedRows: extra.seedRows ?? 500,
      oldQueries: old.statements,
    }),
  );
}

describe("proof on a throwaway PostgreSQL", () => {
  it("proves a column rename breaks the previous version's queries", async () => {
    const proof = await prove(
      await readFile(join(FIXTURES, "unsafe/db/migrations/002_rename_name.sql"), "utf8"),
    );
    expect(proof.seeded).toEqual([{ table: "users", rows: 500 }]);
    const rename = proof.statements.find((s) => s.sql.includes("RENAME"));
    expect(rename?.locks).toEqual([{ table: "users", mode: "AccessExclusiveLock" }]);
    expect(rename?.broken.map((b) => b.query.split(" ")[0])).toEqual([
      "SELECT",
      "INSERT",
      "UPDATE",
    ]);
    expect(rename?.broken[0]?.error).toContain('column "name" does not exist');
  });

  it("proves the expand/contract rewrite keeps the previous version working", async () => {
    const proof = await prove(
      await readFile(join(FIXTURES, "safe/db/migrations/002_add_full_name.sql"), "utf8"),
    );
    expect(proof.statements.flatMap((s) => s.broken)).toEqual([]);
    expect(proof.statements.every((s) => s.rewritten.length === 0 && !s.error)).toBe(true);
  });

  it("shows a rewrite, a validating scan, and a statement that runs only outside a transaction", async () => {
    const proof = await prove(
      "ALTER TABLE users ALTER COLUMN id TYPE integer;\n" +
        "ALTER TABLE users ADD CONSTRAINT email_set CHECK (email IS NOT NULL);\n" +
        "CREATE INDEX CONCURRENTLY users_email ON users (email);",
    );
    const [type, check, index] = proof.statements;
    expect(type?.rewritten).toEqual([{ table: "users", rows: 500 }]);
    expect(check?.rowsScanned).toBe(500);
    expect(check?.locks).toContainEqual({ table: "users", mode: "AccessExclusiveLock" });
    expect(index).toMatchObject({ outsideTransaction: true, locks: [] });
  });

  it("stops at a statement PostgreSQL rejects, with its message", async () => {
    const proof = await prove("ALTER TABLE users ADD COLUMN age bigint NOT NULL;\nSELECT 1;");
    expect(proof.statements).toHaveLength(1);
    expect(proof.statements[0]?.error).toContain(
      'column "age" of relation "users" contains null values',
    );
  });
});

describe("lock hold times and lock_timeout", () => {
  it("records how long each lock was held, and probes the lock_timeout set in the file", async () => {
    const proof = await prove(
      "SET lock_timeout = '150ms';\n" +
        "ALTER TABLE users ALTER COLUMN id TYPE integer;\n" +
        "ALTER TABLE users ADD COLUMN note text;\n",
    );
    const [, rewrite, add] = proof.statements;
    expect(rewrite?.lockTimeoutMs).toBe(150);
    expect(rewrite?.lockHeldMs).toBeGreaterThan(0);
    expect(rewrite?.lockHeldMs).toBeGreaterThanOrEqual(rewrite?.durationMs ?? Infinity);
    expect(rewrite?.rewritten).toEqual([{ table: "users", rows: 500 }]);
    expect(rewrite?.lockTimeoutProbe).toMatchObject({
      table: "users",
      heldBy: "AccessShareLock",
      honoured: true,
      outcome: "canceling statement due to lock timeout",
    });
    expect(rewrite?.lockTimeoutProbe?.waitedMs).toBeGreaterThanOrEqual(140);
    // The probe rolled back; the statement then ran for real once: the column is integer now.
    expect(add?.error).toBeUndefined();
    expect(add?.lockTimeoutProbe?.honoured).toBe(true);
  });

  it("replays a SET LOCAL lock_timeout in the statements of its transaction, and probes none without one", async () => {
    const proof = await prove(
      "BEGIN;\nSET LOCAL lock_timeout = '100ms';\nCREATE INDEX users_email ON users (email);\nCOMMIT;\n" +
        "CREATE INDEX users_id ON users (id);\n",
    );
    const [, withTimeout, without] = proof.statements;
    expect(withTimeout?.lockTimeoutMs).toBe(100);
    expect(withTimeout?.locks).toContainEqual({ table: "users", mode: "ShareLock" });
    expect(withTimeout?.lockTimeoutProbe).toMatchObject({
      heldBy: "RowExclusiveLock",
      honoured: true,
    });
    expect(without?.lockTimeoutMs).toBe(0);
    expect(without?.lockTimeoutProbe).toBeUndefined();
  });
});

describe("down migrations", () => {
  it("applies the downs after the ups and checks the previous version's queries after them", async () => {
    const base = [await sqlFile("base/db/migrations/001_users.sql")];
    const up = await inline(
      "m/002.up.sql",
      "ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users ADD COLUMN age bigint;",
    );
    const good = await inline(
      "m/002.down.sql",
      "ALTER TABLE users DROP COLUMN age;\nALTER TABLE users RENAME COLUMN full_name TO name;",
    );
    const forgetful = await inline("m/002.down.sql", "ALTER TABLE users DROP COLUMN age;");
    const broken = await inline(
      "m/002.down.sql",
      "ALTER TABLE users DROP COLUMN age;\n  ALTER TABLE users RENAME COLUMN fullname TO name;",
    );
    const old = (await sqlFile("old-queries.sql")).statements;
    const run = (downs: typeof good) =>
      withDatabase((config) =>
        runProof(config, { base, changes: [up], downs: [downs], seedRows: 50, oldQueries: old }),
      );

    const restored = await run(good);
    expect(restored.statements[0]?.broken).toHaveLength(3);
    expect(restored.down).toMatchObject({ ran: true, broken: [] });
    expect(restored.down?.statements.map((s) => s.sql)).toEqual([
      "ALTER TABLE users DROP COLUMN age",
      "ALTER TABLE users RENAME COLUMN full_name TO name",
    ]);
    expect(restored.down?.statements[1]?.locks).toEqual([
      { table: "users", mode: "AccessExclusiveLock" },
    ]);

    const incomplete = await run(forgetful);
    expect(incomplete.down?.broken.map((b) => b.error)).toContain('column "name" does not exist');

    const failing = await run(broken);
    expect(failing.down?.statements[1]).toMatchObject({
      error: 'column "fullname" does not exist',
      errorAt: { file: "m/002.down.sql", line: 2, column: 3 },
    });
  });

  it("reports where in the file PostgreSQL's error points", async () => {
    const proof = await prove("SELECT 1;\n\n  UPDATE users SET email = nosuch;");
    expect(proof.statements[1]).toMatchObject({
      error: 'column "nosuch" does not exist',
      errorAt: { file: "m/002.sql", line: 3, column: 28 },
    });
  });
});
