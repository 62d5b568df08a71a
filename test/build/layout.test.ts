// The README's Layout section is the map of the tree: every path it names exists, and every folder
// of the tree's top two levels (and of src/, tools/ and test/) is on it.
import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../tools/runner/run-action.js";

const DESCRIPTION_COLUMN = 20;

/** The paths the Layout block names, nested entries joined to their parent folder. */
function layoutPaths(readme: string): string[] {
  const section = readme.split(/^## Layout$/m)[1] ?? "";
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const paths: string[] = [];
  const parents: { indent: number; path: string }[] = [];
  for (const line of block.split("\n")) {
    const match = /^( *)(\S+)/.exec(line);
    // Lines indented to the description column continue the entry above.
    if (!match || (match[1]?.length ?? 0) >= DESCRIPTION_COLUMN) continue;
    const indent = match[1]?.length ?? 0;
    while (parents.length > 0 && (parents.at(-1)?.indent ?? 0) >= indent) parents.pop();
    const path = `${parents.at(-1)?.path ?? ""}${match[2]}`;
    paths.push(path);
    if (path.endsWith("/")) parents.push({ indent, path });
  }
  return paths;
}

/** The folders of src/ that are not entries: what `<domain>` stands for. */
const DOMAINS = readdirSync(join(ROOT, "src")).filter((name) => name !== "actions");

/**
 * A `<name>` in a path stands for each name that exists there (actions/<name>/), and `<domain>`
 * for each folder of src/ but actions/ (test/<domain>/).
 */
function expand(path: string): string[] {
  const placeholder = /<(name|domain)>/.exec(path);
  if (!placeholder) return existsSync(join(ROOT, path)) ? [path] : [];
  const dir = path.slice(0, placeholder.index);
  const rest = path.slice(placeholder.index + placeholder[0].length);
  const names =
    placeholder[1] === "domain"
      ? DOMAINS
      : readdirSync(join(ROOT, dir)).map((entry) => entry.replace(/\.ts$/, ""));
  return names
    .map((name) => `${dir}${name}${rest}`)
    .filter((candidate) => existsSync(join(ROOT, candidate)));
}

const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n");
/** Folders holding tracked files, down to `depth` levels below `root` ("" for the repository). */
function trackedFolders(root: string, depth: number): string[] {
  const folders = new Set<string>();
  for (const file of tracked) {
    if (!file.startsWith(root)) continue;
    const parts = file.slice(root.length).split("/").slice(0, -1).slice(0, depth);
    if (parts.length === depth) folders.add(`${root}${parts.join("/")}/`);
  }
  return [...folders].sort();
}

describe("the README's Layout", () => {
  const listed = layoutPaths(readFileSync(join(ROOT, "README.md"), "utf8"));

  it("names only paths that exist", () => {
    expect(listed.length).toBeGreaterThan(20);
    const missing = listed.filter((path) => expand(path).length === 0);
    expect(missing).toEqual([]);
  });

  it("names every top-level folder, and every folder of src/, tools/ and test/", () => {
    // A named path names its folders too: actions/<name>/ names actions/.
    const named = new Set(
      listed.flatMap(expand).flatMap((path) => {
        const parts = path.split("/").filter(Boolean);
        return parts.map((_, index) => `${parts.slice(0, index + 1).join("/")}/`);
      }),
    );
    const folders = [
      ...trackedFolders("", 1).filter((folder) => !folder.startsWith(".")),
      ...trackedFolders("src/", 1),
      ...trackedFolders("tools/", 1),
      ...trackedFolders("test/", 1),
    ];
    expect(folders.filter((folder) => !named.has(folder))).toEqual([]);
  });
});
