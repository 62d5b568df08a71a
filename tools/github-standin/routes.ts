// Every path template and method of the description, and matching a request path against them.
import {
  isReference,
  jsonPointer,
  loadSpec,
  referenceSegments,
  resolveReference,
  type JsonObject,
  type OpenApiDocument,
  type ParameterObject,
  type ResponseObject,
} from "./spec.js";

/** A path or query parameter, with where its schema sits in the description. */
export interface OperationParameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  /** The schema's JSON type (`integer`, `boolean`...): a raw parameter is a string until converted. */
  type: string | undefined;
  schemaPointer: string;
}

/** One operation of the description, reduced to what routing and validation need. */
export interface Operation {
  operationId: string;
  method: string;
  template: string;
  parameters: OperationParameter[];
  /** Present when the operation takes a JSON body. */
  jsonBody?: { required: boolean; schemaPointer: string };
  /** Response status (or `default`) to the pointer of its JSON schema, or null when it has no JSON body. */
  responses: Map<string, string | null>;
}

export type RouteMatch =
  | { kind: "operation"; operation: Operation; pathParams: Record<string, string> }
  | { kind: "unknown-path" }
  | { kind: "unknown-method"; template: string };

interface Route {
  template: string;
  pattern: RegExp;
  paramNames: string[];
  /**
   * How literal each segment is: 2 plain text, 1 text around parameters, 0 one parameter. GitHub
   * prefers `/issues/comments` to `/issues/{issue_number}`, and `{base}...{head}` to `{basehead}`.
   */
  segmentWeights: number[];
  /** Lower-case methods the description has for this path; each described on first use. */
  methods: Set<string>;
  described: Map<string, Operation>;
}

let routes: Route[] | undefined;

/**
 * Finds the operation a request addresses. Among the templates a path matches, the most literal
 * one that has the method wins; a known path with an unknown method is told apart.
 */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const candidates = allRoutes()
    .map((route) => ({ route, match: route.pattern.exec(pathname) }))
    .filter(
      (candidate): candidate is { route: Route; match: RegExpExecArray } =>
        candidate.match !== null,
    )
    .sort((a, b) => compareSpecificity(a.route, b.route));
  const first = candidates[0];
  if (!first) return { kind: "unknown-path" };
  for (const { route, match } of candidates) {
    const operation = operationOf(route, method.toLowerCase());
    if (!operation) continue;
    const pathParams = Object.fromEntries(
      route.paramNames.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? "")]),
    );
    return { kind: "operation", operation, pathParams };
  }
  return { kind: "unknown-method", template: first.route.template };
}

function compareSpecificity(a: Route, b: Route): number {
  for (let index = 0; index < a.segmentWeights.length; index++) {
    const difference = (b.segmentWeights[index] ?? 0) - (a.segmentWeights[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function allRoutes(): Route[] {
  if (routes) return routes;
  const { document } = loadSpec();
  routes = Object.entries(document.paths).map(([template, methods]) => {
    const segments = template.split("/").slice(1);
    const paramNames = [...template.matchAll(/\{([^}]+)\}/g)].map((found) => found[1] ?? "");
    const pattern = new RegExp(`^/${segments.map(segmentPattern).join("/")}$`);
    const segmentWeights = segments.map(segmentWeight);
    return {
      template,
      pattern,
      paramNames,
      segmentWeights,
      methods: new Set(Object.keys(methods)),
      described: new Map(),
    };
  });
  return routes;
}

/** A parameter may fill a whole segment or part of one (`compare/{base}...{head}`). */
function segmentPattern(segment: string): string {
  return segment
    .split(/\{[^}]+\}/)
    .map(escapeRegExp)
    .join("([^/]+?)");
}

function segmentWeight(segment: string): number {
  if (!segment.includes("{")) return 2;
  return /^\{[^}]+\}$/.test(segment) ? 0 : 1;
}

function operationOf(route: Route, method: string): Operation | undefined {
  if (!route.methods.has(method)) return undefined;
  let operation = route.described.get(method);
  if (!operation) {
    operation = describeOperation(loadSpec().document, route.template, method);
    route.described.set(method, operation);
  }
  return operation;
}

function describeOperation(document: OpenApiDocument, template: string, method: string): Operation {
  const operation = document.paths[template]?.[method];
  if (!operation) throw new Error(`No ${method} ${template} in the OpenAPI description`);
  const operationPointer = ["paths", template, method];

  const parameters = (operation.parameters ?? []).flatMap(
    (parameter, index): OperationParameter[] => {
      const resolved = isReference(parameter)
        ? resolveReference<ParameterObject>(document, parameter)
        : parameter;
      if (resolved.in !== "path" && resolved.in !== "query") return [];
      const location = isReference(parameter)
        ? referenceSegments(parameter.$ref)
        : [...operationPointer, "parameters", `${index}`];
      const schema = isReference(resolved.schema)
        ? resolveReference<JsonObject>(document, resolved.schema)
        : resolved.schema;
      return [
        {
          name: resolved.name,
          in: resolved.in,
          required: resolved.required === true,
          type: typeof schema?.type === "string" ? schema.type : undefined,
          schemaPointer: jsonPointer([...location, "schema"]),
        },
      ];
    },
  );

  const jsonBodySchema = operation.requestBody?.content["application/json"]?.schema;
  const jsonBody = jsonBodySchema
    ? {
        required: operation.requestBody?.required === true,
        schemaPointer: jsonPointer([
          ...operationPointer,
          "requestBody",
          "content",
          "application/json",
          "schema",
        ]),
      }
    : undefined;

  const responses = new Map<string, string | null>();
  for (const [status, response] of Object.entries(operation.responses)) {
    const location = isReference(response)
      ? referenceSegments(response.$ref)
      : [...operationPointer, "responses", status];
    const resolved = isReference(response)
      ? resolveReference<ResponseObject>(document, response)
      : response;
    const hasJson = resolved.content?.["application/json"]?.schema !== undefined;
    responses.set(
      status,
      hasJson ? jsonPointer([...location, "content", "application/json", "schema"]) : null,
    );
  }

  return {
    operationId: operation.operationId,
    method: method.toUpperCase(),
    template,
    parameters,
    jsonBody,
    responses,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
