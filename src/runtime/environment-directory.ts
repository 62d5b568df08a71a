// Reading environments/ from disk: which environments exist, and each one's YAML layers.
import { constants } from "node:fs";
import { lstat, open, readdir, realpath, type FileHandle } from "node:fs/promises";
import { join, relative } from "node:path";
import { ConfigurationError } from "../shared/errors.js";
import { placeInWorkspace } from "./files.js";
import type { EnvironmentSources } from "../config/layering.js";
import { parseYamlSource, type YamlSource } from "../config/yaml-source.js";

/** The most a file in the environments directory may hold: read whole, parsed whole. */
export const MAX_ENVIRONMENT_FILE_BYTES = 1024 * 1024;

const BASE = "base";
const YAML_FILE = /^(.+)\.ya?ml$/;
const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface EnvironmentDirectory {
  /** The directory as given, and as shown in messages (relative to the workspace). */
  dir: string;
  display: string;
  /** Names of the environments that have a file, sorted. */
  names: string[];
  /** The layers of one environment: base.yml (when present) then its own file. */
  sources(name: string): Promise<EnvironmentSources>;
  /** A JSON file beside the environment files, parsed, or undefined when absent. */
  readJson(fileName: string): Promise<{ file: string; data: unknown } | undefined>;
}

/** The 1-based line of the first byte that is not UTF-8 (a line break is never part of a character). */
function lineOfInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    try {
      decoder.decode(bytes.subarray(start, end === -1 ? bytes.length : end));
    } catch {
      return line;
    }
    if (end === -1) return line;
    start = end + 1;
  }
}

/** A file of the directory that is a symbolic link must lead inside the workspace, out of .git. */
async function checkLink(path: string, file: string, workspace: string): Promise<void> {
  if (!(await lstat(path)).isSymbolicLink()) return;
  const place = await placeInWorkspace(workspace, await realpath(path));
  if (place === "inside") return;
  throw new ConfigurationError({
    at: { file },
    message:
      place === "git"
        ? "is a symbolic link to a file inside the workspace's .git directory"
        : "is a symbolic link to a file outside the workspace",
  });
}

/**
 * Reads a file of the environments directory as UTF-8 text, or undefined when it does not exist.
 * A symbolic link must stay inside the workspace; a file over MAX_ENVIRONMENT_FILE_BYTES is refused
 * without being read whole, and bytes that are not UTF-8 are refused (at the line of the first
 * one), never replaced.
 */
async function readEnvironmentFile(
  path: string,
  file: string,
  workspace: string,
): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    // Non-blocking, so that a FIFO in its place is refused below instead of waiting for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    await checkLink(path, file, workspace);
    const stats = await handle.stat();
    if (!stats.isFile())
      throw new ConfigurationError({ at: { file }, message: "is not a regular file" });
    // Read up to one byte more than the limit, whatever stat() said: a file that grew since, or
    // one whose size the kernel does not know (procfs), is measured by what it holds.
    const buffer = new Uint8Array(MAX_ENVIRONMENT_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const size = Math.max(stats.size, length);
    if (size > MAX_ENVIRONMENT_FILE_BYTES) {
      throw new ConfigurationError({
        at: { file },
        message:
          `is ${size} bytes, over the limit of ${MAX_ENVIRONMENT_FILE_BYTES} bytes (1 MiB) ` +
          "for a file in the environments directory",
      });
    }
    const bytes = buffer.subarray(0, length);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ConfigurationError({
        at: { file, line: lineOfInvalidUtf8(bytes) },
        message:
          "is not valid UTF-8 (a byte on this line cannot be decoded); save the file as UTF-8",
      });
    }
  } finally {
    await handle.close();
  }
}

/**
 * Opens the environments directory. `workspace` is what file names in messages and annotations
 * are relative to (the repository root on a runner).
 */
export async function openEnvironmentDirectory(
  dir: string,
  workspace: string,
): Promise<EnvironmentDirectory> {
  const display = relative(workspace, dir) || ".";
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === "ENOENT" ||
      (error as NodeJS.ErrnoException).code === "ENOTDIR"
    ) {
      throw new ConfigurationError({
        path: 'input "config-dir"',
        message: `directory ${display} does not exist`,
      });
    }
    throw error;
  }
  const files = new Map<string, string>();
  for (const entry of entries.sort()) {
    const match = YAML_FILE.exec(entry);
    if (match?.[1] && !files.has(match[1])) files.set(match[1], entry);
  }
  const parsed = new Map<string, Promise<YamlSource>>();
  const load = (fileName: string): Promise<YamlSource> => {
    let source = parsed.get(fileName);
    if (!source) {
      const file = join(display, fileName);
      source = readEnvironmentFile(join(dir, fileName), file, workspace).then((text) => {
        if (text === undefined)
          throw new ConfigurationError({ at: { file }, message: "was removed while being read" });
        return parseYamlSource(file, text);
      });
      parsed.set(fileName, source);
    }
    return source;
  };
  const names = [...files.keys()].filter((name) => name !== BASE);

  return {
    dir,
    display,
    names,
    async sources(name) {
      const fileName = ENVIRONMENT_NAME.test(name) && name !== BASE ? files.get(name) : undefined;
      if (!fileName) {
        const known = names.length > 0 ? names.join(", ") : "none: add a file such as staging.yml";
        throw new ConfigurationError({
          path: 'input "environment"',
          message: `unknown environment ${JSON.stringify(name)} in ${display} (known: ${known})`,
        });
      }
      const baseFile = files.get(BASE);
      const layers = await Promise.all([...(baseFile ? [load(baseFile)] : []), load(fileName)]);
      return { name, layers };
    },
    async readJson(fileName) {
      const file = join(display, fileName);
      const text = await readEnvironmentFile(join(dir, fileName), file, workspace);
      if (text === undefined) return undefined;
      try {
        return { file, data: JSON.parse(text) as unknown };
      } catch (error) {
        throw new ConfigurationError({
          at: { file },
          message: `is not valid JSON: ${(error as Error).message}`,
        });
      }
    },
  };
}
