// The proof on a real PostgreSQL (a throwaway cluster the test starts): locks, rewrites and the
// previous version's queries, statement by statement; nothing left running.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
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

async function prove(changes: string, extra: { seedRows?: number } = {}) {
  const base = [await sqlFile("base/db/migrations/001_users.sql")];
  const old = await sqlFile("old-queries.sql");
  const client = await import("pg").then(({ default: pg }) => new pg.Client(db.config));
  await client.connect();
  const name = `proof_${Math.random().toString(36).slice(2, 8)}`;
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  try {
    return await runProof(
      { ...db.config, database: name },
      {
        base,
        changes: [await inline("m/002.sql", changes)],
        seedRows: extra.seedRows ?? 500,
        oldQueries: old.statements,
      },
    );
  } finally {
    const admin = new (await import("pg")).default.Client(db.config);
    await admin.connect();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
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
