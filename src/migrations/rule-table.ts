// Every static rule: its stable id, how bad it is, what it catches and the safe recipe to follow.

/** unsafe: blocks production or breaks the version still running; warning: advice. */
export type RuleLevel = "unsafe" | "warning";
/** What goes wrong: a lock or rewrite, the old version breaking, a transaction error, or a habit. */
export type RuleKind = "locking" | "breaking" | "transaction" | "advice";

export interface RuleInfo {
  level: RuleLevel;
  kind: RuleKind;
  title: string;
  recipe: string;
}

const EXPAND_CONTRACT =
  "expand/contract: add the new shape beside the old one, deploy a version that uses both, " +
  "backfill, deploy a version that uses only the new one, then remove the old one in a later pull request";

export const RULES = {
  "adding-not-null-column": {
    level: "unsafe",
    kind: "breaking",
    title: "ADD COLUMN ... NOT NULL without a DEFAULT",
    recipe:
      "add the column nullable (or with a constant DEFAULT), backfill it in batches, then ADD CONSTRAINT ... " +
      "CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, and SET NOT NULL (PostgreSQL 12+ skips the scan)",
  },
  "adding-column-volatile-default": {
    level: "unsafe",
    kind: "locking",
    title: "ADD COLUMN with a volatile DEFAULT rewrites the table under ACCESS EXCLUSIVE",
    recipe:
      "add the column without a default, set the default for new rows, and backfill old rows in batches",
  },
  "require-concurrent-index": {
    level: "unsafe",
    kind: "locking",
    title: "CREATE INDEX without CONCURRENTLY blocks writes for the whole build",
    recipe:
      "CREATE INDEX CONCURRENTLY, in a migration run outside a transaction (a failed build leaves " +
      "an INVALID index: drop it and retry)",
  },
  "require-concurrent-index-deletion": {
    level: "warning",
    kind: "locking",
    title: "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table",
    recipe: "DROP INDEX CONCURRENTLY, in a migration run outside a transaction",
  },
  "concurrently-in-transaction": {
    level: "unsafe",
    kind: "transaction",
    title: "CONCURRENTLY inside a transaction fails",
    recipe:
      "put the statement in a migration of its own that runs outside a transaction (no BEGIN; " +
      "Flyway: executeInTransaction=false)",
  },
  "constraint-missing-not-valid": {
    level: "unsafe",
    kind: "locking",
    title:
      "ADD FOREIGN KEY / CHECK without NOT VALID scans the table under a lock that blocks writes",
    recipe:
      "ADD CONSTRAINT ... NOT VALID, then in a separate transaction ALTER TABLE ... VALIDATE CONSTRAINT ... " +
      "(SHARE UPDATE EXCLUSIVE: reads and writes go on)",
  },
  "adding-unique-constraint": {
    level: "unsafe",
    kind: "locking",
    title: "ADD PRIMARY KEY / UNIQUE builds its index under ACCESS EXCLUSIVE",
    recipe:
      "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) USING INDEX",
  },
  "setting-not-null": {
    level: "unsafe",
    kind: "locking",
    title: "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE",
    recipe:
      "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL " +
      "(PostgreSQL 12+ trusts the validated check) and drop the check",
  },
  "changing-column-type": {
    level: "unsafe",
    kind: "locking",
    title: "ALTER COLUMN TYPE rewrites the table (and its indexes) under ACCESS EXCLUSIVE",
    recipe: `${EXPAND_CONTRACT}: a new column of the new type kept in step by a trigger`,
  },
  "dropping-column": {
    level: "unsafe",
    kind: "breaking",
    title: "DROP COLUMN breaks the version still running, which reads and writes it",
    recipe:
      "deploy a version that no longer uses the column first, then drop it in a later pull request",
  },
  "dropping-table": {
    level: "unsafe",
    kind: "breaking",
    title: "DROP TABLE breaks the version still running",
    recipe:
      "deploy a version that no longer uses the table first, then drop it in a later pull request",
  },
  "renaming-column": {
    level: "unsafe",
    kind: "breaking",
    title: "RENAME COLUMN breaks the version still running, which uses the old name",
    recipe: `${EXPAND_CONTRACT}: ADD COLUMN with the new name, a trigger writing both, backfill`,
  },
  "renaming-table": {
    level: "unsafe",
    kind: "breaking",
    title: "RENAME TABLE breaks the version still running, which uses the old name",
    recipe: `${EXPAND_CONTRACT}, or rename it and leave a view with the old name until the old version is gone`,
  },
  "require-lock-timeout": {
    level: "warning",
    kind: "locking",
    title:
      "a locking statement with no lock_timeout queues behind long transactions and blocks everything behind it",
    recipe:
      "SET lock_timeout = '2s' (or SET LOCAL in the transaction) before it, and retry the migration on timeout",
  },
  "prefer-bigint": {
    level: "warning",
    kind: "advice",
    title: "integer and smallint columns run out; changing them later rewrites the table",
    recipe: "use bigint",
  },
  "prefer-identity": {
    level: "warning",
    kind: "advice",
    title: "serial columns own a separate sequence with its own permissions and quirks",
    recipe: "use bigint GENERATED ALWAYS AS IDENTITY",
  },
  "prefer-text": {
    level: "warning",
    kind: "advice",
    title: "varchar(n) and char(n) limits are changed by a locking ALTER COLUMN TYPE",
    recipe:
      "use text, with a CHECK (char_length(col) <= n) NOT VALID constraint when a limit matters",
  },
  "prefer-timestamptz": {
    level: "warning",
    kind: "advice",
    title: "timestamp without time zone loses the offset",
    recipe: "use timestamptz",
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;
export const RULE_IDS = Object.keys(RULES) as RuleId[];
