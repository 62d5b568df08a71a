// GitHub's own REST description (@octokit/openapi), read once per module registry and made ajv-ready.
//
// Only the 13 MB api.github.com.json is read: the package's index loads every variant (~385 MB).
import { readFileSync } from "node:fs";

export type JsonObject = { [key: string]: unknown };

/** `{ "$ref": "#/components/..." }`, the only kind of reference the description uses. */
export interface Reference {
  $ref: string;
}

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonObject;
}

export interface ResponseObject {
  content?: Record<string, { schema?: JsonObject }>;
}

export interface OperationObject {
  operationId: string;
  parameters?: (ParameterObject | Reference)[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonObject }> };
  responses: Record<string, ResponseObject | Reference>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { examples: Record<string, { value: unknown }> } & JsonObject;
}

export interface LoadedSpec {
  document: OpenApiDocument;
  /** How long reading, parsing and normalising took, in milliseconds. */
  loadMs: number;
}

const SPEC_FILE = new URL(
  "../../node_modules/@octokit/openapi/generated/api.github.com.json",
  import.meta.url,
);

let loaded: LoadedSpec | undefined;

/** The description, loaded on first use and kept for the life of the module registry. */
export function loadSpec(): LoadedSpec {
  if (loaded) return loaded;
  const started = performance.now();
  const document = JSON.parse(readFileSync(SPEC_FILE, "utf8")) as OpenApiDocument;
  for (const part of [
    document.paths,
    document.components.schemas,
    document.components.parameters,
    document.components.responses,
  ]) {
    makeAjvReady(part);
  }
  loaded = { document, loadMs: Math.round(performance.now() - started) };
  return loaded;
}

export function isReference(value: unknown): value is Reference {
  return (
    typeof value === "object" && value !== null && typeof (value as Reference).$ref === "string"
  );
}

/** Follows a `#/...` reference inside the description; a dangling one is a broken description. */
export function resolveReference<T>(document: OpenApiDocument, reference: Reference): T {
  let node: unknown = document;
  for (const segment of referenceSegments(reference.$ref)) {
    node = (node as JsonObject | undefined)?.[segment];
  }
  if (node === undefined) throw new Error(`The OpenAPI description has no ${reference.$ref}`);
  return node as T;
}

/** Builds a JSON pointer (`/paths/~1repos~1{owner}/get`) from raw segments, URI-safe for ajv. */
export function jsonPointer(segments: readonly string[]): string {
  return segments
    .map((segment) => `/${encodeURIComponent(segment.replace(/~/g, "~0").replace(/\//g, "~1"))}`)
    .join("");
}

/** The raw segments of a `#/...` reference, the inverse of `jsonPointer`. */
export function referenceSegments(reference: string): string[] {
  return reference
    .replace(/^#\//, "")
    .split("/")
    .map((segment) => decodeURIComponent(segment).replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A fresh copy of one of the description's named examples (`components.examples`). */
export function specExample(name: string): JsonObject {
  const example = loadSpec().document.components.examples[name];
  if (!example) throw new Error(`The OpenAPI description has no example named ${name}`);
  return structuredClone(example.value) as JsonObject;
}

/**
 * Rewrites, in place, what ajv would misread as plain JSON Schema:
 * - OpenAPI 3.0 lets `nullable: true` stand beside `allOf`/`oneOf` with no `type`, which ajv
 *   rejects, and does not add `null` to an `enum` by itself;
 * - a few `format: uri` fields default to `""` (deployment status URLs), and GitHub sends that
 *   empty string, which no URI format accepts.
 */
function makeAjvReady(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) makeAjvReady(item);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const schema = node as JsonObject;
  for (const value of Object.values(schema)) makeAjvReady(value);
  if (schema.format === "uri" && schema.default === "") {
    replaceWithAnyOf(schema, { const: "" });
  } else if (schema.nullable === true) {
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
    if (schema.type === undefined) {
      delete schema.nullable;
      replaceWithAnyOf(schema, { type: "null" });
    }
  }
}

/** Turns `schema` into `{ anyOf: [alternative, schema-as-it-was] }`, keeping the object's identity. */
function replaceWithAnyOf(schema: JsonObject, alternative: JsonObject): void {
  const original = { ...schema };
  for (const key of Object.keys(schema)) delete schema[key];
  schema.anyOf = [alternative, original];
}
