// Reads an action's inputs once, through one zod schema whose keys are the input names.
import * as z from "zod/mini";
import type { $ZodIssue, $ZodLooseShape } from "zod/v4/core";
import { ConfigurationError, type Problem } from "../shared/errors.js";
import "../shared/validation.js";

/** The environment variable the runner sets for an input: `config-dir` -> `INPUT_CONFIG-DIR`. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** A boolean input as the runner's YAML 1.2 core schema spells it (true/True/TRUE, false/False/FALSE). */
export const booleanInput = (fallback: boolean) =>
  z._default(
    z.stringbool({
      truthy: ["true", "True", "TRUE"],
      falsy: ["false", "False", "FALSE"],
      case: "sensitive",
      error: "expected true or false",
    }),
    fallback,
  );

/** A boolean input that may be left out: undefined then, so a setting elsewhere applies. */
export const optionalBooleanInput = () =>
  z.optional(
    z.stringbool({
      truthy: ["true", "True", "TRUE"],
      falsy: ["false", "False", "FALSE"],
      case: "sensitive",
      error: "expected true or false",
    }),
  );

/** A whole number input within bounds, given as text. */
export const integerInput = (fallback: number, min: number, max: number) =>
  z._default(
    z.pipe(
      z.string().check(z.regex(/^-?\d+$/, { error: "expected a whole number" })),
      z.pipe(
        z.transform((value: string) => Number(value)),
        z.number().check(z.gte(min), z.lte(max)),
      ),
    ),
    fallback,
  );

function describeIssue(
  issue: $ZodIssue,
  raw: Record<string, string | undefined>,
  secret: ReadonlySet<string>,
): Problem {
  const name = String(issue.path[0] ?? "");
  const given = raw[name];
  const detail =
    given === undefined || secret.has(name)
      ? ""
      : ` (got ${JSON.stringify(given.length > 80 ? `${given.slice(0, 80)}…` : given)})`;
  const message =
    issue.code === "invalid_type" && given === undefined ? "is required" : issue.message;
  return { path: `input "${name}"`, message: `${message}${detail}` };
}

/**
 * Reads every input the schema names from the process environment, trimmed, with empty values
 * treated as not given (so defaults apply), and parses them in one go. Every invalid input is
 * reported, each naming the input; the values of `secretInputs` are never repeated in a message.
 */
export function readInputs<Shape extends $ZodLooseShape>(
  schema: z.ZodMiniObject<Shape>,
  env: NodeJS.ProcessEnv = process.env,
  secretInputs: readonly string[] = [],
): z.infer<z.ZodMiniObject<Shape>> {
  const raw: Record<string, string | undefined> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = env[inputVariable(name)]?.trim();
    raw[name] = value === "" ? undefined : value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => describeIssue(issue, raw, new Set(secretInputs))),
    );
  }
  return parsed.data;
}
