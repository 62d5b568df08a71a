// The proof on a real PostgreSQL: the base's migrations applied and its tables seeded, then each of
// the pull request's statements in a transaction of its own while a second connection reads the
// locks it holds, how long it holds them, whether it rewrote or scanned a table, whether the
// lock_timeout in force makes it give up behind a conflicting transaction, and which of the
// previous version's queries stop working after it; then the down migrations, in reverse.
import type { Node } from "libpg-query";
import pg from "pg";
import type { SourcePosition } from "../shared/errors.js";
import type { ParsedFile, Statement } from "./parse.js";
import { blocksWrites, lockRank, weakestConflicting } from "./locks.js";
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
  /**
   * How long its locks were held: the statement and its COMMIT (a lock is released at commit), as a
   * migration tool running it alone in a transaction holds them.
   */
  lockHeldMs: number;
  /** The session's lock_timeout when it ran, in ms (0: none, it would wait for ever). */
  lockTimeoutMs: number;
  /** A conflicting transaction held open while the statement ran again, when it locks out writes. */
  lockTimeoutProbe?: LockTimeoutProbe;
  /** Tables whose file was rewritten (relfilenode changed), with their rows. */
  rewritten: { table: string; rows: number }[];
  /** Rows read by sequential scans of existing tables (a validation or a rewrite shows here). */
  rowsScanned: number;
  /** The previous version's queries that work before this statement and fail after it. */
  broken: QueryBroken[];
  /** PostgreSQL's error when the statement itself failed (the proof stops there). */
  error?: string;
  /** Where in the file PostgreSQL's error points (its position), else the statement's start. */
  errorAt?: Required<SourcePosition>;
}

/**
 * The statement run again (then rolled back) while another session holds the weakest lock that
 * conflicts with the strongest one it takes (a long read blocks a rewrite): with lock_timeout
 * honoured it fails with lock_not_available after about that long, instead of queueing and
 * blocking everything behind it.
 */
export interface LockTimeoutProbe {
  table: string;
  /** The lock the other session held. */
  heldBy: string;
  /** It failed with lock_not_available within the lock_timeout (and a margin). */
  honoured: boolean;
  waitedMs: number;
  /** What PostgreSQL said (canceling statement due to lock timeout), or why it was not honoured. */
  outcome: string;
}

export interface DownProof {
  /** The down migrations' statements, in the order they ran. */
  statements: StatementProof[];
  /** The previous version's queries that fail once the down migrations ran (they should all work). */
  broken: QueryBroken[];
  /** False when an up failed: the downs were not run. */
  ran: boolean;
}

export interface Proof {
  seeded: Seeded[];
  statements: StatementProof[];
  /** Old-version queries that already fail on the base schema: not the pull request's doing. */
  invalidOnBase: QueryBroken[];
  /** The down migrations applied after the ups, when there are any. */
  down?: DownProof;
  /** sqitch's verify scripts, each run (and rolled back) after its change's deploy script. */
  verified?: Verification[];
}

export interface Verification {
  /** The deploy script it verifies. */
  change: string;
  file: string;
  /** PostgreSQL's error: the change did not do what its verify script checks. */
  error?: string;
  errorAt?: Required<SourcePosition>;
}

export interface ProofInput {
  base: readonly ParsedFile[];
  /** SQL run after the base migrations (rows of your own); tables it leaves empty are seeded. */
  seed?: ParsedFile;
  seedRows: number;
  changes: readonly ParsedFile[];
  oldQueries: readonly Statement[];
  /** Down migrations, in the order they run (the last up's down first), applied after every up. */
  downs?: readonly ParsedFile[];
  /** Probe lock_timeout for statements that lock out writes (true by default). */
  probeLockTimeout?: boolean;
  /** Verify scripts by the path of the change they verify (sqitch's verify/). */
  verify?: ReadonlyMap<string, ParsedFile>;
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

/** How a statement runs: SET LOCALs of its transaction in the file, and whether to probe lock_timeout. */
interface RunContext {
  file: ParsedFile;
  /** `SET LOCAL ...` statements the file ran in the transaction this statement belongs to. */
  local: readonly string[];
  probe: boolean;
}

/** The longest lock_timeout probed (the probe waits that long); longer ones are not probed. */
const PROBE_CAP_MS = 5_000;
const LOCK_NOT_AVAILABLE = "55P03";

/** file:line:column of PostgreSQL's error position (1-based characters into the statement's text). */
function errorPosition(
  file: ParsedFile,
  statement: Statement,
  error: unknown,
): Required<SourcePosition> {
  const position = Number((error as { position?: string }).position);
  if (!Number.isInteger(position) || position < 1) return statement.at;
  const raw = Buffer.from(file.source, "utf8")
    .subarray(statement.bytes.start, statement.bytes.end)
    .toString("utf8");
  const leading = Buffer.byteLength(raw.slice(0, raw.length - raw.trimStart().length), "utf8");
  const within = Buffer.byteLength(statement.text.slice(0, position - 1), "utf8");
  return file.position(statement.bytes.start + leading + within);
}

async function begin(client: pg.Client, local: readonly string[]): Promise<void> {
  await client.query("BEGIN");
  for (const set of local) await client.query(set);
}

async function lockTimeoutMs(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ ms: string }>(
    "SELECT extract(epoch FROM current_setting('lock_timeout')::interval) * 1000 AS ms",
  );
  return Number(rows[0]?.ms ?? 0);
}

/** The strongest lock the statement took on a table, when it keeps writers out. */
function strongest(locks: readonly LockHeld[]): LockHeld | undefined {
  const top = [...locks].sort((a, b) => lockRank(b.mode) - lockRank(a.mode))[0];
  return top && blocksWrites(top.mode) ? top : undefined;
}

/**
 * Runs the statement again while `holder` keeps a conflicting lock on its table in an open
 * transaction, bounded by a statement_timeout a little past the lock_timeout, and rolls both back.
 */
async function probeLockTimeout(
  client: pg.Client,
  holder: pg.Client,
  statement: Statement,
  context: RunContext,
  lock: LockHeld,
  timeoutMs: number,
): Promise<LockTimeoutProbe | undefined> {
  const conflicting = weakestConflicting(lock.mode);
  if (!conflicting) return undefined;
  await holder.query("BEGIN");
  try {
    await holder.query(
      `LOCK TABLE ${pg.escapeIdentifier(lock.table)} IN ${conflicting.lockTable} MODE`,
    );
    await begin(client, context.local);
    await client.query(`SET LOCAL statement_timeout = ${Math.ceil(timeoutMs) + 2_000}`);
    const started = performance.now();
    let code: string | undefined;
    let outcome = "ran without waiting for the other session";
    try {
      await client.query(statement.text);
    } catch (error) {
      code = (error as { code?: string }).code;
      outcome = messageOf(error);
    }
    const waitedMs = performance.now() - started;
    await client.query("ROLLBACK");
    return {
      table: lock.table,
      heldBy: conflicting.mode,
      honoured: code === LOCK_NOT_AVAILABLE,
      waitedMs,
      outcome,
    };
  } finally {
    await holder.query("ROLLBACK");
  }
}

/** Runs one statement inside a transaction of its own and measures it from both connections. */
async function measure(
  client: pg.Client,
  observer: pg.Client,
  statement: Statement,
  context: RunContext,
): Promise<Omit<StatementProof, "broken">> {
  const base = {
    at: statement.at,
    statement: statement.index,
    sql: statement.text,
    locks: [],
    rewritten: [],
    rowsScanned: 0,
    lockHeldMs: 0,
    lockTimeoutMs: 0,
  };
  const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
  await begin(client, context.local);
  const timeoutMs = await lockTimeoutMs(client);
  const before = await tableFiles(client);
  const scansBefore = Number((await client.query<{ rows: string }>(SCANS)).rows[0]?.rows ?? 0);
  const started = performance.now();
  try {
    await client.query(statement.text);
  } catch (error) {
    await client.query("ROLLBACK");
    if ((error as { code?: string }).code !== ACTIVE_SQL_TRANSACTION)
      return failed({ ...base, lockTimeoutMs: timeoutMs }, false, context.file, statement, error);
    return outsideTransaction(client, statement, { ...base, lockTimeoutMs: timeoutMs }, context);
  }
  const durationMs = performance.now() - started;
  const after = await tableFiles(client);
  const rowsScanned =
    Number((await client.query<{ rows: string }>(SCANS)).rows[0]?.rows ?? 0) - scansBefore;
  const existing = new Set([...before.values()].map((table) => table.name));
  const { rows: all } = await observer.query<LockHeld>(LOCKS, [pid]);
  const locks = all.filter((lock) => existing.has(lock.table));
  const rewritten: StatementProof["rewritten"] = [];
  for (const [oid, table] of before) {
    const now = after.get(oid);
    if (!now || now.file === table.file) continue;
    const count = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${pg.escapeIdentifier(now.name)}`,
    );
    rewritten.push({ table: now.name, rows: Number(count.rows[0]?.n ?? 0) });
  }
  const top = strongest(locks);
  const probing = context.probe && top && timeoutMs > 0 && timeoutMs <= PROBE_CAP_MS;
  let lockHeldMs: number;
  let lockTimeoutProbe: LockTimeoutProbe | undefined;
  if (probing) {
    // Measured once, then rolled back: the probe runs it against a blocker, then it runs for real.
    await client.query("ROLLBACK");
    lockTimeoutProbe = await probeLockTimeout(client, observer, statement, context, top, timeoutMs);
    await begin(client, context.local);
    const again = performance.now();
    await client.query(statement.text);
    await client.query("COMMIT");
    lockHeldMs = performance.now() - again;
  } else {
    const committing = performance.now();
    await client.query("COMMIT");
    lockHeldMs = durationMs + (performance.now() - committing);
  }
  return {
    ...base,
    outsideTransaction: false,
    durationMs,
    lockHeldMs,
    lockTimeoutMs: timeoutMs,
    ...(lockTimeoutProbe ? { lockTimeoutProbe } : {}),
    locks,
    rewritten,
    rowsScanned,
  };
}

function failed(
  base: Omit<StatementProof, "broken" | "outsideTransaction" | "durationMs">,
  outside: boolean,
  file: ParsedFile,
  statement: Statement,
  error: unknown,
): Omit<StatementProof, "broken"> {
  return {
    ...base,
    outsideTransaction: outside,
    durationMs: 0,
    error: messageOf(error),
    errorAt: errorPosition(file, statement, error),
  };
}

/** A statement PostgreSQL runs only outside a transaction block: timed, its locks not measured. */
async function outsideTransaction(
  client: pg.Client,
  statement: Statement,
  base: Omit<StatementProof, "broken" | "outsideTransaction" | "durationMs">,
  context: RunContext,
): Promise<Omit<StatementProof, "broken">> {
  const started = performance.now();
  try {
    await client.query(statement.text);
  } catch (error) {
    return failed(base, true, context.file, statement, error);
  }
  const durationMs = performance.now() - started;
  return { ...base, outsideTransaction: true, durationMs, lockHeldMs: durationMs };
}

async function applyAll(client: pg.Client, files: readonly ParsedFile[]): Promise<void> {
  for (const file of files) {
    for (const statement of file.statements) {
      if (isTransactionControl(statement.node)) continue;
      try {
        await client.query(statement.text);
      } catch (error) {
        const at = errorPosition(file, statement, error);
        throw new Error(`${at.file}:${at.line}:${at.column}: ${messageOf(error)}`, {
          cause: error,
        });
      }
    }
  }
}

/** A verify script's statements in one transaction, rolled back (BEGIN/ROLLBACK in it skipped). */
async function verifyChange(
  client: pg.Client,
  change: string,
  file: ParsedFile,
): Promise<Verification> {
  await client.query("BEGIN");
  try {
    for (const statement of file.statements) {
      if (isTransactionControl(statement.node)) continue;
      try {
        await client.query(statement.text);
      } catch (error) {
        return {
          change,
          file: file.file,
          error: messageOf(error),
          errorAt: errorPosition(file, statement, error),
        };
      }
    }
    return { change, file: file.file };
  } finally {
    await client.query("ROLLBACK");
  }
}

/**
 * Each statement of `files` measured in order, in a transaction of its own; a file's SET LOCALs are
 * replayed in the transactions of the statements after them until its COMMIT. Stops at a failure.
 * A file's verify script, when it has one, runs after its last statement.
 */
async function measureFiles(
  client: pg.Client,
  observer: pg.Client,
  files: readonly ParsedFile[],
  probe: boolean,
  afterEach: (proof: Omit<StatementProof, "broken">) => Promise<QueryBroken[]>,
  verify?: { scripts: ReadonlyMap<string, ParsedFile>; results: Verification[] },
): Promise<StatementProof[]> {
  const statements: StatementProof[] = [];
  for (const file of files) {
    let local: string[] = [];
    for (const statement of file.statements) {
      const node = statement.node;
      if (isTransactionControl(node)) {
        local = [];
        continue;
      }
      const measured = await measure(client, observer, statement, { file, local, probe });
      if ("VariableSetStmt" in node && node.VariableSetStmt.is_local)
        local = [...local, statement.text];
      statements.push({ ...measured, broken: await afterEach(measured) });
      if (measured.error) return statements;
    }
    const script = verify?.scripts.get(file.file);
    if (script) verify?.results.push(await verifyChange(client, file.file, script));
  }
  return statements;
}

/** The whole proof on a database of its own (see postgres.ts), with two connections to it. */
export async function runProof(config: pg.ClientConfig, input: ProofInput): Promise<Proof> {
  const client = new pg.Client(config);
  const observer = new pg.Client(config);
  await client.connect();
  await observer.connect();
  const probe = input.probeLockTimeout ?? true;
  try {
    await applyAll(client, input.base);
    if (input.seed) await applyAll(client, [input.seed]);
    const seeded = await seedTables(client, input.seedRows);
    const invalidOnBase = await failingQueries(observer, input.oldQueries);
    const valid = input.oldQueries.filter((q) => !invalidOnBase.some((bad) => bad.at === q.at));
    let failing = new Set<string>();
    const verified: Verification[] = [];
    const statements = await measureFiles(
      client,
      observer,
      input.changes,
      probe,
      async () => {
        const now = await failingQueries(observer, valid);
        const broken = now.filter((query) => !failing.has(query.query));
        failing = new Set(now.map((query) => query.query));
        return broken;
      },
      input.verify ? { scripts: input.verify, results: verified } : undefined,
    );
    const ups = { seeded, statements, invalidOnBase, ...(input.verify ? { verified } : {}) };
    if (!input.downs?.length) return ups;
    if (statements.some((statement) => statement.error))
      return { ...ups, down: { statements: [], broken: [], ran: false } };
    const downs = await measureFiles(client, observer, input.downs, probe, async () => []);
    const broken = downs.some((statement) => statement.error)
      ? []
      : await failingQueries(observer, valid);
    return { ...ups, down: { statements: downs, broken, ran: true } };
  } finally {
    await Promise.allSettled([client.end(), observer.end()]);
  }
}
