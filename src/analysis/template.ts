// Query templates: `{{ canary }}`, `{{ baseline }}`, `{{ interval }}`, `{{ version }}` and, for
// range queries of the http provider, `{{ start }}`, `{{ end }}`, `{{ step }}`.

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

/** Milliseconds as a Prometheus duration: 90000 -> "1m30s", 1500 -> "1500ms". */
export function promDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${Math.round(ms)}ms`;
  let seconds = ms / 1000;
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  return parts.join("") || "0s";
}
