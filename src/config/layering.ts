// An environment's files (base.yml, then <name>.yml) validated and layered into one document.
import { throwIfProblems, type Problem, type SourcePosition } from "../shared/errors.js";
import { issuesToProblems } from "../shared/validation.js";
import { EnvironmentFileSchema, type EnvironmentFile } from "../schema/environment.js";
import { isPlainObject, mergePatch, withoutNulls } from "./merge-patch.js";
import { formatKeyPath, type KeyPath, type YamlSource } from "./yaml-source.js";

/** The files that make up one environment, lowest layer first. */
export interface EnvironmentSources {
  name: string;
  layers: readonly YamlSource[];
}

export interface LayeredEnvironment {
  name: string;
  /** The merged document, references not yet resolved. */
  document: EnvironmentFile;
  /** The file and line that gave `path` its value: the highest layer that spells it out. */
  /** Undefined for an environment made of inputs alone (no file to point at). */
  locate(path: KeyPath): SourcePosition | undefined;
}

/** Where a problem with a key of the environment points: its key path, and the file and line. */
export function placeOfKey(
  environment: Pick<LayeredEnvironment, "locate">,
  path: KeyPath,
): Pick<Problem, "path" | "at"> {
  return { path: formatKeyPath(path), at: environment.locate(path) };
}

function validateLayer(source: YamlSource): Problem[] {
  if (!isPlainObject(source.data)) {
    return [
      {
        message:
          "expected a mapping of sections (config, deploy, health, …) at the top of the file",
        at: source.locate([]),
      },
    ];
  }
  const parsed = EnvironmentFileSchema.safeParse(withoutNulls(source.data));
  return parsed.success
    ? []
    : issuesToProblems(parsed.error.issues, formatKeyPath, (path) => source.locate(path));
}

/**
 * Validates every layer on its own (so each problem points at the file that has it), then merges
 * them with JSON Merge Patch semantics. Every problem in every layer is reported at once.
 */
export function layerEnvironment(sources: EnvironmentSources): LayeredEnvironment {
  throwIfProblems(sources.layers.flatMap(validateLayer));
  const merged = sources.layers.reduce<unknown>(
    (document, layer) => mergePatch(document, layer.data),
    {},
  );
  const top = sources.layers[sources.layers.length - 1];
  if (!top) throw new Error(`environment ${sources.name} has no files`);
  const parsed = EnvironmentFileSchema.safeParse(merged);
  const locate = (path: KeyPath): SourcePosition =>
    ([...sources.layers].reverse().find((layer) => layer.has(path)) ?? top).locate(path);
  if (!parsed.success)
    throwIfProblems(issuesToProblems(parsed.error.issues, formatKeyPath, locate));
  return { name: sources.name, document: parsed.data as EnvironmentFile, locate };
}

/**
 * An environment without files: an action used with inputs alone (no environments/ directory)
 * sees empty sections, and its problems name inputs, never a file.
 */
export function environmentWithoutFiles(name: string): LayeredEnvironment {
  return { name, document: {}, locate: () => undefined };
}
