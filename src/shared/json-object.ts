// Objects that may arrive as JSON text: GitHub returns a deployment's payload either way.

/**
 * The object `value` holds, parsing JSON text (again, if it was encoded twice); anything that is
 * not an object, or text that is not JSON, gives an empty object.
 */
export function objectFromJson(value: unknown): Record<string, unknown> {
  let parsed = value;
  while (typeof parsed === "string") {
    try {
      parsed = JSON.parse(parsed);
    } catch {
      return {};
    }
  }
  return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
}
