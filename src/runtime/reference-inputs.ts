// The `secrets` and `vars` inputs: JSON objects of names to values, as `${{ toJSON(secrets) }}` and
// `${{ toJSON(vars) }}` give them in a workflow (a reusable workflow called with `secrets: inherit`
// sees all of the caller's secrets, and every job sees the repository's and environment's vars).
import { ConfigurationError } from "../shared/errors.js";

const EXPECTED = {
  secrets: "a JSON object of secret names to values, such as ${{ toJSON(secrets) }}",
  vars: "a JSON object of variable names to values, such as ${{ toJSON(vars) }}",
} as const;

/** The names and values of a `secrets` or `vars` input; an empty value counts as unset. */
export function parseNamedValues(
  text: string | undefined,
  input: keyof typeof EXPECTED,
): ReadonlyMap<string, string> {
  const values = new Map<string, string>();
  if (text === undefined) return values;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    // The text is never repeated: it may hold secrets.
    throw new ConfigurationError({
      path: `input "${input}"`,
      message: `expected ${EXPECTED[input]}`,
    });
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === "string" && value !== "") values.set(name, value);
  }
  return values;
}
