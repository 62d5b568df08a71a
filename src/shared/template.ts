// `{{ name }}` templates: the gate's queries (`{{ canary }}`, `{{ interval }}`, ...) and deploy's
// hooks (`{{ version }}`, `{{ slot }}`, ...) share this syntax; each caller names its own values.

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g;

export type TemplateValues = Readonly<Record<string, string | undefined>>;

/** The placeholder names a template uses, in order of first use. */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ""))];
}

/** Names written as placeholders, for messages: `{{ version }}, {{ slot }}`. */
export function formatPlaceholders(names: readonly string[]): string {
  return names.map((name) => `{{ ${name} }}`).join(", ");
}

/**
 * Replaces every placeholder with what `replacement` returns for its name; `written` is the
 * placeholder as the template spells it, for a caller's own message about it.
 */
export function replacePlaceholders(
  template: string,
  replacement: (name: string, written: string) => string,
): string {
  return template.replace(PLACEHOLDER, (written, name: string) => replacement(name, written));
}

/**
 * Substitutes every placeholder. A placeholder that is unknown or has no value is an error naming
 * it: a query must never run with a hole in it (an empty `version=""` matches nothing, silently).
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  // Only the values' own names count: `{{ constructor }}` is unknown, not Object's constructor.
  const valueOf = (name: string) => (Object.hasOwn(values, name) ? values[name] : undefined);
  const missing = placeholders(template).filter((name) => valueOf(name) === undefined);
  if (missing.length > 0) {
    const known = Object.keys(values).filter((name) => valueOf(name) !== undefined);
    throw new Error(
      `${formatPlaceholders(missing)} ${missing.length === 1 ? "has" : "have"} no value` +
        (known.length > 0 ? ` (known here: ${formatPlaceholders(known)})` : ""),
    );
  }
  return replacePlaceholders(template, (name) => valueOf(name) ?? "");
}
