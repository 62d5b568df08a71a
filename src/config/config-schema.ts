// Validation of a rendered configuration against the user's environments/config.schema.json.
import { Ajv, type ErrorObject } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { Problem } from "../shared/errors.js";
import type { KeyPath } from "./yaml-source.js";

// ajv-formats is CommonJS with a default export; under NodeNext its namespace arrives as the default.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export interface SchemaViolation {
  /** Key path inside the configuration. */
  path: KeyPath;
  message: string;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function describe(error: ErrorObject): SchemaViolation {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") {
    return {
      path: [...path, String(params.missingProperty)],
      message: "is required by config.schema.json but missing",
    };
  }
  if (error.keyword === "additionalProperties") {
    return {
      path: [...path, String(params.additionalProperty)],
      message: "is not allowed by config.schema.json (additionalProperties is false)",
    };
  }
  const allowed =
    error.keyword === "enum"
      ? `: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`
      : "";
  return { path, message: `${error.message ?? "is invalid"}${allowed}` };
}

export type ConfigValidator = (config: unknown) => SchemaViolation[];

/**
 * Compiles a JSON Schema (draft-07, or 2020-12 when its `$schema` says so) with the standard
 * formats. An invalid schema is a problem for the schema file, reported by the caller.
 */
export function compileConfigSchema(schema: unknown): {
  validate?: ConfigValidator;
  problem?: Omit<Problem, "at">;
} {
  const declared =
    typeof schema === "object" && schema !== null
      ? String((schema as { $schema?: unknown }).$schema ?? "")
      : "";
  const ajv = declared.includes("2020-12")
    ? new Ajv2020({ allErrors: true, strict: false })
    : new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  try {
    const check = ajv.compile(schema as object);
    return {
      validate: (config) => (check(config) ? [] : (check.errors ?? []).map(describe)),
    };
  } catch (error) {
    return { problem: { message: `is not a valid JSON Schema: ${(error as Error).message}` } };
  }
}
