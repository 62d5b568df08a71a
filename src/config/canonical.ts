// Canonical JSON (keys sorted at every level) and the content digest built on it.
import { createHash } from "node:crypto";
import { isPlainObject } from "./merge-patch.js";

/** JSON with object keys sorted at every level and no white space, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** `sha256:` and the hex SHA-256 of the value's canonical JSON. */
export function contentDigest(value: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(value)).digest("hex")}`;
}
