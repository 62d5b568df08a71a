// Requests and responses checked against the description with ajv; each validator compiled once, on first use.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import formats from "ajv-formats";
import type { Operation, OperationParameter } from "./routes.js";
import {
  isReference,
  jsonPointer,
  loadSpec,
  type JsonObject,
  type OpenApiDocument,
} from "./spec.js";

const SPEC_ID = "https://api.github.com/openapi.json";
const BASIC_ERROR = jsonPointer(["components", "schemas", "basic-error"]);

/** Parameters as typed values (`deployment_id` a number), once the request passed validation. */
export interface TypedParameters {
  path: JsonObject;
  query: JsonObject;
}

let instance: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/** Converts path and query parameters to their schema types, then checks them; returns the problems found. */
export function validateParameters(
  operation: Operation,
  raw: { path: Record<string, string>; query: Record<string, string> },
): { parameters: TypedParameters; problems: string[] } {
  const parameters: TypedParameters = {
    path: convertParameters(operation.parameters, "path", raw.path),
    query: convertParameters(operation.parameters, "query", raw.query),
  };
  const validate = validator(`${operation.method} ${operation.template} parameters`, () =>
    parametersSchema(operation),
  );
  return { parameters, problems: validate(parameters) ? [] : describe("", validate.errors) };
}

/** Checks a request body against the operation's JSON schema. */
export function validateBody(operation: Operation, body: unknown): string[] {
  const jsonBody = operation.jsonBody;
  if (!jsonBody) return [];
  if (body === undefined) return jsonBody.required ? ["body is required"] : [];
  const validate = validator(jsonBody.schemaPointer, () => ({
    $ref: `${SPEC_ID}#${jsonBody.schemaPointer}`,
  }));
  return validate(body) ? [] : describe("body", validate.errors);
}

/**
 * Checks a response the stand-in is about to send. An error status the operation does not list
 * must still look like GitHub's error body (`basic-error`).
 */
export function validateResponse(operation: Operation, status: number, body: unknown): string[] {
  const described = describedSchema(operation, status);
  if (described === undefined && status < 400)
    return [`status ${status} is not described for ${operation.operationId}`];
  const schemaPointer = described === undefined ? BASIC_ERROR : described;
  if (schemaPointer === null) {
    return body === undefined
      ? []
      : [`status ${status} of ${operation.operationId} has no body in the description`];
  }
  if (body === undefined) return [`status ${status} of ${operation.operationId} needs a JSON body`];
  const validate = validator(schemaPointer, () => ({ $ref: `${SPEC_ID}#${schemaPointer}` }));
  return validate(body) ? [] : describe(`response ${status}`, validate.errors);
}

/** The pointer to the JSON schema the description gives a status, null for no body, undefined when not listed. */
function describedSchema(operation: Operation, status: number): string | null | undefined {
  for (const key of [`${status}`, "default"]) {
    if (operation.responses.has(key)) return operation.responses.get(key) ?? null;
  }
  return undefined;
}

/**
 * A parameter arrives as text; its schema says what it holds. Text that does not convert cleanly
 * stays text, so the schema check reports it (`per_page=ten` must be integer).
 */
function convertParameters(
  parameters: readonly OperationParameter[],
  location: "path" | "query",
  raw: Record<string, string>,
): JsonObject {
  const converted: JsonObject = { ...raw };
  for (const parameter of parameters) {
    const text = raw[parameter.name];
    if (parameter.in !== location || text === undefined) continue;
    if (
      (parameter.type === "integer" || parameter.type === "number") &&
      /^-?\d+(\.\d+)?$/.test(text)
    ) {
      converted[parameter.name] = Number(text);
    } else if (parameter.type === "boolean" && (text === "true" || text === "false")) {
      converted[parameter.name] = text === "true";
    } else if (parameter.type === "array") {
      converted[parameter.name] = text.split(",");
    }
  }
  return converted;
}

function parametersSchema(operation: Operation): JsonObject {
  const group = (location: "path" | "query"): JsonObject => {
    const parameters = operation.parameters.filter((parameter) => parameter.in === location);
    return {
      type: "object",
      properties: Object.fromEntries(
        parameters.map((parameter) => [
          parameter.name,
          parameter.name === "created"
            ? CREATED_RANGE
            : { $ref: `${SPEC_ID}#${parameter.schemaPointer}` },
        ]),
      ),
      required: parameters
        .filter((parameter) => parameter.required)
        .map((parameter) => parameter.name),
    };
  };
  return { type: "object", properties: { path: group("path"), query: group("query") } };
}

/** A day, with a time (and its zone) or without. */
const MOMENT = "[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9:.]+(?:Z|[+-][0-9]{2}:[0-9]{2})?)?";

/**
 * `created` (workflow runs) is typed `format: date-time` in the description, but GitHub documents
 * and accepts its search syntax: a day or time, a range `A..B` (either side `*`), or `>=A`, `<A`…
 */
const CREATED_RANGE: JsonObject = {
  type: "string",
  pattern: `^(?:(?:>=|<=|>|<)?${MOMENT}|(?:\\*|${MOMENT})\\.\\.(?:\\*|${MOMENT}))$`,
};

function validator(key: string, schema: () => JsonObject): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv().compile(schema());
    validators.set(key, validate);
  }
  return validate;
}

function ajv(): Ajv {
  if (instance) return instance;
  // Refs compiled once each and shared by every operation, rather than inlined into each.
  instance = new Ajv({ strict: false, allErrors: true, validateSchema: false, inlineRefs: false });
  formats.default(instance);
  // Formats only GitHub uses; they carry no constraint worth checking here.
  instance.addFormat("repo.nwo", true);
  instance.addFormat("timestamp", true);
  instance.addSchema(schemasOnly(loadSpec().document), SPEC_ID);
  return instance;
}

/**
 * The description without its examples and prose, every schema at the same pointer: ajv walks
 * the whole of a document it is given, and examples are a third of this one.
 */
function schemasOnly(document: OpenApiDocument): JsonObject {
  const jsonContent = (
    content: Record<string, { schema?: JsonObject }> | undefined,
  ): JsonObject | undefined => {
    const schema = content?.["application/json"]?.schema;
    return schema ? { "application/json": { schema } } : undefined;
  };
  const paths = Object.fromEntries(
    Object.entries(document.paths).map(([template, methods]) => [
      template,
      Object.fromEntries(
        Object.entries(methods).map(([method, operation]) => [
          method,
          {
            parameters: operation.parameters,
            requestBody: { content: jsonContent(operation.requestBody?.content) },
            responses: Object.fromEntries(
              Object.entries(operation.responses).map(([status, response]) => [
                status,
                isReference(response) ? response : { content: jsonContent(response.content) },
              ]),
            ),
          },
        ]),
      ),
    ]),
  );
  const { schemas, parameters, responses } = document.components;
  return { paths, components: { schemas, parameters, responses } };
}

function describe(prefix: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const where = `${prefix}${error.instancePath}`.replace(/^\//, "") || "(parameters)";
    const allowed = Array.isArray(error.params.allowedValues)
      ? ` (${error.params.allowedValues.join(", ")})`
      : "";
    const extra =
      typeof error.params.additionalProperty === "string"
        ? ` (${error.params.additionalProperty})`
        : "";
    return `${where} ${error.message ?? "is invalid"}${allowed}${extra}`;
  });
}
