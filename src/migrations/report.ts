// The verdict of each statement and of the pull request from the static findings and the proof
// (down migrations included), as the report JSON and the job summary table (also the comment).
import { code, escapeCell, raw, table } from "../shared/markdown.js";
import { blocksWrites, lockRank, LOCK_MODES } from "./locks.js";
import type { ParsedFile } from "./parse.js";
import type {
  LockHeld,
  LockTimeoutProbe,
  Proof,
  QueryBroken,
  StatementProof,
  Verification,
} from "./proof.js";
import type { Finding } from "./rules.js";

export type Verdict = "safe" | "warning" | "unsafe" | "error";
const RANK: Record<Verdict, number> = { safe: 0, warning: 1, unsafe: 2, error: 3 };
export const worst = (verdicts: Verdict[]): Verdict =>
  verdicts.reduce<Verdict>((a, b) => (RANK[b] > RANK[a] ? b : a), "safe");
export const atLeast = (verdict: Verdict, level: Verdict) => RANK[verdict] >= RANK[level];

export interface StatementRow {
  /** up: the pull request's migration; down: its down migration, applied after every up. */
  direction: "up" | "down";
  file: string;
  line: number;
  sql: string;
  /** The strongest lock the statement held, per table ("users: AccessExclusiveLock"). */
  lock: string;
  /** Every table lock it held (mode per table), as pg_locks showed them while it ran. */
  locks: LockHeld[];
  /** How long it held them: the statement and its commit, in ms. */
  lockHeldMs: number;
  /** The lock_timeout in force when it ran, in ms (0: none). */
  lockTimeoutMs: number;
  lockTimeoutProbe?: LockTimeoutProbe;
  rowsRewritten: number;
  rowsScanned: number;
  durationMs: number;
  oldQueriesBroken: string[];
  findings: string[];
  verdict: Verdict;
  reasons: string[];
  /** Where PostgreSQL's error points, when the statement failed. */
  errorAt?: { file: string; line: number; column: number };
}

export interface MigrationReport {
  result: "safe" | "unsafe" | "error";
  /** The worst verdict, warnings included (what fail-on compares). */
  level: Verdict;
  migrations: { path: string; status: string }[];
  statements: StatementRow[];
  findings: Finding[];
  proof?: Pick<Proof, "seeded" | "invalidOnBase"> & { database: string };
  /** The down migrations: whether they ran, and the previous version's queries failing after them. */
  down?: { ran: boolean; oldQueriesBroken: string[] };
  /** sqitch's verify scripts after their changes: one that fails is an error. */
  verified?: Verification[];
  error?: string;
}

function strongestLocks(proof: StatementProof | undefined): {
  label: string;
  blocksWrites: boolean;
} {
  if (!proof) return { label: "not proven", blocksWrites: false };
  if (proof.outsideTransaction)
    return { label: "not measured (runs outside a transaction)", blocksWrites: false };
  const byTable = new Map<string, number>();
  for (const lock of proof.locks)
    byTable.set(lock.table, Math.max(byTable.get(lock.table) ?? -1, lockRank(lock.mode)));
  const modes = [...byTable].map(([name, rank]) => [name, LOCK_MODES[rank] ?? "?"] as const);
  const label = modes.map(([name, mode]) => `${name}: ${mode}`).join(", ") || "none";
  return { label, blocksWrites: modes.some(([, mode]) => blocksWrites(mode)) };
}

const ms = (value: number) => Math.round(value * 10) / 10;
const brokenText = (broken: QueryBroken) => `${broken.query} (${broken.error})`;

function proofReasons(proof: StatementProof | undefined, blocksWrites: boolean): string[] {
  if (!proof) return [];
  const reasons: string[] = [];
  if (proof.error) reasons.push(`PostgreSQL: ${proof.error}`);
  if (proof.broken.length)
    reasons.push(`breaks ${proof.broken.length} of the previous version's queries`);
  for (const table of proof.rewritten) reasons.push(`rewrote ${table.table} (${table.rows} rows)`);
  if (blocksWrites && proof.rowsScanned > 0)
    reasons.push(`read ${proof.rowsScanned} rows while holding a lock that blocks writes`);
  const probe = proof.lockTimeoutProbe;
  if (probe && !probe.honoured)
    reasons.push(
      `lock_timeout ${ms(proof.lockTimeoutMs)} ms not honoured behind a ${probe.heldBy} on ` +
        `${probe.table}: ${probe.outcome} after ${ms(probe.waitedMs)} ms`,
    );
  return reasons;
}

function rowOf(
  file: ParsedFile,
  index: number,
  findings: Finding[],
  direction: StatementRow["direction"],
  proof?: StatementProof,
): StatementRow {
  const statement = file.statements[index];
  const own = findings.filter(
    (f) =>
      f.at.file === file.file &&
      f.statement === index &&
      !f.suppressed &&
      (f.direction ?? "up") === direction,
  );
  const lock = strongestLocks(proof);
  const reasons = [...proofReasons(proof, lock.blocksWrites), ...own.map((f) => f.message)];
  const dynamic: Verdict = proof?.error ? "error" : reasons.length > own.length ? "unsafe" : "safe";
  return {
    direction,
    file: file.file,
    line: statement?.at.line ?? 1,
    sql: statement?.text ?? "",
    lock: lock.label,
    locks: proof?.locks ?? [],
    lockHeldMs: ms(proof?.lockHeldMs ?? 0),
    lockTimeoutMs: proof?.lockTimeoutMs ?? 0,
    ...(proof?.lockTimeoutProbe
      ? {
          lockTimeoutProbe: {
            ...proof.lockTimeoutProbe,
            waitedMs: ms(proof.lockTimeoutProbe.waitedMs),
          },
        }
      : {}),
    rowsRewritten: proof?.rewritten.reduce((sum, t) => sum + t.rows, 0) ?? 0,
    rowsScanned: proof?.rowsScanned ?? 0,
    durationMs: ms(proof?.durationMs ?? 0),
    oldQueriesBroken: proof?.broken.map(brokenText) ?? [],
    findings: own.map((f) => f.rule),
    verdict: worst([dynamic, ...own.map((f) => f.level)]),
    reasons,
    ...(proof?.errorAt ? { errorAt: proof.errorAt } : {}),
  };
}

function rowsOf(
  files: readonly ParsedFile[],
  findings: Finding[],
  direction: StatementRow["direction"],
  proven: readonly StatementProof[] | undefined,
): StatementRow[] {
  return files.flatMap((file) =>
    file.statements
      .filter((s) => !("TransactionStmt" in s.node))
      .map((s) => {
        const proof = proven?.find((p) => p.at.file === file.file && p.statement === s.index);
        return rowOf(file, s.index, findings, direction, proof);
      }),
  );
}

export function buildReport(input: {
  migrations: MigrationReport["migrations"];
  files: readonly ParsedFile[];
  findings: Finding[];
  proof?: Proof & { database: string };
  /** The down migrations, in the order they run (their findings carry direction "down"). */
  downFiles?: readonly ParsedFile[];
}): MigrationReport {
  const { proof } = input;
  const statements = [
    ...rowsOf(input.files, input.findings, "up", proof?.statements),
    ...rowsOf(input.downFiles ?? [], input.findings, "down", proof?.down?.statements),
  ];
  const stray = input.findings
    .filter((f) => f.rule === "suppression-without-reason")
    .map((f) => f.level);
  const invalid = proof?.invalidOnBase.length ? ["error" as Verdict] : [];
  const down = proof?.down
    ? { ran: proof.down.ran, oldQueriesBroken: proof.down.broken.map(brokenText) }
    : undefined;
  const downBroken = down?.oldQueriesBroken.length ? ["unsafe" as Verdict] : [];
  const unverified = proof?.verified?.some((v) => v.error) ? ["error" as Verdict] : [];
  const level = worst([
    ...statements.map((s) => s.verdict),
    ...stray,
    ...invalid,
    ...downBroken,
    ...unverified,
  ]);
  return {
    result: level === "warning" ? "safe" : level,
    level,
    migrations: input.migrations,
    statements,
    findings: input.findings,
    ...(proof
      ? {
          proof: {
            seeded: proof.seeded,
            invalidOnBase: proof.invalidOnBase,
            database: proof.database,
          },
        }
      : {}),
    ...(down ? { down } : {}),
    ...(proof?.verified ? { verified: proof.verified } : {}),
  };
}

const MARK: Record<Verdict, string> = {
  safe: "✅ safe",
  warning: "⚠️ warning",
  unsafe: "❌ unsafe",
  error: "💥 error",
};

/** SQL from a file as inline code: no markdown, HTML or mention inside it is rendered. */
function sqlCell(sql: string, max = 80): string {
  const flat = sql.replace(/\s+/g, " ");
  return code(flat.length > max ? `${flat.slice(0, max)}…` : flat).replace(/\|/g, "\\|");
}

function lockCell(row: StatementRow): string {
  const lines = [escapeCell(row.lock)];
  if (row.locks.length > 0) lines.push(`held ${row.lockHeldMs} ms`);
  const probe = row.lockTimeoutProbe;
  if (probe)
    lines.push(
      probe.honoured
        ? `lock_timeout ${row.lockTimeoutMs} ms: gave up after ${probe.waitedMs} ms behind a ${probe.heldBy}`
        : `⚠️ lock_timeout ${row.lockTimeoutMs} ms not honoured (${escapeCell(probe.outcome)})`,
    );
  else if (row.locks.some((lock) => blocksWrites(lock.mode)) && row.lockTimeoutMs === 0)
    lines.push("no lock_timeout: would queue behind any conflicting transaction");
  return lines.join("<br>");
}

function statementTable(rows: readonly StatementRow[]): string {
  return table(
    ["Statement", "Lock", "Rows rewritten / scanned", "Old-version queries broken", "Verdict"],
    rows.map((s) => [
      raw(`${escapeCell(s.file)}:${s.line}<br>${sqlCell(s.sql)}`),
      raw(lockCell(s)),
      `${s.rowsRewritten} / ${s.rowsScanned}`,
      raw(
        s.oldQueriesBroken.length
          ? s.oldQueriesBroken.map((text) => sqlCell(text, 200)).join("<br>")
          : "0",
      ),
      raw(
        `${MARK[s.verdict]}${s.reasons.length ? `<br>${s.reasons.map(escapeCell).join("<br>")}` : ""}`,
      ),
    ]),
  );
}

export function renderSummary(report: MigrationReport): string {
  const heading = `## migration-check: ${MARK[report.result]}`;
  if (report.migrations.length === 0)
    return `${heading}\n\nThe pull request adds or changes no migration.\n`;
  const ups = report.statements.filter((s) => s.direction === "up");
  const downs = report.statements.filter((s) => s.direction === "down");
  const lines = [heading, "", statementTable(ups)];
  if (report.verified?.length)
    lines.push(
      "",
      "sqitch verify scripts, each run after its change:",
      ...report.verified.map((check) =>
        check.error
          ? `- 💥 ${escapeCell(check.file)}: ${escapeCell(check.error)}`
          : `- ✅ ${escapeCell(check.file)}`,
      ),
    );
  if (downs.length > 0 || report.down) {
    lines.push("", "### Down migrations");
    if (report.down && !report.down.ran)
      lines.push("", "Not applied: an up migration failed first.");
    if (downs.length > 0) lines.push("", statementTable(downs));
    if (report.down?.ran) {
      const broken = report.down.oldQueriesBroken;
      lines.push(
        "",
        broken.length === 0
          ? "After the down migrations, every one of the previous version's queries works."
          : `After the down migrations, ${broken.length} of the previous version's queries fail:`,
        ...broken.map((text) => `- ${sqlCell(text, 300)}`),
      );
    }
  }
  if (report.proof) {
    const seeded = report.proof.seeded.map(
      (t) => `${t.table} (${t.rows}${t.skipped ? `, ${t.skipped}` : ""})`,
    );
    lines.push(
      "",
      `Proven on ${escapeCell(report.proof.database)}; seeded: ${escapeCell(seeded.join(", ")) || "no tables"}.`,
    );
    for (const query of report.proof.invalidOnBase)
      lines.push(
        `- old-version query fails before the migration already: ${sqlCell(`${query.query} (${query.error})`, 300)}`,
      );
  }
  return `${lines.join("\n")}\n`;
}
