// The last line of defence for secrets: whatever text leaves an action is scrubbed of known values.
/** Shown wherever a secret's value would be. */
export const MASK = "***";
/** Variants shorter than this are not worth masking: they would blank ordinary text. */
const SHORTEST_VARIANT = 4;

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

/**
 * The forms a secret takes on its way out: as written, with its case changed (hosts are lowercased),
 * URL-encoded (paths and queries), base64 (credentials, payloads) and JSON-escaped (request bodies).
 */
export function secretVariants(secret: string): string[] {
  const forms = [
    secret,
    secret.toLowerCase(),
    secret.toUpperCase(),
    encodeURIComponent(secret),
    encodeURI(secret),
    Buffer.from(secret).toString("base64"),
    Buffer.from(secret).toString("base64url"),
    JSON.stringify(secret).slice(1, -1),
  ];
  return [...new Set(forms)].filter(
    (form, index) => index === 0 || form.length >= SHORTEST_VARIANT,
  );
}

/**
 * Every secret one run knows, in one place: what is added is announced once (the step context
 * registers it with the runner's masking), with each of its variants, and scrubbed from whatever
 * text is handed to `scrub`.
 */
export class SecretRegistry {
  readonly #values = new Set<string>();

  constructor(private readonly onAdd: (value: string) => void = () => {}) {}

  /** Adds values; empty and undefined ones are ignored, a value already known is not re-announced. */
  add(...values: readonly (string | undefined)[]): void {
    for (const value of values) {
      if (value === undefined || value === "" || this.#values.has(value)) continue;
      for (const variant of secretVariants(value)) {
        if (this.#values.has(variant)) continue;
        this.#values.add(variant);
        this.onAdd(variant);
      }
    }
  }

  get values(): readonly string[] {
    return [...this.#values];
  }

  scrub(text: string): string {
    return this.#values.size === 0 ? text : scrubSecrets(text, [...this.#values]);
  }
}
