// Rendering an environment's `config` section: references resolved, validated, digested, compared.
import { throwIfProblems, type Problem } from "../shared/errors.js";
import { canonicalJson, contentDigest } from "./canonical.js";
import type { ConfigValidator } from "./config-schema.js";
import { diffTrees, type Difference } from "./flatten.js";
import { placeOfKey, type LayeredEnvironment } from "./layering.js";
import { isPlainObject, type PlainObject } from "./merge-patch.js";
import { MASK } from "../shared/secrets.js";
import {
  mentionsSecret,
  resolveReferences,
  type ResolveOptions,
  type VariableLookup,
} from "./references.js";
import { formatKeyPath, type KeyPath } from "./yaml-source.js";

export interface RenderedConfig {
  environment: string;
  /** The configuration with every reference resolved: the only place real secret values live. */
  config: PlainObject;
  /** The same with secrets shown as `***`: safe for outputs, logs and summaries. */
  redacted: PlainObject;
  /** Secret values used, for the runner to mask. */
  secrets: string[];
  /**
   * `sha256:` digest of the canonical JSON of `config` with each secret's value replaced by its
   * reference (`${secret:NAME}`): any change of the configuration shows, no secret can be guessed
   * from it, and rotating a secret leaves it as it was.
   */
  digest: string;
}

const configPath = (path: KeyPath): KeyPath => ["config", ...path];

/**
 * Resolves the references in the environment's `config` and validates the result against the
 * user's schema, when there is one. Every problem is reported at once, located in the file and
 * line that set the offending key.
 */
export function renderConfig(
  environment: LayeredEnvironment,
  lookup: VariableLookup,
  validate?: ConfigValidator,
  options: ResolveOptions = {},
): RenderedConfig {
  const template = environment.document.config ?? {};
  const located = (path: KeyPath): Pick<Problem, "path" | "at"> =>
    placeOfKey(environment, configPath(path));
  const resolution = resolveReferences(template, lookup, located, options);
  throwIfProblems(resolution.problems);
  const config = resolution.value as PlainObject;
  if (validate) {
    // A redacted render has *** where secrets go: the schema cannot judge those values.
    const unjudged = new Set(
      options.unsetSecrets === "redact"
        ? resolution.secretPaths.map((path) => formatKeyPath(path))
        : [],
    );
    const violations = validate(config).filter(
      (violation) => !unjudged.has(formatKeyPath(violation.path)),
    );
    throwIfProblems(
      violations.map((violation) => ({ ...located(violation.path), message: violation.message })),
    );
  }
  return {
    environment: environment.name,
    config,
    redacted: resolution.redacted as PlainObject,
    secrets: resolution.secrets,
    digest: contentDigest(resolution.referenced),
  };
}

/** A difference between two environments, with both declared values as safe display text. */
export interface ConfigDifference extends Difference {
  /** The value here (absent when removed), secrets masked. */
  here?: string;
  /** The value in the compared environment (absent when added), secrets masked. */
  there?: string;
}

function displayValue(template: unknown): string {
  if (typeof template === "string") return mentionsSecret(template) ? MASK : template;
  if (Array.isArray(template) || isPlainObject(template)) {
    return JSON.stringify(template, (_key, value: unknown) =>
      typeof value === "string" && mentionsSecret(value) ? MASK : value,
    );
  }
  return JSON.stringify(template);
}

function valueAt(tree: unknown, path: KeyPath): unknown {
  return path.reduce<unknown>(
    (node, key) => (node as Record<string | number, unknown> | undefined)?.[key],
    tree,
  );
}

/**
 * Compares the declared `config` of two environments (references unresolved, so the compared
 * environment's secrets are never needed): what this one adds, lacks, or sets differently.
 */
export function compareConfigs(
  here: LayeredEnvironment,
  there: LayeredEnvironment,
): ConfigDifference[] {
  const mine = here.document.config ?? {};
  const theirs = there.document.config ?? {};
  return diffTrees(mine, theirs, canonicalJson).map((difference) => {
    const own = valueAt(mine, difference.keyPath);
    const other = valueAt(theirs, difference.keyPath);
    return {
      ...difference,
      ...(difference.change === "removed" ? {} : { here: displayValue(own) }),
      ...(difference.change === "added" ? {} : { there: displayValue(other) }),
    };
  });
}
