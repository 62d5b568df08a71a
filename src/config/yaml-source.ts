// YAML text to plain data, keeping enough of the document to point at any key's file and line.
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from "yaml";
import { ConfigurationError, type SourcePosition } from "../shared/errors.js";
import { checkDocument } from "./yaml-checks.js";

export type KeyPath = readonly (string | number)[];

/** A parsed YAML file: its data, and where each key path sits in it. */
export interface YamlSource {
  file: string;
  data: unknown;
  /** The position of the deepest node along `path` that exists (the key itself when it exists). */
  locate(path: KeyPath): SourcePosition;
  /** Whether the file itself spells out `path` (as opposed to inheriting it from another layer). */
  has(path: KeyPath): boolean;
}

/** Renders a key path as users write it: `config.db.hosts[0]`, quoting keys that are not plain. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function child(node: unknown, segment: string | number): { key?: Node; value?: Node } | undefined {
  if (isMap(node)) {
    const pair = node.items.find(
      (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
    );
    return pair
      ? { key: pair.key as Node, value: (pair.value ?? undefined) as Node | undefined }
      : undefined;
  }
  if (isSeq(node) && typeof segment === "number") {
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item as Node };
  }
  return undefined;
}

/** The document's data, once checkDocument has bounded what converting it costs. */
function toData(doc: Document.Parsed, file: string): unknown {
  try {
    // The aliases' expansion is bounded by checkDocument; the library's own alias heuristic
    // (uses of an anchor times its nesting) would refuse ordinary files that merge one anchor often.
    return doc.toJS({ maxAliasCount: -1 }) ?? {};
  } catch (error) {
    throw new ConfigurationError({
      at: { file },
      message: `YAML could not be read as data: ${(error as Error).message.split("\n")[0]}`,
    });
  }
}

/**
 * Parses YAML 1.2 text (merge keys `<<` allowed). A syntax error is a ConfigurationError carrying
 * every error the parser found, each with its line and column; so is anything checkDocument
 * refuses (duplicate keys, tags that do not give plain JSON values, bad merge keys, alias bombs).
 */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // Duplicate keys are found by checkDocument: the library's check is quadratic in a map's size.
  const doc = parseDocument(text, {
    lineCounter,
    merge: true,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigurationError(
      doc.errors.map((error) => ({
        message: `YAML syntax error: ${error.message.split("\n")[0]}`,
        at: position(error.pos[0]),
      })),
    );
  }
  const issues = checkDocument(doc);
  if (issues.length > 0) {
    throw new ConfigurationError(
      issues.map((issue) => ({
        message: issue.message,
        ...(issue.path.length > 0 ? { path: formatKeyPath(issue.path) } : {}),
        at: position(issue.offset),
      })),
    );
  }
  const walk = (path: KeyPath): { node: unknown; depth: number; key?: Node } => {
    let node: unknown = doc.contents;
    let key: Node | undefined;
    let depth = 0;
    for (const segment of path) {
      const next = child(node, segment);
      if (!next) break;
      key = next.key ?? next.value;
      node = next.value;
      depth += 1;
    }
    return { node, depth, key };
  };
  return {
    file,
    data: toData(doc, file),
    locate(path) {
      const { key, node } = walk(path);
      const range = (key ?? (node as Node | null))?.range;
      return range ? position(range[0]) : { file, line: 1, column: 1 };
    },
    has(path) {
      return walk(path).depth === path.length;
    },
  };
}
