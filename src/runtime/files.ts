// The user's files: paths kept inside the workspace, and files written so that a failure never
// leaves a half-written one behind.
import { lstat, mkdir, realpath, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ConfigurationError } from "../shared/errors.js";

/** Writes `content` to a temporary file beside `path`, then renames it into place. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temporary, content, { encoding: "utf8", mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Where a path is, seen from the workspace. */
export type WorkspacePlace = "inside" | "outside" | "git";
type Place = WorkspacePlace;

/** Where `path` (absolute) is relative to the workspace `root`. */
function placeOf(root: string, path: string): Place {
  const rel = relative(root, path);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return "outside";
  // Case-insensitive, as git itself treats .GIT on macOS and Windows file systems.
  return rel.split(sep)[0]?.toLowerCase() === ".git" ? "git" : "inside";
}

/** Where `real` (a path with its symbolic links resolved) is, seen from the real workspace. */
export async function placeInWorkspace(workspace: string, real: string): Promise<WorkspacePlace> {
  return placeOf(await realpath(workspace), real);
}

/**
 * The real path of `path` as far as it exists, the rest appended as written; undefined when a
 * symbolic link on the way points to nothing.
 */
async function realPathSoFar(path: string): Promise<string | undefined> {
  const rest: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    try {
      return join(await realpath(current), ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      const dangling = await lstat(current).then(
        () => true,
        () => false,
      );
      if (dangling || dirname(current) === current) return undefined;
      rest.push(basename(current));
    }
  }
}

/**
 * `path` (relative to `workspace`, or absolute) as an absolute path, when it is inside the
 * workspace and not in its `.git` directory, both as written and with symbolic links followed.
 * Otherwise a ConfigurationError naming `input`: writing or reading there could reach files the
 * workflow never meant to expose (another checkout, the runner's home) or git hooks.
 */
export async function workspacePath(
  workspace: string,
  path: string,
  input: string,
): Promise<string> {
  const absolute = resolve(workspace, path);
  const refuse = (place: Place, via?: string): never => {
    const link = via === undefined ? "" : ` (a symbolic link leads to ${via})`;
    throw new ConfigurationError({
      path: `input "${input}"`,
      message:
        place === "git"
          ? `${path} is inside the workspace's .git directory${link}`
          : `${path} is outside the workspace${link}; give a path inside it`,
    });
  };
  const written = placeOf(resolve(workspace), absolute);
  if (written !== "inside") refuse(written);
  const real = await realPathSoFar(absolute);
  if (real === undefined) {
    throw new ConfigurationError({
      path: `input "${input}"`,
      message: `${path} goes through a symbolic link to a path that does not exist`,
    });
  }
  const followed = await placeInWorkspace(workspace, real);
  if (followed !== "inside") refuse(followed, real);
  return absolute;
}
