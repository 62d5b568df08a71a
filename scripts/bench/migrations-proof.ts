// The full proof of a 20-migration pull request on a throwaway PostgreSQL, timed by phase: the
// cluster started, the base's migrations applied, its tables seeded, the previous version's queries
// checked on the base, the 20 statements each in a transaction of its own with its locks, rewrites
// and scans read from a second connection and the old queries run again after each. Phases are
// measured as migration-check's runProof runs them, each variant on a fresh database of the same
// cluster (a phase is the difference between two variants). Baseline in the same run: the same
// migrations applied plainly on one connection, no measurement. Then the bundle end to end, as a
// runner runs it. Run: npm run bench -- migrations-proof
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { parseSqlFile, type ParsedFile } from "../../src/migrations/parse.js";
import { findPostgresBin, freshDatabase, startThrowaway } from "../../src/migrations/postgres.js";
import { runProof, type Proof, type ProofInput } from "../../src/migrations/proof.js";

const RUNS = Number(process.env.BENCH_RUNS_PROOF ?? 5);
// The action's default seed-rows.
const SEED_ROWS = 1000;
const root = new URL("../..", import.meta.url).pathname;

/** The base branch: an orders service's eight tables. */
const BASE = [
  `CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
    plan text NOT NULL DEFAULT 'free', created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id), name text NOT NULL, email text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE products (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, sku text NOT NULL UNIQUE,
    title text NOT NULL, price_cents bigint NOT NULL)`,
  `CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id), status text NOT NULL DEFAULT 'pending',
    total_cents bigint NOT NULL, note text, created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE order_items (order_id bigint NOT NULL REFERENCES orders (id),
    product_id bigint NOT NULL REFERENCES products (id), quantity integer NOT NULL,
    PRIMARY KEY (order_id, product_id))`,
  `CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id), amount_cents bigint NOT NULL,
    paid boolean NOT NULL DEFAULT false)`,
  `CREATE TABLE payments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, invoice_id bigint NOT NULL,
    amount_cents bigint NOT NULL, provider text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now())`,
];

/** The pull request: 20 migrations of one statement each, safe ones and the classic mistakes. */
const CHANGES = [
  "ALTER TABLE orders ADD COLUMN shipped_at timestamptz",
  "ALTER TABLE orders ADD COLUMN priority boolean NOT NULL DEFAULT false",
  "CREATE INDEX CONCURRENTLY orders_status ON orders (status)",
  "CREATE INDEX customers_created ON customers (created_at)",
  "ALTER TABLE payments ADD CONSTRAINT payments_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id) NOT VALID",
  "ALTER TABLE payments VALIDATE CONSTRAINT payments_invoice",
  "ALTER TABLE invoices ADD CONSTRAINT invoices_positive CHECK (amount_cents >= 0)",
  "ALTER TABLE orders ALTER COLUMN note TYPE varchar(500)",
  "ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint",
  "ALTER TABLE orders ALTER COLUMN note SET NOT NULL",
  "ALTER TABLE customers RENAME COLUMN name TO display_name",
  "ALTER TABLE products ADD COLUMN description text",
  "UPDATE orders SET shipped_at = created_at WHERE status = 'shipped'",
  "CREATE TABLE refunds (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payment_id bigint NOT NULL, " +
    "amount_cents bigint NOT NULL)",
  "ALTER TABLE accounts ADD COLUMN region text NOT NULL DEFAULT 'eu'",
  "ALTER TABLE events DROP COLUMN payload",
  "CREATE VIEW open_orders AS SELECT id, customer_id, total_cents FROM orders WHERE status = 'pending'",
  "ALTER TABLE invoices ADD COLUMN due_on date",
  "CREATE INDEX CONCURRENTLY payments_created ON payments (created_at)",
  "COMMENT ON TABLE refunds IS 'one row per refund of a payment'",
];

/** What the previous version sends. */
const OLD_QUERIES = [
  "SELECT id, name, email FROM customers WHERE id = $1",
  "SELECT id, name, email FROM customers WHERE email = $1",
  "INSERT INTO customers (account_id, name, email) VALUES ($1, $2, $3) RETURNING id",
  "UPDATE customers SET name = $1 WHERE id = $2",
  "SELECT o.id, o.status, o.total_cents, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1",
  "INSERT INTO orders (customer_id, total_cents) VALUES ($1, $2) RETURNING id",
  "INSERT INTO orders (customer_id, total_cents, note) VALUES ($1, $2, NULL) RETURNING id",
  "UPDATE orders SET status = $1 WHERE id = $2",
  "SELECT status, count(*) FROM orders GROUP BY status",
  "INSERT INTO order_items (order_id, product_id, quantity) VALUES ($1, $2, $3)",
  "SELECT p.sku, i.quantity FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id = $1",
  "INSERT INTO invoices (order_id, amount_cents) VALUES ($1, $2) RETURNING id",
  "UPDATE invoices SET paid = true WHERE id = $1",
  "INSERT INTO payments (invoice_id, amount_cents, provider) VALUES ($1, $2, $3)",
  "SELECT sum(amount_cents) FROM payments WHERE created_at > now() - interval '1 day'",
  "INSERT INTO events (kind, payload) VALUES ($1, $2)",
  "SELECT kind, payload FROM events ORDER BY id DESC LIMIT 50",
  "SELECT id, name, plan FROM accounts WHERE id = $1",
  "SELECT count(*) FROM customers",
  "SELECT id, title, price_cents FROM products WHERE sku = $1",
];

const median = (samples: number[]): number =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;

async function timed<T>(run: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const result = await run();
  return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

const files = (prefix: string, statements: string[]) =>
  Promise.all(
    statements.map((sql, i) =>
      parseSqlFile(`db/migrations/${prefix}${String(i + 1).padStart(3, "0")}.sql`, `${sql};\n`),
    ),
  );
const base = await files("0", BASE);
const changes = await files("1", CHANGES);
const oldQueries = (
  await parseSqlFile("db/old-queries.sql", OLD_QUERIES.map((q) => `${q};`).join("\n"))
).statements;

/** The proof variants whose differences are the phases. */
const VARIANTS: Record<string, Omit<ProofInput, "base">> = {
  base: { seedRows: 0, changes: [], oldQueries: [] },
  seeded: { seedRows: SEED_ROWS, changes: [], oldQueries: [] },
  "old queries on the base": { seedRows: SEED_ROWS, changes: [], oldQueries },
  "statements, no old queries": { seedRows: SEED_ROWS, changes, oldQueries: [] },
  full: { seedRows: SEED_ROWS, changes, oldQueries },
};

/** The baseline: the same SQL applied plainly on one connection, nothing measured. */
async function plainApply(config: pg.ClientConfig, statements: ParsedFile[]): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    for (const statement of statements.flatMap((file) => file.statements))
      await client.query(statement.text);
  } finally {
    await client.end();
  }
}

const bin = await findPostgresBin().catch((error: Error) => {
  console.log(`migrations-proof: skipped, ${error.message}`);
  process.exit(0);
});
const clusterStarts: number[] = [];
const clusterRemovals: number[] = [];
const times: Record<string, number[]> = Object.fromEntries(
  [...Object.keys(VARIANTS), "plain apply", "plain apply, seeded"].map((name) => [name, []]),
);
let proof: Proof | undefined;
for (let run = 0; run < RUNS; run++) {
  const [startMs, cluster] = await timed(() => startThrowaway(bin));
  clusterStarts.push(startMs);
  try {
    const config = cluster.config as { host: string; port: number; user: string; database: string };
    const url = `postgres://${config.user}@${config.host}:${config.port}/${config.database}`;
    const onFresh = async <T>(
      work: (config: pg.ClientConfig) => Promise<T>,
    ): Promise<[number, T]> => {
      const database = await freshDatabase(url);
      try {
        return await timed(() => work(database.config));
      } finally {
        await database.remove();
      }
    };
    for (const [name, variant] of Object.entries(VARIANTS)) {
      const [ms, result] = await onFresh((db) => runProof(db, { base, ...variant }));
      times[name]?.push(ms);
      if (name === "full") proof = result;
    }
    times["plain apply"]?.push((await onFresh((db) => plainApply(db, [...base, ...changes])))[0]);
    // Plain apply on seeded tables: the base, the proof's own seeding, then the 20 statements.
    const [, seededMs] = await onFresh(async (db) => {
      await runProof(db, { base, seedRows: SEED_ROWS, changes: [], oldQueries: [] });
      return (await timed(() => plainApply(db, changes)))[0];
    });
    times["plain apply, seeded"]?.push(seededMs);
  } finally {
    clusterRemovals.push((await timed(() => cluster.remove()))[0]);
  }
}

const m = (name: string) => median(times[name] ?? []);
const phases: [string, number][] = [
  ["start the throwaway cluster (initdb, pg_ctl start)", median(clusterStarts)],
  [`apply the base's ${BASE.length} migrations`, m("base")],
  [`seed ${SEED_ROWS.toLocaleString("en")} rows per table`, m("seeded") - m("base")],
  [
    `old-version queries on the base (${OLD_QUERIES.length})`,
    m("old queries on the base") - m("seeded"),
  ],
  [
    `the ${CHANGES.length} statements with locks, rewrites, scans`,
    m("statements, no old queries") - m("seeded"),
  ],
  [
    `old-version queries after each statement`,
    m("full") - m("statements, no old queries") - (m("old queries on the base") - m("seeded")),
  ],
  ["stop and remove the cluster", median(clusterRemovals)],
];
const total = phases.reduce((sum, [, ms]) => sum + ms, 0);
console.log(
  `migrations-proof: a ${CHANGES.length}-migration pull request on ${BASE.length} tables, ` +
    `${SEED_ROWS.toLocaleString("en")} rows each, ${OLD_QUERIES.length} old-version queries; ` +
    `median of ${RUNS} runs (each variant on a fresh database), node ${process.version}`,
);
console.log("  phase                                                  median ms");
for (const [name, ms] of phases) console.log(`  ${name.padEnd(55)}${ms.toFixed(0).padStart(8)}`);
console.log(`  ${"total".padEnd(55)}${total.toFixed(0).padStart(8)}`);
const statementsMs = m("statements, no old queries") - m("seeded");
console.log(
  `  baseline: the ${CHANGES.length} statements applied plainly on the seeded tables, ` +
    `${m("plain apply, seeded").toFixed(0)} ms; measured, ${statementsMs.toFixed(0)} ms ` +
    `(${(statementsMs / m("plain apply, seeded")).toFixed(2)}x); base + statements plainly on empty tables, ` +
    `${m("plain apply").toFixed(0)} ms`,
);
if (proof) {
  console.log(
    "  per statement (the full proof's last run): ms, lock, rewritten, rows scanned, old queries broken",
  );
  for (const statement of proof.statements) {
    const lock = statement.outsideTransaction
      ? "(outside a transaction)"
      : statement.locks.map((lock) => `${lock.table}: ${lock.mode}`).join(", ") || "none";
    const rewritten = statement.rewritten.map((r) => `${r.table} ${r.rows}`).join(", ") || "-";
    console.log(
      `    ${statement.durationMs.toFixed(1).padStart(7)}  ${statement.sql.slice(0, 56).padEnd(56)}  ${lock}; ` +
        `rewritten ${rewritten}; scanned ${statement.rowsScanned}; broken ${statement.broken.length}` +
        (statement.error ? `; error ${statement.error}` : ""),
    );
  }
}

/** The bundle end to end on the same pull request, as a runner runs it (its own cluster each run). */
async function bundle(): Promise<void> {
  const entry = join(root, "actions", "migration-check", "dist", "index.js");
  if (!existsSync(entry))
    return console.log("  (no actions/migration-check/dist: build it to time the bundle)");
  const dir = await mkdtemp(join(tmpdir(), "bench-proof-"));
  try {
    await mkdir(join(dir, "db", "migrations"), { recursive: true });
    for (const file of [...base, ...changes]) await writeFile(join(dir, file.file), file.source);
    await writeFile(join(dir, "db", "old-queries.sql"), OLD_QUERIES.map((q) => `${q};`).join("\n"));
    const outputs = {
      GITHUB_OUTPUT: join(dir, "output"),
      GITHUB_STEP_SUMMARY: join(dir, "summary"),
    };
    const env = {
      PATH: process.env.PATH,
      GITHUB_WORKSPACE: dir,
      ...outputs,
      INPUT_PATH: "db/migrations",
      "INPUT_CHANGED-FILES": changes.map((file) => file.file).join("\n"),
      "INPUT_OLD-QUERIES": "db/old-queries.sql",
      "INPUT_SEED-ROWS": String(SEED_ROWS),
      "INPUT_FAIL-ON": "never",
    };
    const walls: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const path of Object.values(outputs)) await writeFile(path, "");
      const [ms, result] = await timed(async () =>
        spawnSync(process.execPath, [entry], {
          cwd: dir,
          env,
          stdio: ["ignore", "ignore", "pipe"],
        }),
      );
      if (result.status !== 0)
        throw new Error(`the bundle exited ${result.status}: ${result.stderr}`);
      walls.push(ms);
    }
    console.log(
      `  the bundle end to end (lint, its own cluster, the proof, report), median of ${RUNS}: ` +
        `${median(walls).toFixed(0)} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await bundle();
