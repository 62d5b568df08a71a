// Temporary workspaces for action runs: a copy of the example environments/, edited per test.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "./run-action.js";

export interface Workspace {
  dir: string;
  write(relativePath: string, content: string): Promise<void>;
  read(relativePath: string): Promise<string>;
  /** Every file under the workspace, relative paths, for "nothing was written" checks. */
  files(): Promise<string[]>;
  remove(): Promise<void>;
}

export async function createWorkspace(
  options: { withExamples?: boolean } = {},
): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), "shipgate-ws-"));
  if (options.withExamples !== false)
    await cp(join(ROOT, "environments"), join(dir, "environments"), { recursive: true });
  const list = async (sub: string): Promise<string[]> => {
    const entries = await readdir(join(dir, sub));
    const nested = await Promise.all(
      entries.map(async (entry) => {
        const path = sub ? `${sub}/${entry}` : entry;
        return (await stat(join(dir, path))).isDirectory() ? list(path) : [path];
      }),
    );
    return nested.flat().sort();
  };
  return {
    dir,
    write: async (path, content) => {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    },
    read: (path) => readFile(join(dir, path), "utf8"),
    files: () => list(""),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
