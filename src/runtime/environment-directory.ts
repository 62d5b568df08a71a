// Reading environments/ from disk: which environments exist, and each one's YAML layers.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { ConfigurationError } from "../shared/errors.js";
import type { EnvironmentSources } from "../config/layering.js";
import { parseYamlSource, type YamlSource } from "../config/yaml-source.js";

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

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
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
      source = readFile(join(dir, fileName), "utf8").then((text) =>
        parseYamlSource(join(display, fileName), text),
      );
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
      const text = await readText(join(dir, fileName));
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
