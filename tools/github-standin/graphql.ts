// POST /graphql, which the OpenAPI description does not cover: only the `minimizeComment` mutation
// (GitHub's "hide comment"), checked for its shape, applied to the stand-in's comments.
import type { JsonObject } from "./spec.js";
import type { GitHubState } from "./state.js";

export const MINIMIZE_OPERATION = "graphql/minimizeComment";
const CLASSIFIERS = new Set(["SPAM", "ABUSE", "OFF_TOPIC", "OUTDATED", "DUPLICATE", "RESOLVED"]);

export interface GraphqlAnswer {
  status: number;
  body: JsonObject;
  /** Where the request broke the mutation's shape. */
  problems: string[];
}

/**
 * Answers a GraphQL request. The query must be a `minimizeComment(input: { subjectId, classifier })`
 * mutation; `subjectId` may be inline or a `$variable`, `classifier` one of GitHub's enum values.
 */
export function answerGraphql(body: unknown, state: GitHubState): GraphqlAnswer {
  const request = body as { query?: unknown; variables?: Record<string, unknown> } | undefined;
  if (typeof request?.query !== "string") {
    return {
      status: 400,
      body: {
        message: "Problems parsing JSON",
        documentation_url: "https://docs.github.com/graphql",
      },
      problems: ["body has no query string"],
    };
  }
  const query = request.query;
  const variables = request.variables ?? {};
  const mutation =
    /^\s*mutation\b[^{]*\{\s*minimizeComment\s*\(\s*input\s*:\s*\{([^}]*)\}\s*\)\s*\{([\s\S]*)\}\s*\}\s*$/.exec(
      query,
    );
  if (!mutation) {
    return {
      status: 200,
      body: { errors: [{ message: "The stand-in answers only the minimizeComment mutation" }] },
      problems: [`unsupported GraphQL document: ${query.slice(0, 80)}`],
    };
  }
  const field = (name: string): unknown => {
    const match = new RegExp(`\\b${name}\\s*:\\s*(\\$\\w+|"[^"]*"|\\w+)`).exec(mutation[1]!);
    if (!match) return undefined;
    const value = match[1]!;
    if (value.startsWith("$")) return variables[value.slice(1)];
    return value.startsWith('"') ? value.slice(1, -1) : value;
  };
  const problems: string[] = [];
  const subjectId = field("subjectId");
  const classifier = field("classifier");
  if (typeof subjectId !== "string" || subjectId === "")
    problems.push("input.subjectId must be a node id");
  if (typeof classifier !== "string" || !CLASSIFIERS.has(classifier))
    problems.push(`input.classifier must be one of ${[...CLASSIFIERS].join(", ")}`);
  if (!/\bminimizedComment\b/.test(mutation[2]!))
    problems.push("the selection must ask for minimizedComment");
  if (problems.length > 0) {
    return { status: 200, body: { errors: problems.map((message) => ({ message })) }, problems };
  }
  const decoded = Buffer.from(String(subjectId), "base64").toString("utf8");
  const id = /^0:IssueComment(\d+)$/.exec(decoded)?.[1];
  for (const repository of state.allRepositories()) {
    const comment = id === undefined ? undefined : repository.comments.get(Number(id));
    if (!comment) continue;
    comment.minimizedAs = String(classifier);
    return {
      status: 200,
      body: {
        data: {
          minimizeComment: {
            minimizedComment: {
              isMinimized: true,
              minimizedReason: String(classifier).toLowerCase(),
            },
          },
        },
      },
      problems: [],
    };
  }
  return {
    status: 200,
    body: {
      data: { minimizeComment: null },
      errors: [
        {
          type: "NOT_FOUND",
          path: ["minimizeComment"],
          message: `Could not resolve to a node with the global id of '${String(subjectId)}'`,
        },
      ],
    },
    problems: [],
  };
}
