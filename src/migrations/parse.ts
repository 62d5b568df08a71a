// SQL files through PostgreSQL's own parser (libpg-query, WebAssembly): statements with their text,
// positions and the comments before them. Nothing here reads SQL with a regular expression.
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as LibPgQuery from "libpg-query";
import type { Node } from "libpg-query";
import { ConfigurationError, type SourcePosition } from "../shared/errors.js";
import { PARSER_WASM } from "./parser-wasm.js";

type Parser = typeof LibPgQuery;

/** One statement of a file: its tree, its text and where it begins. */
export interface Statement {
  /** 0-based index within its file. */
  index: number;
  node: Node;
  /** The statement's SQL as written, without its semicolon. */
  text: string;
  at: Required<SourcePosition>;
  /** The comments between the previous statement and this one (suppressions live there). */
  comments: string[];
  /** Byte offsets of the statement in the file (node locations are bytes too). */
  bytes: { start: number; end: number };
}

export interface ParsedFile {
  file: string;
  source: string;
  statements: Statement[];
  /** Every comment of the file, for file-wide directives. */
  comments: string[];
  /** file:line:column of a byte offset a node's `location` gives. */
  position(byteOffset: number): Required<SourcePosition>;
}

let parser: Promise<Parser> | undefined;

/**
 * The parser, loaded once. Its Emscripten loader reads `libpg-query.wasm` beside `__dirname`, which
 * an ESM bundle does not define, and ncc copies the file under a hashed name (each
 * `new URL(literal, import.meta.url)` becomes an asset): the loader is pointed at a temporary
 * directory where that name links to the copy, removed once the module is compiled.
 */
export function loadParser(): Promise<Parser> {
  parser ??= (async () => {
    const wasmPath = typeof PARSER_WASM === "string" ? PARSER_WASM : fileURLToPath(PARSER_WASM);
    const scope = globalThis as { __dirname?: string };
    const had = "__dirname" in scope;
    const dir = had ? undefined : await mkdtemp(join(tmpdir(), "shipgate-pgquery-"));
    if (dir) {
      await symlink(wasmPath, join(dir, "libpg-query.wasm"));
      scope.__dirname = dir;
    }
    try {
      const loaded = await import("libpg-query");
      await loaded.loadModule();
      return loaded;
    } finally {
      if (dir) {
        delete scope.__dirname;
        await rm(dir, { recursive: true, force: true });
      }
    }
  })();
  return parser;
}

/** Line and column (1-based, in characters) of byte offsets into `source`. */
export function positionsOf(file: string, source: string) {
  const lineStarts = [0];
  const bytes = Buffer.from(source, "utf8");
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) lineStarts.push(i + 1);
  return (byteOffset: number): Required<SourcePosition> => {
    let line = 0;
    while (line + 1 < lineStarts.length && (lineStarts[line + 1] ?? 0) <= byteOffset) line++;
    const start = lineStarts[line] ?? 0;
    const column = bytes.subarray(start, Math.max(start, byteOffset)).toString("utf8").length + 1;
    return { file, line: line + 1, column };
  };
}

/** Byte offset of a character index (PostgreSQL reports error positions in characters). */
function charToByte(source: string, index: number): number {
  return Buffer.byteLength(source.slice(0, index), "utf8");
}

/** Parses one SQL file; SQL the parser rejects is a ConfigurationError at its file:line:column. */
export async function parseSqlFile(file: string, source: string): Promise<ParsedFile> {
  const pg = await loadParser();
  const position = positionsOf(file, source);
  const bytes = Buffer.from(source, "utf8");
  let tree: Awaited<ReturnType<Parser["parse"]>>;
  try {
    tree = source.trim() === "" ? { stmts: [] } : await pg.parse(source);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const at = position(charToByte(source, details?.cursorPosition ?? 0));
    throw new ConfigurationError({
      at,
      message: `PostgreSQL's parser rejects this SQL: ${(error as Error).message} (column ${at.column})`,
    });
  }
  const tokens = source.trim() === "" ? [] : (await pg.scan(source)).tokens;
  const comments = tokens.filter(
    (t) => t.tokenName === "SQL_COMMENT" || t.tokenName === "C_COMMENT",
  );
  let previousEnd = 0;
  const statements = (tree.stmts ?? []).map((raw, index): Statement => {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const before = comments.filter((c) => c.start >= previousEnd && c.end <= start);
    previousEnd = end;
    return {
      index,
      node: raw.stmt as Node,
      text: bytes.subarray(start, end).toString("utf8").trim(),
      at: position(start),
      comments: before.map((c) => c.text),
      bytes: { start, end },
    };
  });
  return { file, source, statements, comments: comments.map((c) => c.text), position };
}
