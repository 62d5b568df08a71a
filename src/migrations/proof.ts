// The proof on a real PostgreSQL: the base's migrations applied and its tables seeded, then each of
// the pull request's statements in a transaction of its own while a second connection reads the
// locks it holds, whether it rewrote or scanned a table, and which of the previous version's
// queries stop working after it.
import type { Node } from "libpg-query";
import pg from "pg";
import type { SourcePosition } from "../shared/errors.js";
import type { ParsedFile, Statement } from "./parse.js";
import { seedTables, type Seeded } from "./seed.js";

export interface LockHeld {
  table: string;
  mode: string;
}

export interface QueryBroken {
  query: string;
  at: Required<SourcePosition>;
  error: string;
}

export interface StatementProof {
  at: Required<SourcePosition>;
  /** 0-based index of the statement in its file. */
  statement: number;
  sql: string;
  /** Locks held on tables that existed before the statement; measured unless `outsideTransaction`. */
  locks: LockHeld[];
  outsideTransaction: boolean;
  durationMs: number;
  /** Tables whose file was rewritten (relfilenode changed), with their rows. */
  rewritten: { table: string; rows: number }[];
  /** Rows read by sequential scans of existing tables (a validation or a rewrite shows here). */
  rowsScanned: number;
  /** The previous version's queries that work before this statement and fail after it. */
  broken: QueryBroken[];
  /** PostgreSQL's error when the statement itself failed (the proof stops there). */
  error?: string;
}

export interface Proof {
  seeded: Seeded[];
  statements: StatementProof[];
  /** Old-version queries that already fail on the base schema: not the pull request's doing. */
  invalidOnBase: QueryBroken[];
}

export interface ProofInput {
  base: readonly ParsedFile[];
  /** SQL run after the base migrations (rows of your own); tables it leaves empty are seeded. */
  seed?: ParsedFile;
  seedRows: number;
  changes: readonly ParsedFile[];
  oldQueries: readonly Statement[];
}

const SYSTEM =
  "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'";
const TABLES = `SELECT c.oid::int AS oid, c.relname AS name, c.relfilenode::int AS file FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') AND ${SYSTEM}`;
const SCANS = "SELECT coalesce(sum(seq_tup_read), 0)::bigint AS rows FROM pg_stat_xact_user_tables";
const LOCKS = `SELECT c.relname AS table, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE l.pid = $1 AND l.locktype = 'relation' AND l.granted AND c.relkind IN ('r', 'p', 'm') AND ${SYSTEM}
  ORDER BY 1, 2`;
/** SQLSTATE 25001: the statement cannot run inside a transaction block (CONCURRENTLY and the like). */
const ACTIVE_SQL_TRANSACTION = "25001";

const messageOf = (error: unknown) => (error as Error).message;
const isTransactionControl = (node: Node) => "TransactionStmt" in node;

function hasParameters(node: unknown): boolean {
  if (!node || typeof node !== "object") return false;
  if ("ParamRef" in node) return true;
  return Object.values(node).some(hasParameters);
}

/** The old version's queries that fail now: prepared (names, types), and run when they take no parameters. */
async function failingQueries(
  client: pg.Client,
  queries: readonly Statement[],
): Promise<QueryBroken[]> {
  const broken: QueryBroken[] = [];
  for (const [i, query] of queries.entries()) {
    try {
      await client.query("BEGIN");
      await client.query(`PREPARE shipgate_old_${i} AS ${query.text}`);
      if (!hasParameters(query.node)) await client.query(`EXECUTE shipgate_old_${i}`);
    } catch (error) {
      broken.push({ query: query.text, at: query.at, error: messageOf(error) });
    } finally {
      await client.query("ROLLBACK");
      await client.query("DEALLOCATE ALL");
    }
  }
  return broken;
}

async function tableFiles(client: pg.Client): Promise<Map<number, { name: string; file: number }>> {
  const { rows } = await client.query<{ oid: number; name: string; file: number }>(TABLES);
  return new Map(rows.map((row) => [row.oid, row]));
}

/** Runs one statement inside a transaction of its own and measures it from both connections. */
async function measure(
  client: pg.Client,
  observer: pg.Client,
  statement: Statement,
): Promise<Omit<StatementProof, "broken">> {
  const base = {
    at: statement.at,
    statement: statement.index,
    sql: statement.text,
    locks: [],
    rewritten: [],
    rowsScanned: 0,
  };
  const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
  await client.query("BEGIN");
  const before = await tableFiles(client);
  const scansBefore = Number((await client.query<{ rows: string }>(SCANS)).rows[0]?.rows ?? 0);
  const started = performance.now();
  try {
    await client.query(statement.text);
  } catch (error) {
    await client.query("ROLLBACK");
    if ((error as { code?: string }).code !== ACTIVE_SQL_TRANSACTION)
      return { ...base, outsideTransaction: false, durationMs: 0, error: messageOf(error) };
    return outsideTransaction(client, statement, base);
  }
  const durationMs = performance.now() - started;
  const after = await tableFiles(client);
  const rowsScanned =
    Number((await client.query<{ rows: string }>(SCANS)).rows[0]?.rows ?? 0) - scansBefore;
  const existing = new Set([...before.values()].map((table) => table.name));
  const { rows: locks } = await observer.query<LockHeld>(LOCKS, [pid]);
  const rewritten: StatementProof["rewritten"] = [];
  for (const [oid, table] of before) {
    const now = after.get(oid);
    if (!now || now.file === table.file) continue;
    const count = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${pg.escapeIdentifier(now.name)}`,
    );
    rewritten.push({ table: now.name, rows: Number(count.rows[0]?.n ?? 0) });
  }
  await client.query("COMMIT");
  return {
    ...base,
    outsideTransaction: false,
    durationMs,
    locks: locks.filter((lock) => existing.has(lock.table)),
    rewritten,
    rowsScanned,
  };
}

/** A statement PostgreSQL runs only outside a transaction block: timed, its locks not measured. */
async function outsideTransaction(
  client: pg.Client,
  statement: Statement,
  base: Pick<StatementProof, "at" | "statement" | "sql" | "locks" | "rewritten" | "rowsScanned">,
): Promise<Omit<StatementProof, "broken">> {
  const started = performance.now();
  try {
    await client.query(statement.text);
  } catch (error) {
    return { ...base, outsideTransaction: true, durationMs: 0, error: messageOf(error) };
  }
  return { ...base, outsideTransaction: true, durationMs: performance.now() - started };
}

async function applyAll(client: pg.Client, files: readonly ParsedFile[]): Promise<void> {
  for (const file of files) {
    for (const statement of file.statements) {
      if (isTransactionControl(statement.node)) continue;
      try {
        await client.query(statement.text);
      } catch (error) {
        throw new Error(`${file.file}:${statement.at.line}: ${messageOf(error)}`, { cause: error });
      }
    }
  }
}

/** The whole proof on a database of its own (see postgres.ts), with two connections to it. */
export async function runProof(config: pg.ClientConfig, input: ProofInput): Promise<Proof> {
  const client = new pg.Client(config);
  const observer = new pg.Client(config);
  await client.connect();
  await observer.connect();
  try {
    await applyAll(client, input.base);
    if (input.seed) await applyAll(client, [input.seed]);
    const seeded = await seedTables(client, input.seedRows);
    const invalidOnBase = await failingQueries(observer, input.oldQueries);
    const valid = input.oldQueries.filter((q) => !invalidOnBase.some((bad) => bad.at === q.at));
    let failing = new Set<string>();
    const statements: StatementProof[] = [];
    for (const statement of input.changes.flatMap((file) => file.statements)) {
      if (isTransactionControl(statement.node)) continue;
      const measured = await measure(client, observer, statement);
      const now = await failingQueries(observer, valid);
      const broken = now.filter((query) => !failing.has(query.query));
      failing = new Set(now.map((query) => query.query));
      statements.push({ ...measured, broken });
      if (measured.error) break;
    }
    return { seeded, statements, invalidOnBase };
  } finally {
    await Promise.allSettled([client.end(), observer.end()]);
  }
}
