// `${env:NAME}`, `${var:NAME}` and `${secret:NAME}` references in configuration strings, resolved
// when an action reads the environment file.
import type { Problem } from "../shared/errors.js";
import { MASK } from "../shared/secrets.js";
import { isPlainObject } from "./merge-patch.js";
import { formatKeyPath, type KeyPath } from "./yaml-source.js";

const TOKEN = /\$\$\{|\$\{(?:(env|var|secret):([^}]*)\}|(env|var|secret):[^}]*$)/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Resolution {
  /** The value with every reference replaced by what it names. */
  value: unknown;
  /** The same, with each secret reference replaced by `***` instead. */
  redacted: unknown;
  /**
   * The same, with each secret reference left as written (`${secret:NAME}`) and each literal `$${`
   * kept, so that it cannot pass for one: what the digest covers, safe to publish.
   */
  referenced: unknown;
  /** Every secret value used, to be registered with the runner for masking. */
  secrets: string[];
  /** The key paths (relative to the resolved value) of strings that contain a secret. */
  secretPaths: KeyPath[];
  problems: Problem[];
}

/** What a reference names: an environment variable, a configuration variable, or a secret. */
export type ReferenceKind = "env" | "var" | "secret";

/**
 * Where references read from. In an action: the step's environment for `env`, the workflow's
 * `vars` for `var`, its `secrets` (then the environment) for `secret`, each secret registered for
 * masking the moment it is read.
 */
export type VariableLookup = (name: string, kind: ReferenceKind) => string | undefined;

/** How a problem names the string it is in. */
export type DescribePath = (path: KeyPath) => Pick<Problem, "path" | "at">;

export interface ResolveOptions {
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
  describePath: DescribePath = (path) => ({ path: formatKeyPath(path) }),
  options: ResolveOptions = {},
): Resolution {
  const resolver = new ReferenceResolver(lookup, describePath, options);
  const { value: resolved, redacted, referenced } = resolver.walk(value, []);
  return {
    value: resolved,
    redacted,
    referenced,
    secrets: [...resolver.secrets],
    secretPaths: resolver.secretPaths,
    problems: resolver.problems,
  };
}

interface Resolved {
  value: unknown;
  redacted: unknown;
  referenced: unknown;
}

/** Which rendering of a string: real values, `***` for secrets, or secrets as their references. */
type Rendering = keyof Resolved;

/** Reports a problem with the string being resolved (a no-op but in the `value` pass). */
type Report = (message: string) => void;

/** One resolution of a value: where references read from, and what it gathers on the way. */
class ReferenceResolver {
  readonly secrets = new Set<string>();
  readonly secretPaths: KeyPath[] = [];
  readonly problems: Problem[] = [];

  constructor(
    private readonly lookup: VariableLookup,
    private readonly describePath: DescribePath,
    private readonly options: ResolveOptions,
  ) {}

  walk(node: unknown, path: KeyPath): Resolved {
    if (typeof node === "string") return this.resolveString(node, path);
    if (Array.isArray(node)) {
      const items = node.map((item, index) => this.walk(item, [...path, index]));
      return {
        value: items.map((item) => item.value),
        redacted: items.map((item) => item.redacted),
        referenced: items.map((item) => item.referenced),
      };
    }
    if (isPlainObject(node)) {
      const value: Record<string, unknown> = {};
      const redacted: Record<string, unknown> = {};
      const referenced: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        const resolved = this.walk(child, [...path, key]);
        value[key] = resolved.value;
        redacted[key] = resolved.redacted;
        referenced[key] = resolved.referenced;
      }
      return { value, redacted, referenced };
    }
    return { value: node, redacted: node, referenced: node };
  }

  /**
   * Three passes over the string: one with real values, which reports problems and gathers
   * secrets, one with `***` for each secret and one with each secret's reference, which only render.
   */
  private resolveString(text: string, path: KeyPath): Record<Rendering, string> {
    let hasSecret = false;
    const substitute = (rendering: Rendering): string =>
      text.replace(TOKEN, (token, kind?: string, name?: string, unterminated?: string) => {
        if (token === "$${") return rendering === "referenced" ? token : "${";
        const report: Report = (message) => {
          if (rendering === "value") this.problems.push({ ...this.describePath(path), message });
        };
        if (unterminated) {
          report(
            `unterminated reference ${JSON.stringify(token)}: expected \${${unterminated}:NAME}`,
          );
          return token;
        }
        const reference = `\${${kind}:${name}}`;
        if (!name || !VARIABLE_NAME.test(name)) {
          report(
            `invalid reference ${reference}: ` +
              "NAME must be letters, digits and underscores, not starting with a digit",
          );
          return token;
        }
        if (kind !== "secret") return this.variable(name, kind as ReferenceKind, reference, report);
        hasSecret = true;
        if (rendering === "referenced") return reference;
        return this.secret(name, reference, rendering === "redacted", report);
      });
    const value = substitute("value");
    const redacted = substitute("redacted");
    const referenced = substitute("referenced");
    if (hasSecret) this.secretPaths.push(path);
    return { value, redacted, referenced };
  }

  /** An unset variable is a problem and renders as nothing. */
  private variable(name: string, kind: ReferenceKind, reference: string, report: Report): string {
    const resolved = this.lookup(name, kind);
    if (resolved !== undefined) return resolved;
    report(
      kind === "var"
        ? `configuration variable ${reference} is not set: define it in the repository's or ` +
            "environment's variables, and pass vars: ${{ toJSON(vars) }} to the step"
        : `environment variable ${reference} is not set`,
    );
    return "";
  }

  private secret(name: string, reference: string, redact: boolean, report: Report): string {
    const resolved = this.lookup(name, "secret");
    if (resolved === undefined || resolved === "") {
      if (this.options.unsetSecrets !== "redact")
        report(
          `secret ${reference} is not set or empty: ` +
            `pass it to the step as env ${name}: \${{ secrets.${name} }}`,
        );
      return MASK;
    }
    if (!redact) this.secrets.add(resolved);
    return redact ? MASK : resolved;
  }
}
