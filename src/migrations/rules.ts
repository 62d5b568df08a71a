// The static rules over PostgreSQL's parse tree: each statement of the pull request's migrations, in
// order, against what came before it (tables the pull request creates, lock_timeout, transactions).
import type {
  AlterTableCmd,
  AlterTableStmt,
  ColumnDef,
  Constraint,
  Node,
  RangeVar,
  TypeName,
} from "libpg-query";
import type { SourcePosition } from "../shared/errors.js";
import type { ParsedFile, Statement } from "./parse.js";
import { RULES, type RuleId, type RuleKind, type RuleLevel } from "./rule-table.js";
import { readSuppressions, type Suppression } from "./suppressions.js";

export interface Finding {
  rule: RuleId | "suppression-without-reason";
  level: RuleLevel;
  kind: RuleKind | "suppression";
  at: Required<SourcePosition>;
  /** 0-based index of the statement in its file. */
  statement: number;
  message: string;
  /** The reason given by the suppression that silences it. */
  suppressed?: string;
  /** Found in a down migration (absent: the up). */
  direction?: "down";
}

export interface LintOptions {
  /** The migration tool wraps each file in a transaction (CONCURRENTLY then always fails). */
  assumeInTransaction?: boolean;
  /** Per file, whether its tool wraps it in a transaction (dbmate unless transaction:false); overrides the above. */
  inTransaction?: (file: string) => boolean | undefined;
}

/** What the rules know while walking the files in order. */
interface Walk {
  /** Tables the pull request creates: empty, so locking them harms no one. */
  created: Set<string>;
  lockTimeout: boolean;
  inTransaction: boolean;
}

interface Hit {
  rule: RuleId;
  /** Byte offset of the offending node, when it has one. */
  location?: number;
  detail: string;
}

const tableName = (relation: RangeVar | undefined): string => relation?.relname ?? "";
const VOLATILE = new Set([
  "random",
  "gen_random_uuid",
  "uuid_generate_v4",
  "clock_timestamp",
  "timeofday",
]);

/** The last name of a type, without pg_catalog (int4, varchar, serial, ...). */
function typeOf(type: TypeName | undefined): string {
  const last = type?.names?.at(-1);
  return last && "String" in last ? (last.String.sval ?? "") : "";
}

function columnTypeHits(column: ColumnDef): Hit[] {
  const type = typeOf(column.typeName);
  const at = column.typeName?.location;
  const name = column.colname ?? "column";
  const hits: Hit[] = [];
  if (["int2", "int4", "serial", "smallserial", "serial4", "serial2"].includes(type))
    hits.push({ rule: "prefer-bigint", location: at, detail: `${name} is ${type}` });
  if (["serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"].includes(type))
    hits.push({ rule: "prefer-identity", location: at, detail: `${name} is ${type}` });
  if (["varchar", "bpchar"].includes(type) && (column.typeName?.typmods?.length ?? 0) > 0)
    hits.push({
      rule: "prefer-text",
      location: at,
      detail: `${name} is ${type === "bpchar" ? "char" : type}(n)`,
    });
  if (type === "timestamp")
    hits.push({ rule: "prefer-timestamptz", location: at, detail: `${name} is timestamp` });
  return hits;
}

const constraintsOf = (column: ColumnDef): Constraint[] =>
  (column.constraints ?? []).flatMap((node) => ("Constraint" in node ? [node.Constraint] : []));

function isVolatile(expression: Node | undefined): boolean {
  if (!expression || !("FuncCall" in expression)) return false;
  const name = expression.FuncCall.funcname?.at(-1);
  return !!name && "String" in name && VOLATILE.has(name.String.sval ?? "");
}

function addColumnHits(column: ColumnDef, table: string): Hit[] {
  const constraints = constraintsOf(column);
  const fallback = constraints.find((c) => c.contype === "CONSTR_DEFAULT");
  const name = `${table}.${column.colname ?? ""}`;
  const hits = columnTypeHits(column);
  const notNull = constraints.some(
    (c) => c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY",
  );
  if (notNull && !fallback && !constraints.some((c) => c.contype === "CONSTR_IDENTITY"))
    hits.push({
      rule: "adding-not-null-column",
      location: column.location,
      detail: `${name} is NOT NULL`,
    });
  if (fallback && isVolatile(fallback.raw_expr))
    hits.push({
      rule: "adding-column-volatile-default",
      location: fallback.location,
      detail: name,
    });
  return hits;
}

function constraintHits(constraint: Constraint, table: string): Hit[] {
  const name = constraint.conname ? ` ${constraint.conname}` : "";
  if (
    (constraint.contype === "CONSTR_FOREIGN" || constraint.contype === "CONSTR_CHECK") &&
    !constraint.skip_validation
  )
    return [
      {
        rule: "constraint-missing-not-valid",
        location: constraint.location,
        detail: `${table}${name}`,
      },
    ];
  if (
    (constraint.contype === "CONSTR_PRIMARY" || constraint.contype === "CONSTR_UNIQUE") &&
    !constraint.indexname
  )
    return [
      {
        rule: "adding-unique-constraint",
        location: constraint.location,
        detail: `${table}${name}`,
      },
    ];
  return [];
}

/** One ALTER TABLE subcommand on an existing table. */
function alterHits(cmd: AlterTableCmd, table: string): Hit[] {
  const column = `${table}.${cmd.name ?? ""}`;
  const def = cmd.def;
  switch (cmd.subtype) {
    case "AT_AddColumn":
      return def && "ColumnDef" in def ? addColumnHits(def.ColumnDef, table) : [];
    case "AT_AddConstraint":
      return def && "Constraint" in def ? constraintHits(def.Constraint, table) : [];
    case "AT_SetNotNull":
      return [{ rule: "setting-not-null", detail: column }];
    case "AT_AlterColumnType":
      return [
        {
          rule: "changing-column-type",
          location: def && "ColumnDef" in def ? def.ColumnDef.location : undefined,
          detail: column,
        },
      ];
    case "AT_DropColumn":
      return [{ rule: "dropping-column", detail: column }];
    default:
      return [];
  }
}

function alterTableHits(statement: AlterTableStmt, walk: Walk): Hit[] {
  const table = tableName(statement.relation);
  const cmds = (statement.cmds ?? []).flatMap((n) =>
    "AlterTableCmd" in n ? [n.AlterTableCmd] : [],
  );
  if (walk.created.has(table)) {
    return cmds.flatMap((cmd) =>
      cmd.subtype === "AT_AddColumn" && cmd.def && "ColumnDef" in cmd.def
        ? columnTypeHits(cmd.def.ColumnDef)
        : [],
    );
  }
  return cmds.flatMap((cmd) => alterHits(cmd, table));
}

/** Does the statement lock a table that existed before the pull request (so lock_timeout matters)? */
function locksExisting(node: Node, walk: Walk): { table: string } | undefined {
  const existing = (relation: RangeVar | undefined) =>
    relation && !walk.created.has(tableName(relation)) ? { table: tableName(relation) } : undefined;
  if ("AlterTableStmt" in node) return existing(node.AlterTableStmt.relation);
  if ("RenameStmt" in node) return existing(node.RenameStmt.relation);
  if ("IndexStmt" in node && !node.IndexStmt.concurrent) return existing(node.IndexStmt.relation);
  if ("DropStmt" in node && node.DropStmt.removeType === "OBJECT_TABLE") {
    const names = droppedNames(node.DropStmt.objects);
    const table = names.find((name) => !walk.created.has(name));
    return table ? { table } : undefined;
  }
  return undefined;
}

/** The last name of each object a DROP names (a list of String nodes each). */
function droppedNames(objects: Node[] | undefined): string[] {
  return (objects ?? []).flatMap((object) => {
    if (!("List" in object)) return [];
    const last = object.List.items?.at(-1);
    return last && "String" in last ? [last.String.sval ?? ""] : [];
  });
}

function createHits(node: Node, walk: Walk): Hit[] {
  if ("CreateStmt" in node) {
    walk.created.add(tableName(node.CreateStmt.relation));
    return (node.CreateStmt.tableElts ?? []).flatMap((e) =>
      "ColumnDef" in e ? columnTypeHits(e.ColumnDef) : [],
    );
  }
  if ("IndexStmt" in node) {
    const index = node.IndexStmt;
    const hits: Hit[] = [];
    if (index.concurrent && walk.inTransaction)
      hits.push({
        rule: "concurrently-in-transaction",
        detail: `CREATE INDEX CONCURRENTLY ${index.idxname ?? ""}`,
      });
    if (!index.concurrent && !walk.created.has(tableName(index.relation)))
      hits.push({
        rule: "require-concurrent-index",
        location: index.relation?.location,
        detail: tableName(index.relation),
      });
    return hits;
  }
  return [];
}

function dropAndRenameHits(node: Node, walk: Walk): Hit[] {
  if ("DropStmt" in node) {
    const drop = node.DropStmt;
    if (drop.removeType === "OBJECT_TABLE")
      return droppedNames(drop.objects)
        .filter((name) => !walk.created.has(name))
        .map((name) => ({ rule: "dropping-table", detail: name }) satisfies Hit);
    if (drop.removeType === "OBJECT_INDEX" && drop.concurrent && walk.inTransaction)
      return [{ rule: "concurrently-in-transaction", detail: "DROP INDEX CONCURRENTLY" }];
    if (drop.removeType === "OBJECT_INDEX" && !drop.concurrent)
      return [
        {
          rule: "require-concurrent-index-deletion",
          detail: droppedNames(drop.objects).join(", "),
        },
      ];
  }
  if ("RenameStmt" in node) {
    const rename = node.RenameStmt;
    const table = tableName(rename.relation);
    if (walk.created.has(table)) return [];
    if (rename.renameType === "OBJECT_COLUMN")
      return [
        {
          rule: "renaming-column",
          location: rename.relation?.location,
          detail: `${table}.${rename.subname} -> ${rename.newname}`,
        },
      ];
    if (rename.renameType === "OBJECT_TABLE")
      return [
        {
          rule: "renaming-table",
          location: rename.relation?.location,
          detail: `${table} -> ${rename.newname}`,
        },
      ];
  }
  return [];
}

/** lock_timeout and transaction state after a SET or BEGIN/COMMIT. */
function track(node: Node, walk: Walk): void {
  if ("VariableSetStmt" in node && node.VariableSetStmt.name === "lock_timeout") {
    const value = node.VariableSetStmt.args?.[0];
    const text =
      value && "A_Const" in value
        ? (value.A_Const.sval?.sval ?? String(value.A_Const.ival?.ival ?? 0))
        : "0";
    walk.lockTimeout = node.VariableSetStmt.kind === "VAR_SET_VALUE" && !/^0\D*$/.test(text);
  }
  if ("TransactionStmt" in node) {
    const kind = node.TransactionStmt.kind;
    if (kind === "TRANS_STMT_BEGIN" || kind === "TRANS_STMT_START") walk.inTransaction = true;
    if (kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK") walk.inTransaction = false;
  }
}

function statementHits(statement: Statement, walk: Walk): Hit[] {
  const node = statement.node;
  track(node, walk);
  const locking = locksExisting(node, walk);
  const hits: Hit[] = [
    ...(locking && !walk.lockTimeout
      ? [{ rule: "require-lock-timeout", detail: `locks ${locking.table}` } as Hit]
      : []),
    ...("AlterTableStmt" in node ? alterTableHits(node.AlterTableStmt, walk) : []),
    ...dropAndRenameHits(node, walk),
    ...createHits(node, walk),
  ];
  return hits;
}

function toFinding(
  hit: Hit,
  statement: Statement,
  file: ParsedFile,
  suppressions: Suppression[],
): Finding {
  const rule = RULES[hit.rule];
  const suppression = suppressions.find((s) => s.rules.includes(hit.rule));
  return {
    rule: hit.rule,
    level: rule.level,
    kind: rule.kind,
    at:
      hit.location !== undefined && hit.location >= 0 ? file.position(hit.location) : statement.at,
    statement: statement.index,
    message: `${hit.rule}: ${rule.title} (${hit.detail}). Safe recipe: ${rule.recipe}.`,
    ...(suppression ? { suppressed: suppression.reason } : {}),
  };
}

/**
 * Lints the pull request's migration files, in the order they run. `created` holds nothing from the
 * base: every table not created by these files is one production already has.
 */
export function lintMigrations(files: readonly ParsedFile[], options: LintOptions = {}): Finding[] {
  const walk: Walk = { created: new Set(), lockTimeout: false, inTransaction: false };
  const findings: Finding[] = [];
  for (const file of files) {
    walk.lockTimeout = false;
    walk.inTransaction = options.inTransaction?.(file.file) ?? options.assumeInTransaction ?? false;
    const fileWide = readSuppressions(file.comments, "file");
    findings.push(...fileWide.bad.map((bad) => badSuppression(file, bad.message)));
    for (const statement of file.statements) {
      const local = readSuppressions(statement.comments, "statement");
      findings.push(...local.bad.map((bad) => badSuppression(file, bad.message, statement)));
      const suppressions = [...local.suppressions, ...fileWide.suppressions];
      for (const hit of statementHits(statement, walk))
        findings.push(toFinding(hit, statement, file, suppressions));
    }
  }
  return findings;
}

function badSuppression(file: ParsedFile, message: string, statement?: Statement): Finding {
  return {
    rule: "suppression-without-reason",
    level: "unsafe",
    kind: "suppression",
    at: statement?.at ?? { file: file.file, line: 1, column: 1 },
    statement: statement?.index ?? 0,
    message: `suppression-without-reason: a migration-check suppression ${message}`,
  };
}

/**
 * Lints the down migrations with the same rules. A down runs only to roll back, where losing what the
 * up added is its purpose: what breaks or drops data (DROP COLUMN, DROP TABLE, a rename back) is a
 * warning there, not unsafe; locking rules keep their level (a rollback runs under load too).
 */
export function lintDownMigrations(
  files: readonly ParsedFile[],
  options: LintOptions = {},
): Finding[] {
  return lintMigrations(files, options).map((finding) => ({
    ...finding,
    level: finding.kind === "breaking" ? "warning" : finding.level,
    message: `down migration: ${finding.message}`,
    direction: "down",
  }));
}
