// Lint of 1,000 migration files (a generated, seeded corpus: a realistic mix of statements, some
// that the rules flag) through migration-check's own path, parse (statements, positions, comments)
// then every rule, against PostgreSQL's bare parse of the same files by libpg-query, measured in the
// same run: the ratio is what the rules and positions add. Then whole processes, as a runner starts
// them: the bundle with proof false against squawk's CLI on the same files when squawk is installed
// (SQUAWK=path, or node_modules/.bin/squawk; `npm install squawk-cli` brings its binary from npm).
// Target: seconds, not minutes, for the corpus (squawk's class). Run: npm run bench -- migrations-lint
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadParser, parseSqlFile } from "../../src/migrations/parse.js";
import { lintMigrations } from "../../src/migrations/rules.js";

const FILES = 1000;
const WARMUP = 2;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PROCESS_RUNS = 3;
const TARGET_MS = 10_000;
const root = new URL("../..", import.meta.url).pathname;

/** Lehmer 48271: the same corpus on every run and machine. */
function uniforms(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}
const next = uniforms(16_2026);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
/** Tables of the base branch, which the corpus's statements change. */
const EXISTING = [
  "accounts",
  "customers",
  "orders",
  "order_items",
  "invoices",
  "payments",
  "events",
];

const NEW_TABLE_COLUMNS = `
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL,
  name text NOT NULL,
  status varchar(32) NOT NULL DEFAULT 'new',
  amount numeric(12, 2),
  created_at timestamptz NOT NULL DEFAULT now()
`;

/**
 * The statements a migration draws from, with the weights a service's history has: mostly additive
 * changes, some of the classic mistakes the rules are for.
 */
function statementMenu(n: number, created: string[]): [number, () => string][] {
  // Mostly the tables the base branch has; now and then one this corpus created.
  const table = () => (created.length > 0 && next() < 0.15 ? pick(created) : pick(EXISTING));
  const column = `c${n}`;
  return [
    [
      4,
      () => {
        const name = `t${n}_${created.length}`;
        created.push(name);
        return `CREATE TABLE ${name} (${NEW_TABLE_COLUMNS})`;
      },
    ],
    [14, () => `ALTER TABLE ${table()} ADD COLUMN ${column} text`],
    [8, () => `ALTER TABLE ${table()} ADD COLUMN ${column}_flag boolean NOT NULL DEFAULT false`],
    [3, () => `ALTER TABLE ${table()} ADD COLUMN ${column}_n integer NOT NULL`],
    [
      10,
      () =>
        `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${column}_idx ON ${table()} (account_id, created_at DESC)`,
    ],
    [3, () => `CREATE INDEX ${column}_status ON ${table()} (status)`],
    [
      5,
      () => {
        const t = table();
        const fk = `FOREIGN KEY (account_id) REFERENCES accounts (id)`;
        return `ALTER TABLE ${t} ADD CONSTRAINT ${column}_fk ${fk} NOT VALID;
ALTER TABLE ${t} VALIDATE CONSTRAINT ${column}_fk`;
      },
    ],
    [
      2,
      () =>
        `ALTER TABLE ${table()} ADD CONSTRAINT ${column}_fk2 FOREIGN KEY (account_id) REFERENCES accounts (id)`,
    ],
    [
      4,
      () =>
        `ALTER TABLE ${table()} ADD CONSTRAINT ${column}_positive CHECK (amount >= 0) NOT VALID`,
    ],
    [2, () => `ALTER TABLE ${table()} ALTER COLUMN amount TYPE numeric(14, 2)`],
    [2, () => `ALTER TABLE ${table()} ALTER COLUMN name SET NOT NULL`],
    [1, () => `ALTER TABLE ${table()} RENAME COLUMN name TO display_name`],
    [
      2,
      () =>
        `-- migration-check:ignore dropping-column ${column} was never read by a released version\n` +
        `ALTER TABLE ${table()} DROP COLUMN IF EXISTS legacy_${n}`,
    ],
    [1, () => `ALTER TABLE ${table()} DROP COLUMN status`],
    [
      8,
      () =>
        `UPDATE ${table()} SET amount = 0 WHERE amount IS NULL AND id BETWEEN ${n * 1000} AND ${n * 1000 + 999}`,
    ],
    [
      3,
      () => `CREATE OR REPLACE FUNCTION touch_${n}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := coalesce(NEW.created_at, now());
  RETURN NEW;
END $$;
CREATE TRIGGER touch_${n} BEFORE INSERT ON ${table()} FOR EACH ROW EXECUTE FUNCTION touch_${n}()`,
    ],
    [
      4,
      () =>
        `CREATE OR REPLACE VIEW v_${n} AS SELECT id, name, amount FROM ${table()} WHERE status <> 'deleted'`,
    ],
    [4, () => `COMMENT ON COLUMN ${table()}.amount IS 'in the account''s currency'`],
    [
      3,
      () =>
        `INSERT INTO ${table()} (account_id, name) VALUES (1, 'seed ${n}'), (2, 'seed ${n + 1}')`,
    ],
  ];
}

/** One migration file: a comment, mostly a lock_timeout, then two to eight drawn statements. */
function migration(n: number, created: string[]): string {
  const statements = statementMenu(n, created);
  const total = statements.reduce((sum, [weight]) => sum + weight, 0);
  const draw = () => {
    let at = next() * total;
    for (const [weight, make] of statements) if ((at -= weight) < 0) return make();
    return (statements[0] as [number, () => string])[1]();
  };
  const body = [`-- Migration ${n}: generated for the lint benchmark.`];
  if (next() < 0.9) body.push("SET lock_timeout = '2s';");
  const count = 2 + Math.floor(next() * 7);
  for (let i = 0; i < count; i++) body.push(`${draw()};`);
  return `${body.join("\n\n")}\n`;
}

function corpus(): { path: string; sql: string }[] {
  const created: string[] = [];
  const files: { path: string; sql: string }[] = [];
  for (let n = 1; n <= FILES; n++)
    files.push({
      path: `migrations/${String(n).padStart(4, "0")}_change.sql`,
      sql: migration(n, created),
    });
  return files;
}

const gc = (globalThis as { gc?: () => void }).gc;
const median = (samples: number[]): number =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;

async function time<T>(run: () => Promise<T>): Promise<[number, T]> {
  gc?.();
  const start = process.hrtime.bigint();
  const result = await run();
  return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

const files = corpus();
const bytes = files.reduce((sum, file) => sum + Buffer.byteLength(file.sql), 0);
const parser = await loadParser();
const ours = async () => {
  const parsed = await Promise.all(files.map((file) => parseSqlFile(file.path, file.sql)));
  return { parsed, findings: lintMigrations(parsed) };
};
const bare = () => Promise.all(files.map((file) => parser.parse(file.sql)));
/** The parser's two passes that parseSqlFile makes (the tree, and the tokens for comments). */
const bareTwice = () =>
  Promise.all(
    files.map(async (file) => [await parser.parse(file.sql), await parser.scan(file.sql)]),
  );

const lintTimes: number[] = [];
const parseTimes: number[] = [];
const scanTimes: number[] = [];
let last: Awaited<ReturnType<typeof ours>> | undefined;
for (let run = 0; run < WARMUP + RUNS; run++) {
  const [parseMs] = await time(bare);
  const [scanMs] = await time(bareTwice);
  const [lintMs, result] = await time(ours);
  if (run >= WARMUP) {
    parseTimes.push(parseMs);
    scanTimes.push(scanMs);
    lintTimes.push(lintMs);
  }
  last = result;
}
const statements = last?.parsed.reduce((sum, file) => sum + file.statements.length, 0) ?? 0;
const findings = last?.findings ?? [];
const active = findings.filter((finding) => !finding.suppressed);
const flagged = new Set(active.map((finding) => finding.at.file)).size;
const byRule = new Map<string, number>();
for (const finding of active) byRule.set(finding.rule, (byRule.get(finding.rule) ?? 0) + 1);

const [lint, parse, scan] = [median(lintTimes), median(parseTimes), median(scanTimes)];
console.log(
  `migrations-lint: ${FILES.toLocaleString("en")} generated migration files, ` +
    `${statements.toLocaleString("en")} statements, ${(bytes / 1024).toFixed(0)} KiB; ` +
    `median of ${RUNS} runs after ${WARMUP} warm-up runs, node ${process.version}`,
);
console.log(
  `  findings: ${active.length} (${active.filter((f) => f.level === "unsafe").length} unsafe) in ${flagged} files, ` +
    `${findings.length - active.length} suppressed; ` +
    [...byRule]
      .sort((a, b) => b[1] - a[1])
      .map(([rule, count]) => `${rule} ${count}`)
      .join(", "),
);
const row = (name: string, ms: number, ratio = "") =>
  console.log(
    `  ${name.padEnd(48)}${ms.toFixed(0).padStart(8)}${(FILES / (ms / 1000)).toFixed(0).padStart(10)}${ratio}`,
  );
console.log(
  "  in process                                       median ms   files/s   ratio to the bare parse",
);
row("libpg-query parse alone (baseline)", parse);
row("libpg-query parse + scan (both passes)", scan, `   ${(scan / parse).toFixed(2)}x`);
row(
  "migration-check: parse, scan, positions, rules",
  lint,
  `   ${(lint / parse).toFixed(2)}x (${(lint / scan).toFixed(2)}x the two passes); ` +
    `${lint <= TARGET_MS ? "met" : "over"} target < ${TARGET_MS / 1000} s`,
);

/** Whole processes on the corpus written to disk: the bundle as a runner starts it, squawk's CLI. */
async function processes(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bench-migrations-"));
  try {
    await mkdir(join(dir, "migrations"));
    await Promise.all(files.map((file) => writeFile(join(dir, file.path), file.sql)));
    const outputs = Object.fromEntries(
      ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"].map((name) => [name, join(dir, name.toLowerCase())]),
    );
    const wall = (command: string, args: string[], env: NodeJS.ProcessEnv): number => {
      for (const path of Object.values(outputs)) spawnSync("truncate", ["-s", "0", path]);
      const start = process.hrtime.bigint();
      const result = spawnSync(command, args, {
        cwd: dir,
        env,
        stdio: ["ignore", "ignore", "pipe"],
        maxBuffer: 1 << 28,
      });
      if (result.status === null || (result.status !== 0 && command === process.execPath))
        throw new Error(`${command} exited ${result.status}: ${result.stderr}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const bundle = join(root, "actions", "migration-check", "dist", "index.js");
    const rows: [string, number][] = [];
    rows.push([
      "node -e 0 (process start alone)",
      median(Array.from({ length: PROCESS_RUNS }, () => wall(process.execPath, ["-e", "0"], {}))),
    ]);
    if (existsSync(bundle)) {
      const env = {
        PATH: process.env.PATH,
        GITHUB_WORKSPACE: dir,
        ...outputs,
        INPUT_PATH: "migrations",
        "INPUT_CHANGED-FILES": files.map((file) => file.path).join("\n"),
        INPUT_PROOF: "false",
        "INPUT_FAIL-ON": "never",
      };
      rows.push([
        "migration-check bundle, proof false",
        median(Array.from({ length: PROCESS_RUNS }, () => wall(process.execPath, [bundle], env))),
      ]);
    } else console.log("  (no actions/migration-check/dist: build it to time the bundle)");
    const squawk =
      process.env.SQUAWK ??
      [join(root, "node_modules", ".bin", "squawk")].find((path) => existsSync(path));
    if (squawk) {
      const version = spawnSync(squawk, ["--version"], { encoding: "utf8" }).stdout.trim();
      const paths = files.map((file) => file.path);
      rows.push([
        `${version} CLI (reporter gcc)`,
        median(
          Array.from({ length: PROCESS_RUNS }, () =>
            wall(squawk, ["--reporter", "gcc", ...paths], { PATH: process.env.PATH }),
          ),
        ),
      ]);
    } else
      console.log(
        "  squawk not installed: `npm install --no-save squawk-cli` (its binary comes from npm, " +
          "in @squawk-cli/<platform>) or SQUAWK=path to compare",
      );
    console.log(
      `  whole process, median of ${PROCESS_RUNS}                          wall ms   files/s`,
    );
    for (const [name, ms] of rows)
      if (name.startsWith("node")) console.log(`  ${name.padEnd(48)}${ms.toFixed(0).padStart(8)}`);
      else row(name, ms);
  } finally {
    if (process.env.BENCH_KEEP_CORPUS) console.log(`  corpus kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await processes();
