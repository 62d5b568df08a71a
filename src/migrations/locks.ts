// PostgreSQL's table lock modes, weakest first, and which session's lock makes a statement wait.

export const LOCK_MODES = [
  "AccessShareLock",
  "RowShareLock",
  "RowExclusiveLock",
  "ShareUpdateExclusiveLock",
  "ShareLock",
  "ShareRowExclusiveLock",
  "ExclusiveLock",
  "AccessExclusiveLock",
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

export const lockRank = (mode: string): number => LOCK_MODES.indexOf(mode as LockMode);

/** From SHARE up, a lock keeps writers out (INSERT, UPDATE, DELETE take ROW EXCLUSIVE). */
export const blocksWrites = (mode: string): boolean => lockRank(mode) >= lockRank("ShareLock");

/**
 * The weakest lock an everyday transaction takes that conflicts with `mode` (PostgreSQL's conflict
 * table): a reader blocks ACCESS EXCLUSIVE, a SELECT FOR UPDATE blocks EXCLUSIVE, a writer blocks
 * SHARE and SHARE ROW EXCLUSIVE. As the mode LOCK TABLE takes (`ACCESS SHARE`).
 */
export function weakestConflicting(
  mode: string,
): { mode: LockMode; lockTable: string } | undefined {
  switch (mode) {
    case "AccessExclusiveLock":
      return { mode: "AccessShareLock", lockTable: "ACCESS SHARE" };
    case "ExclusiveLock":
      return { mode: "RowShareLock", lockTable: "ROW SHARE" };
    case "ShareRowExclusiveLock":
    case "ShareLock":
      return { mode: "RowExclusiveLock", lockTable: "ROW EXCLUSIVE" };
    default:
      return undefined;
  }
}
