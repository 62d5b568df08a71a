// The `secrets` input: a JSON object of secret names to values, as `${{ toJSON(secrets) }}` gives
// it in a workflow (a reusable workflow called with `secrets: inherit` sees all of the caller's).
// `${secret:NAME}` references read from it before the process environment.
import { ConfigurationError } from "../shared/errors.js";

export interface SecretsInput {
  lookup: (name: string) => string | undefined;
  /** Every value, to be registered for masking before anything is printed. */
  values: string[];
}

export function parseSecretsInput(text: string | undefined, inputName = "secrets"): SecretsInput {
  if (text === undefined) return { lookup: () => undefined, values: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The text is never repeated: it holds secrets.
    throw new ConfigurationError({
      path: `input "${inputName}"`,
      message: "expected a JSON object of secret names to values, such as ${{ toJSON(secrets) }}",
    });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigurationError({
      path: `input "${inputName}"`,
      message: "expected a JSON object of secret names to values, such as ${{ toJSON(secrets) }}",
    });
  }
  const secrets = new Map<string, string>();
  for (const [name, value] of Object.entries(parsed))
    if (typeof value === "string" && value !== "") secrets.set(name, value);
  return { lookup: (name) => secrets.get(name), values: [...secrets.values()] };
}
