// The verdict of each statement and of the pull request from the static findings and the proof,
// as the report JSON and the job summary table.
import { escapeCell, raw, table } from "../shared/markdown.js";
import type { ParsedFile } from "./parse.js";
import type { Proof, StatementProof } from "./proof.js";
import type { Finding } from "./rules.js";

export type Verdict = "safe" | "warning" | "unsafe" | "error";
const RANK: Record<Verdict, number> = { safe: 0, warning: 1, unsafe: 2, error: 3 };
export const worst = (verdicts: Verdict[]): Verdict =>
  verdicts.reduce<Verdict>((a, b) => (RANK[b] > RANK[a] ? b : a), "safe");
export const atLeast = (verdict: Verdict, level: Verdict) => RANK[verdict] >= RANK[level];

const LOCKS = [
  "AccessShareLock",
  "RowShareLock",
  "RowExclusiveLock",
  "ShareUpdateExclusiveLock",
  "ShareLock",
  "ShareRowExclusiveLock",
  "ExclusiveLock",
  "AccessExclusiveLock",
];
const BLOCKS_WRITES = LOCKS.indexOf("ShareLock");

export interface StatementRow {
  file: string;
  line: number;
  sql: string;
  /** The strongest lock the statement held, per table ("users: AccessExclusiveLock"). */
  lock: string;
  rowsRewritten: number;
  rowsScanned: number;
  durationMs: number;
  oldQueriesBroken: string[];
  findings: string[];
  verdict: Verdict;
  reasons: string[];
}

export interface MigrationReport {
  result: "safe" | "unsafe" | "error";
  /** The worst verdict, warnings included (what fail-on compares). */
  level: Verdict;
  migrations: { path: string; status: string }[];
  statements: StatementRow[];
  findings: Finding[];
  proof?: Pick<Proof, "seeded" | "invalidOnBase"> & { database: string };
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
    byTable.set(lock.table, Math.max(byTable.get(lock.table) ?? -1, LOCKS.indexOf(lock.mode)));
  const label =
    [...byTable].map(([name, rank]) => `${name}: ${LOCKS[rank] ?? "?"}`).join(", ") || "none";
  return { label, blocksWrites: [...byTable.values()].some((rank) => rank >= BLOCKS_WRITES) };
}

function proofReasons(proof: StatementProof | undefined, blocksWrites: boolean): string[] {
  if (!proof) return [];
  const reasons: string[] = [];
  if (proof.error) reasons.push(`PostgreSQL: ${proof.error}`);
  if (proof.broken.length)
    reasons.push(`breaks ${proof.broken.length} of the previous version's queries`);
  for (const table of proof.rewritten) reasons.push(`rewrote ${table.table} (${table.rows} rows)`);
  if (blocksWrites && proof.rowsScanned > 0)
    reasons.push(`read ${proof.rowsScanned} rows while holding a lock that blocks writes`);
  return reasons;
}

function rowOf(
  file: ParsedFile,
  index: number,
  findings: Finding[],
  proof?: StatementProof,
): StatementRow {
  const statement = file.statements[index];
  const own = findings.filter(
    (f) => f.at.file === file.file && f.statement === index && !f.suppressed,
  );
  const lock = strongestLocks(proof);
  const reasons = [...proofReasons(proof, lock.blocksWrites), ...own.map((f) => f.message)];
  const dynamic: Verdict = proof?.error ? "error" : reasons.length > own.length ? "unsafe" : "safe";
  return {
    file: file.file,
    line: statement?.at.line ?? 1,
    sql: statement?.text ?? "",
    lock: lock.label,
    rowsRewritten: proof?.rewritten.reduce((sum, t) => sum + t.rows, 0) ?? 0,
    rowsScanned: proof?.rowsScanned ?? 0,
    durationMs: Math.round((proof?.durationMs ?? 0) * 10) / 10,
    oldQueriesBroken: proof?.broken.map((b) => `${b.query} (${b.error})`) ?? [],
    findings: own.map((f) => f.rule),
    verdict: worst([dynamic, ...own.map((f) => f.level)]),
    reasons,
  };
}

export function buildReport(input: {
  migrations: MigrationReport["migrations"];
  files: readonly ParsedFile[];
  findings: Finding[];
  proof?: Proof & { database: string };
}): MigrationReport {
  const { proof } = input;
  const statements = input.files.flatMap((file) =>
    file.statements
      .filter((s) => !("TransactionStmt" in s.node))
      .map((s) => {
        const proven = proof?.statements.find(
          (p) => p.at.file === file.file && p.statement === s.index,
        );
        return rowOf(file, s.index, input.findings, proven);
      }),
  );
  const stray = input.findings
    .filter((f) => f.rule === "suppression-without-reason")
    .map((f) => f.level);
  const invalid = proof?.invalidOnBase.length ? ["error" as Verdict] : [];
  const level = worst([...statements.map((s) => s.verdict), ...stray, ...invalid]);
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
  };
}

const MARK: Record<Verdict, string> = {
  safe: "✅ safe",
  warning: "⚠️ warning",
  unsafe: "❌ unsafe",
  error: "💥 error",
};

export function renderSummary(report: MigrationReport): string {
  const heading = `## migration-check: ${MARK[report.result]}`;
  if (report.migrations.length === 0)
    return `${heading}\n\nThe pull request adds or changes no migration.\n`;
  const rows = report.statements.map((s) => [
    raw(
      `${escapeCell(s.file)}:${s.line}<br>${escapeCell(s.sql.length > 80 ? `${s.sql.slice(0, 80)}…` : s.sql)}`,
    ),
    s.lock,
    String(s.rowsRewritten),
    raw(s.oldQueriesBroken.length ? s.oldQueriesBroken.map(escapeCell).join("<br>") : "0"),
    raw(
      `${MARK[s.verdict]}${s.reasons.length ? `<br>${s.reasons.map(escapeCell).join("<br>")}` : ""}`,
    ),
  ]);
  const lines = [
    heading,
    "",
    table(["Statement", "Lock", "Rows rewritten", "Old-version queries broken", "Verdict"], rows),
  ];
  if (report.proof) {
    const seeded = report.proof.seeded.map(
      (t) => `${t.table} (${t.rows}${t.skipped ? `, ${t.skipped}` : ""})`,
    );
    lines.push(
      "",
      `Proven on ${report.proof.database}; seeded: ${seeded.join(", ") || "no tables"}.`,
    );
    for (const query of report.proof.invalidOnBase)
      lines.push(
        `- old-version query fails before the migration already: ${query.query} (${query.error})`,
      );
  }
  return `${lines.join("\n")}\n`;
}
