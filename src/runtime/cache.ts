// A typed in-memory cache bounded in size and age (lru-cache underneath), for memos within one run.
import { LRUCache } from "lru-cache";

export interface CacheOptions {
  /** Most entries kept; the least recently used one goes first. */
  max: number;
  /** How long an entry lives after it is set, in milliseconds. */
  ttlMs: number;
}

export interface Cache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  /** Removes every entry the predicate picks; returns how many went. */
  deleteWhere(predicate: (value: V, key: string) => boolean): number;
  clear(): void;
  readonly size: number;
}

/** Values cannot be undefined or null: lru-cache reads those as "absent". */
export function createCache<V extends NonNullable<unknown>>(options: CacheOptions): Cache<V> {
  // Expired entries are dropped when read, not by a timer, so an idle cache keeps no process alive.
  const entries = new LRUCache<string, V>({
    max: options.max,
    ttl: options.ttlMs,
    ttlAutopurge: false,
  });
  return {
    get: (key) => entries.get(key),
    set: (key, value) => void entries.set(key, value),
    delete: (key) => void entries.delete(key),
    deleteWhere(predicate) {
      const doomed = [...entries.entries()]
        .filter(([key, value]) => predicate(value, key))
        .map(([key]) => key);
      for (const key of doomed) entries.delete(key);
      return doomed.length;
    },
    clear: () => entries.clear(),
    get size() {
      return entries.size;
    },
  };
}
