// YAML text to plain data, keeping enough of the document to point at any key's file and line.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { ConfigurationError, type SourcePosition } from "../shared/errors.js";

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

/**
 * Parses YAML 1.2 text (merge keys `<<` allowed, duplicate keys rejected). A syntax error is a
 * ConfigurationError carrying every error the parser found, each with its line and column.
 */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    merge: true,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (doc.errors.length > 0) {
    throw new ConfigurationError(
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return {
          message: `YAML syntax error: ${error.message.split("\n")[0]}`,
          at: { file, line, column: col },
        };
      }),
    );
  }
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
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
    data: doc.toJS({ maxAliasCount: 100 }) ?? {},
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
