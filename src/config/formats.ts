// The rendered configuration as JSON, YAML or dotenv text, and keys turned into variable names.
import { stringify } from "yaml";
import { ConfigurationError, type Problem } from "../shared/errors.js";
import { leaves } from "./flatten.js";
import { reservedBecause } from "./reserved-names.js";
import { formatKeyPath, type KeyPath } from "./yaml-source.js";

export const FORMATS = ["json", "yaml", "dotenv"] as const;
export type Format = (typeof FORMATS)[number];

/**
 * A key as an environment variable name: `dbHost`, `db-host` and `db.host` all become `DB_HOST`.
 * Returns undefined when nothing usable is left (the key has no letters or digits).
 */
export function toVariableName(key: string): string | undefined {
  const name = key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
  if (name === "") return undefined;
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

export interface Variable {
  name: string;
  value: string;
  path: KeyPath;
}

function scalarText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Turns leaves into variables: the path's keys converted and joined by `__` (the convention .NET
 * and many twelve-factor loaders read back as nesting). Arrays and empty objects become JSON text.
 * Two keys that give the same name, a key that gives no name, or a reserved name (see
 * reserved-names.ts: the runner's, and those that change how later processes start) is a problem.
 */
export function toVariables(
  entries: readonly { path: KeyPath; value: unknown }[],
  pathPrefix: KeyPath = [],
): Variable[] {
  const problems: Problem[] = [];
  const byName = new Map<string, Variable>();
  for (const { path, value } of entries) {
    const parts = path.map((segment) => toVariableName(String(segment)));
    const where = formatKeyPath([...pathPrefix, ...path]);
    if (parts.some((part) => part === undefined)) {
      problems.push({
        path: where,
        message:
          "this key cannot be turned into an environment variable name (it has no letters or digits)",
      });
      continue;
    }
    const name = parts.join("__");
    const reserved = reservedBecause(name);
    if (reserved) {
      problems.push({
        path: where,
        message: `would be exported as ${name}, ${reserved}; rename the key`,
      });
      continue;
    }
    const clash = byName.get(name);
    if (clash) {
      problems.push({
        path: where,
        message: `would be exported as ${name}, the same name as ${formatKeyPath([...pathPrefix, ...clash.path])}`,
      });
      continue;
    }
    byName.set(name, { name, value: scalarText(value), path });
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return [...byName.values()];
}

/**
 * A value in double quotes, as POSIX sh reads them: the four characters that stay special there
 * (`\`, `"`, `$` and the backtick) are escaped, everything else (line breaks included) is
 * literal. Sourcing the file in bash or sh gives back each value exactly, and runs nothing.
 */
function dotenvQuote(value: string): string {
  return `"${value.replace(/[\\"$`]/g, "\\$&")}"`;
}

/** The configuration as text in the chosen format, ending with a newline. */
export function serializeConfig(config: Record<string, unknown>, format: Format): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(config, null, 2)}\n`;
    case "yaml":
      return stringify(config, { lineWidth: 0 });
    case "dotenv":
      return toVariables(leaves(config), ["config"])
        .map((variable) => `${variable.name}=${dotenvQuote(variable.value)}\n`)
        .join("");
  }
}
