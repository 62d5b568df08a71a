// The last line of defence for secrets: whatever text leaves an action is scrubbed of known values.
/** Shown wherever a secret's value would be. */
export const MASK = "***";

/**
 * Replaces every occurrence of a known secret value (and of each of its lines) with `***`,
 * longest first so a secret that contains another is masked whole.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const values = [...new Set(secrets.flatMap((secret) => [secret, ...secret.split(/\r?\n/)]))]
    .filter((value) => value.trim().length > 0)
    .sort((a, b) => b.length - a.length);
  let scrubbed = text;
  for (const value of values) scrubbed = scrubbed.split(value).join(MASK);
  return scrubbed;
}
