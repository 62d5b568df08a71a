// The migration files on disk (the head) and at the base commit (git), as path -> text maps.
import { execFile } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { ConfigurationError } from "../shared/errors.js";

const run = promisify(execFile);
const SKIPPED = new Set([".git", "node_modules"]);

/** Every file under `dir` (relative to the workspace), as workspace-relative paths. */
export async function listFiles(workspace: string, dir: string): Promise<string[]> {
  const walk = async (absolute: string): Promise<string[]> => {
    const entries = await readdir(absolute, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(
      entries
        .filter((entry) => !SKIPPED.has(entry.name))
        .map((entry) =>
          entry.isDirectory()
            ? walk(join(absolute, entry.name))
            : [relative(workspace, join(absolute, entry.name))],
        ),
    );
    return nested.flat();
  };
  return walk(join(workspace, dir));
}

export async function readFiles(
  workspace: string,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const texts = await Promise.all(paths.map((path) => readFile(join(workspace, path), "utf8")));
  return new Map(paths.map((path, i) => [path, texts[i] ?? ""]));
}

/** The files under `dir` at `ref`, with their text there, read with git. */
export async function readGitFiles(
  workspace: string,
  ref: string,
  dir: string,
): Promise<Map<string, string>> {
  let listing: string;
  try {
    ({ stdout: listing } = await run(
      "git",
      ["-C", workspace, "ls-tree", "-r", "--name-only", ref, "--", dir],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    ));
  } catch (error) {
    throw new ConfigurationError({
      path: 'input "base-ref"',
      message:
        `git cannot read ${ref} in the workspace (fetch-depth: 0 in actions/checkout?): ` +
        (error as Error).message,
    });
  }
  const files = new Map<string, string>();
  for (const path of listing.split("\n").filter(Boolean)) {
    const { stdout } = await run("git", ["-C", workspace, "show", `${ref}:${path}`], {
      maxBuffer: 64 * 1024 * 1024,
    });
    files.set(path, stdout);
  }
  return files;
}
