// `${env:NAME}` and `${secret:NAME}` references inside configuration strings, resolved at render time.
import type { Problem } from "../shared/errors.js";
import { MASK } from "../shared/secrets.js";
import { isPlainObject } from "./merge-patch.js";
import { formatKeyPath, type KeyPath } from "./yaml-source.js";

const TOKEN = /\$\$\{|\$\{(?:(env|secret):([^}]*)\}|(env|secret):[^}]*$)/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Resolution {
  /** The value with every reference replaced by what it names. */
  value: unknown;
  /** The same, with each secret reference replaced by `***` instead. */
  redacted: unknown;
  /** Every secret value used, to be registered with the runner for masking. */
  secrets: string[];
  /** The key paths (relative to the resolved value) of strings that contain a secret. */
  secretPaths: KeyPath[];
  problems: Problem[];
}

/** Where references read from: the process environment, in an action. */
export type VariableLookup = (name: string) => string | undefined;

export interface ResolveOptions {
  /** Where `${secret:NAME}` reads from, when not from `lookup` (a JSON of the workflow's secrets). */
  secretLookup?: VariableLookup;
  /**
   * `error` (default): an unset or empty secret is a problem. `redact`: it renders as `***`
   * without a problem, for checks that never see secret values (pull requests from forks).
   */
  unsetSecrets?: "error" | "redact";
}

/** Whether a string holds a reference to a secret (`$${secret:...}` is an escaped literal, not one). */
export function mentionsSecret(text: string): boolean {
  return [...text.matchAll(TOKEN)].some((match) => match[1] === "secret" || match[3] === "secret");
}

/**
 * Resolves every reference inside the strings of `value` (keys are never resolved). `$${` writes a
 * literal `${`. A reference to an unset variable, a secret that is unset or empty (GitHub passes
 * an unset secret as an empty string), a malformed name, or an unterminated reference is a problem
 * naming `describePath(path)` and the reference.
 */
export function resolveReferences(
  value: unknown,
  lookup: VariableLookup,
  describePath: (path: KeyPath) => Pick<Problem, "path" | "at"> = (path) => ({
    path: formatKeyPath(path),
  }),
  options: ResolveOptions = {},
): Resolution {
  const secrets = new Set<string>();
  const secretPaths: KeyPath[] = [];
  const problems: Problem[] = [];

  const resolveString = (text: string, path: KeyPath): { value: string; redacted: string } => {
    let hasSecret = false;
    const substitute = (redact: boolean) =>
      text.replace(TOKEN, (token, kind?: string, name?: string, unterminated?: string) => {
        if (token === "$${") return "${";
        if (unterminated) {
          if (!redact)
            problems.push({
              ...describePath(path),
              message: `unterminated reference ${JSON.stringify(token)}: expected \${${unterminated}:NAME}`,
            });
          return token;
        }
        const reference = `\${${kind}:${name}}`;
        if (!name || !VARIABLE_NAME.test(name)) {
          if (!redact)
            problems.push({
              ...describePath(path),
              message: `invalid reference ${reference}: NAME must be letters, digits and underscores, not starting with a digit`,
            });
          return token;
        }
        const resolved =
          kind === "secret" ? (options.secretLookup?.(name) ?? lookup(name)) : lookup(name);
        if (kind === "secret") {
          hasSecret = true;
          if (resolved === undefined || resolved === "") {
            if (options.unsetSecrets === "redact") return MASK;
            if (!redact)
              problems.push({
                ...describePath(path),
                message: `secret ${reference} is not set or empty: pass it to the step as env ${name}: \${{ secrets.${name} }}`,
              });
            return MASK;
          }
          if (!redact) secrets.add(resolved);
          return redact ? MASK : resolved;
        }
        if (resolved === undefined) {
          if (!redact)
            problems.push({
              ...describePath(path),
              message: `environment variable ${reference} is not set`,
            });
          return "";
        }
        return resolved;
      });
    const resolved = substitute(false);
    const redacted = substitute(true);
    if (hasSecret) secretPaths.push(path);
    return { value: resolved, redacted };
  };

  const walk = (node: unknown, path: KeyPath): { value: unknown; redacted: unknown } => {
    if (typeof node === "string") return resolveString(node, path);
    if (Array.isArray(node)) {
      const items = node.map((item, index) => walk(item, [...path, index]));
      return {
        value: items.map((item) => item.value),
        redacted: items.map((item) => item.redacted),
      };
    }
    if (isPlainObject(node)) {
      const value: Record<string, unknown> = {};
      const redacted: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        const resolved = walk(child, [...path, key]);
        value[key] = resolved.value;
        redacted[key] = resolved.redacted;
      }
      return { value, redacted };
    }
    return { value: node, redacted: node };
  };

  const { value: resolved, redacted } = walk(value, []);
  return { value: resolved, redacted, secrets: [...secrets], secretPaths, problems };
}
