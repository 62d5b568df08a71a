// Configuration trees as lists of leaves, and the differences between two of them.
import { isPlainObject } from "./merge-patch.js";
import { formatKeyPath, type KeyPath } from "./yaml-source.js";

export interface Leaf {
  path: KeyPath;
  value: unknown;
}

/**
 * Lists the leaves of a tree: scalars, arrays (a value as a whole, as merge patch treats them)
 * and empty objects, in document order.
 */
export function leaves(value: unknown, path: KeyPath = []): Leaf[] {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  return path.length === 0 ? [] : [{ path, value }];
}

export type Change = "added" | "removed" | "changed";

export interface Difference {
  /** Dotted key path inside the configuration. */
  path: string;
  change: Change;
  keyPath: KeyPath;
}

/**
 * The differences of `current` against `other`, leaf by leaf, sorted by path: `added` is only in
 * `current`, `removed` only in `other` (the key this environment lacks), `changed` in both with
 * different values (compared as canonical JSON).
 */
export function diffTrees(
  current: unknown,
  other: unknown,
  canonical: (value: unknown) => string,
): Difference[] {
  const mine = new Map(leaves(current).map((leaf) => [formatKeyPath(leaf.path), leaf]));
  const theirs = new Map(leaves(other).map((leaf) => [formatKeyPath(leaf.path), leaf]));
  const differences: Difference[] = [];
  for (const [path, leaf] of mine) {
    const counterpart = theirs.get(path);
    if (!counterpart) differences.push({ path, change: "added", keyPath: leaf.path });
    else if (canonical(leaf.value) !== canonical(counterpart.value))
      differences.push({ path, change: "changed", keyPath: leaf.path });
  }
  for (const [path, leaf] of theirs) {
    if (!mine.has(path)) differences.push({ path, change: "removed", keyPath: leaf.path });
  }
  return differences.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
