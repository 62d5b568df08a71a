// Where PostgreSQL's parser (WebAssembly) is: beside this source in node_modules, and in a bundle
// the file ncc copies next to it (each `new URL(literal, import.meta.url)` becomes an asset, and a
// path string there).
export const PARSER_WASM: URL | string = new URL(
  "../../node_modules/libpg-query/wasm/libpg-query.wasm",
  import.meta.url,
);
