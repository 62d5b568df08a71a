// What a parsed YAML document may hold before it becomes data: plain JSON values only, unique
// keys, merge keys over mappings, and aliases whose expansion stays small.
import { isAlias, isMap, isScalar, isSeq, type Alias, type Document, type Node } from "yaml";

/** How many nodes the aliases of one file may add once expanded (each alias counts its whole anchor). */
export const MAX_ALIASED_NODES = 100_000;

/** Something wrong with a node: where it starts in the text, its key path, and what is wrong. */
export interface DocumentIssue {
  offset: number;
  path: (string | number)[];
  message: string;
}

const CORE = "tag:yaml.org,2002:";
const JSON_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"]);
const MERGE_KEY = "<<";

/** `!!binary` for YAML's own tags, the tag as written otherwise. */
function shortTag(tag: string): string {
  return tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag;
}

/** Whether a JSON tag got the kind of value it names (`!!float five` stays a string). */
function fitsTag(name: string, node: Node): boolean {
  if (name === "map") return isMap(node);
  if (name === "seq") return isSeq(node);
  const value = isScalar(node) ? node.value : undefined;
  if (name === "str") return typeof value === "string";
  if (name === "int" || name === "float") return typeof value === "number";
  if (name === "bool") return typeof value === "boolean";
  return value === null;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === "symbol" && key.value.description === MERGE_KEY;
}

/** A pair's key as a key path segment. */
function segmentOf(key: unknown): string {
  if (isMergeKey(key)) return MERGE_KEY;
  return isScalar(key) ? String(key.value) : String(key);
}

const startOf = (node: unknown): number =>
  (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;

/**
 * Checks a parsed document, node by node in document order, and returns every issue: tags that
 * do not give plain JSON values, duplicate keys, merge keys over anything but mappings, aliases
 * without an anchor or inside their own anchor, and aliases that expand beyond MAX_ALIASED_NODES.
 * Nothing is expanded: each anchor's size is counted once.
 */
export function checkDocument(doc: Document.Parsed): DocumentIssue[] {
  const checker = new DocumentChecker();
  checker.node(doc.contents, []);
  return checker.issues;
}

class DocumentChecker {
  readonly issues: DocumentIssue[] = [];
  /** The latest node with each anchor so far: what an alias at this point names. */
  private readonly anchors = new Map<string, Node>();
  /** The expanded size of each anchored node walked so far. */
  private readonly sizes = new Map<Node, number>();
  /** Anchored nodes being walked: an alias to one of them is a cycle. */
  private readonly open = new Set<Node>();
  private aliased = 0;

  private issue(node: unknown, path: (string | number)[], message: string): void {
    this.issues.push({ offset: startOf(node), path, message });
  }

  /** Checks a node and everything under it; returns its size with every alias expanded. */
  node(node: unknown, path: (string | number)[]): number {
    if (isAlias(node)) return this.alias(node, path);
    if (!node) return 1;
    const current = node as Node;
    const anchor = current.anchor;
    if (anchor) {
      this.anchors.set(anchor, current);
      this.open.add(current);
    }
    const plain = this.tag(current, path);
    let size = 1;
    if (isMap(current)) size += this.map(current.items, path);
    else if (isSeq(current))
      current.items.forEach((item, index) => (size += this.node(item, [...path, index])));
    else if (plain && isScalar(current)) this.scalar(current, path);
    if (anchor) {
      this.open.delete(current);
      this.sizes.set(current, size);
    }
    return size;
  }

  /** False (and an issue) when the node's tag does not give the plain JSON value it should. */
  private tag(node: Node, path: (string | number)[]): boolean {
    const tag = node.tag;
    if (!tag || tag === "!") return true;
    const name = tag.startsWith(CORE) ? tag.slice(CORE.length) : undefined;
    if (name === undefined || !JSON_TAGS.has(name)) {
      this.issue(
        node,
        path,
        `tag ${shortTag(tag)} does not give a plain JSON value ` +
          "(string, number, boolean, null, list or mapping); remove the tag, or quote the value",
      );
      return false;
    }
    if (fitsTag(name, node)) return true;
    const value = isScalar(node) ? String(node.value) : "";
    this.issue(node, path, `tag ${shortTag(tag)} does not fit the value ${JSON.stringify(value)}`);
    return false;
  }

  /** Scalars a YAML 1.1 document resolves to other things than JSON values (timestamps). */
  private scalar(node: Node & { value: unknown }, path: (string | number)[]): void {
    const value = node.value;
    if (value === null || ["string", "number", "boolean", "symbol"].includes(typeof value)) return;
    this.issue(
      node,
      path,
      value instanceof Date
        ? "is a YAML 1.1 timestamp, not a plain JSON value; quote it"
        : "is not a plain JSON value; quote it",
    );
  }

  private map(items: readonly { key: unknown; value: unknown }[], path: (string | number)[]) {
    let size = 0;
    const seen = new Set<unknown>();
    for (const pair of items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      const keyPath = [...path, segmentOf(pair.key)];
      if (seen.has(key))
        this.issue(pair.key, keyPath, "YAML syntax error: duplicate key (map keys must be unique)");
      seen.add(key);
      size += this.node(pair.key, keyPath) + this.node(pair.value, keyPath);
      if (isMergeKey(pair.key) && !this.mergeable(pair.value)) {
        this.issue(
          pair.key,
          keyPath,
          "a merge key (<<) takes a mapping, an alias of one, or a list of them",
        );
      }
    }
    return size;
  }

  /** Whether a merge key's value is a mapping, or a list of them, aliases resolved. */
  private mergeable(value: unknown): boolean {
    // An alias that names nothing is reported on its own.
    const mapping = (node: unknown): boolean => node === undefined || isMap(node);
    const source = this.resolve(value);
    if (mapping(source)) return true;
    return isSeq(source) && source.items.every((item) => mapping(this.resolve(item)));
  }

  /** What a node is once its alias is followed; undefined when the alias names nothing. */
  private resolve(node: unknown): unknown {
    return isAlias(node) ? this.anchors.get(node.source) : node;
  }

  private alias(alias: Alias, path: (string | number)[]): number {
    const name = alias.source;
    const source = this.anchors.get(name);
    if (!source) {
      this.issue(alias, path, `alias *${name} has no anchor &${name} before it`);
      return 1;
    }
    if (this.open.has(source)) {
      this.issue(alias, path, `alias *${name} is inside the node it names (a cycle)`);
      return 1;
    }
    const size = this.sizes.get(source) ?? 1;
    const before = this.aliased;
    this.aliased += size;
    if (before <= MAX_ALIASED_NODES && this.aliased > MAX_ALIASED_NODES) {
      this.issue(
        alias,
        path,
        `alias *${name} expands the file's aliases beyond ${MAX_ALIASED_NODES} nodes in all ` +
          '(aliases of aliases grow exponentially, as in a "billion laughs" attack)',
      );
    }
    return size;
  }
}
