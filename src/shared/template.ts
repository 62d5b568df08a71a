// `{{ name }}` templates: the gate's queries (`{{ canary }}`, `{{ interval }}`, ...) and deploy's
// hooks (`{{ version }}`, `{{ slot }}`, ...) share this syntax; each caller names its own values.

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g;

export type TemplateValues = Readonly<Record<string, string | undefined>>;

/** The placeholder names a template uses, in order of first use. */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ""))];
}

/**
 * Substitutes every placeholder. A placeholder that is unknown or has no value is an error naming
 * it: a query must never run with a hole in it (an empty `version=""` matches nothing, silently).
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  const missing = placeholders(template).filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    const known = Object.keys(values).filter((name) => values[name] !== undefined);
    throw new Error(
      `${missing.map((name) => `{{ ${name} }}`).join(", ")} ${missing.length === 1 ? "has" : "have"} no value` +
        (known.length > 0
          ? ` (known here: ${known.map((name) => `{{ ${name} }}`).join(", ")})`
          : ""),
    );
  }
  return template.replace(PLACEHOLDER, (_match, name: string) => values[name] ?? "");
}
