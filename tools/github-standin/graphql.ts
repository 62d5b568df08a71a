// POST /graphql, checked against GitHub's published GraphQL schema (@octokit/graphql-schema) and
// executed by graphql-js over the stand-in's state: every document is validated before it runs,
// and every answer is built by the schema's own types, so a field GitHub does not have, a wrong
// argument or an impossible enum value fails here as it would on GitHub.
import {
  buildSchema,
  execute,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { schema as published } from "@octokit/graphql-schema";
import type { JsonObject } from "./spec.js";
import type { DeploymentRecord, GitHubState, RepositoryState } from "./state.js";

export interface GraphqlAnswer {
  status: number;
  body: JsonObject;
  /** Where the request broke the schema. */
  problems: string[];
}

let schema: GraphQLSchema | undefined;
/** GitHub's schema, built once per module registry (about half a second). */
function githubSchema(): GraphQLSchema {
  if (!schema) {
    // The published SDL defines two fields of EnterpriseOwnerInfo twice; the check is GitHub's to fix.
    schema = buildSchema(published.idl, { assumeValidSDL: true });
  }
  return schema;
}

/** The operation's id for faults and the call log: `graphql/<first root field>`. */
export function graphqlOperationId(body: unknown): string {
  try {
    const document = parse(String((body as { query?: unknown } | undefined)?.query ?? ""));
    const operation = document.definitions.find(
      (definition): definition is OperationDefinitionNode =>
        definition.kind === "OperationDefinition",
    );
    const field = operation?.selectionSet.selections.find(
      (selection) => selection.kind === "Field",
    );
    return `graphql/${field && "name" in field ? field.name.value : "unknown"}`;
  } catch {
    return "graphql/unknown";
  }
}

/** Answers a GraphQL request as GitHub does: 200 with `data`, or `errors` for a document it refuses. */
export function answerGraphql(body: unknown, state: GitHubState): GraphqlAnswer {
  const request = body as { query?: unknown; variables?: unknown } | undefined;
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
  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch (error) {
    return refused([(error as Error).message]);
  }
  const invalid = validate(githubSchema(), document).map((error) => error.message);
  if (invalid.length > 0) return refused(invalid);
  const result = execute({
    schema: githubSchema(),
    document,
    rootValue: rootValue(state),
    variableValues: (request.variables ?? {}) as Record<string, unknown>,
  });
  if (result instanceof Promise) throw new Error("the stand-in's resolvers are synchronous");
  const errors = (result.errors ?? []).map((error) => error.toJSON());
  return {
    status: 200,
    body: { data: result.data ?? null, ...(errors.length > 0 ? { errors } : {}) } as JsonObject,
    // A resolver error is an answer GitHub could give (NOT_FOUND); a type error is the stand-in's.
    problems: errors
      .map((error) => error.message)
      .filter((message) => !message.startsWith("Could not resolve")),
  };
}

function refused(messages: string[]): GraphqlAnswer {
  return {
    status: 200,
    body: { errors: messages.map((message) => ({ message })) },
    problems: messages,
  };
}

/** GitHub's deployment status states are enum values in GraphQL. */
const upper = (state: string): string => state.toUpperCase();

function deploymentNode(record: DeploymentRecord) {
  const latest = record.statuses.at(-1);
  return {
    id: Buffer.from(`0:Deployment${record.id}`).toString("base64"),
    databaseId: record.id,
    commitOid: record.sha,
    ref: { name: record.ref },
    task: record.task,
    payload: JSON.stringify(record.payload ?? {}),
    environment: record.environment,
    originalEnvironment: record.originalEnvironment,
    description: record.description,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    state: latest ? upper(latest.state) : "PENDING",
    latestStatus: latest
      ? { state: upper(latest.state), description: latest.description, createdAt: latest.createdAt }
      : null,
  };
}

interface DeploymentsArguments {
  environments?: string[];
  first?: number;
  orderBy?: { field: string; direction: "ASC" | "DESC" };
}

function deployments(repository: RepositoryState, args: DeploymentsArguments) {
  const wanted = args.environments?.map((name) => name.toLowerCase());
  const direction = args.orderBy?.direction === "DESC" ? -1 : 1;
  const all = [...repository.deployments.values()]
    .filter((record) => !wanted || wanted.includes(record.environment.toLowerCase()))
    .sort((a, b) => direction * (a.id - b.id));
  const nodes = all.slice(0, Math.min(args.first ?? 100, 100)).map(deploymentNode);
  return {
    nodes,
    totalCount: all.length,
    pageInfo: { hasNextPage: nodes.length < all.length, hasPreviousPage: false },
  };
}

function minimizeComment(state: GitHubState, input: { subjectId: string; classifier: string }) {
  const decoded = Buffer.from(input.subjectId, "base64").toString("utf8");
  const id = Number(/^0:IssueComment(\d+)$/.exec(decoded)?.[1]);
  for (const repository of state.allRepositories()) {
    const comment = repository.comments.get(id);
    if (!comment) continue;
    comment.minimizedAs = input.classifier;
    return {
      minimizedComment: {
        __typename: "IssueComment",
        isMinimized: true,
        minimizedReason: input.classifier.toLowerCase(),
      },
    };
  }
  throw new Error(`Could not resolve to a node with the global id of '${input.subjectId}'`);
}

/** An issue comment by its global id, as `node`/`nodes` answer it; null for any other id. */
function commentNode(state: GitHubState, id: string) {
  const decoded = Buffer.from(id, "base64").toString("utf8");
  const number = Number(/^0:IssueComment(\d+)$/.exec(decoded)?.[1]);
  for (const repository of state.allRepositories()) {
    const comment = repository.comments.get(number);
    if (!comment) continue;
    return {
      __typename: "IssueComment",
      id,
      databaseId: comment.id,
      body: comment.body,
      isMinimized: comment.minimizedAs !== undefined,
      minimizedReason: comment.minimizedAs?.toLowerCase() ?? null,
    };
  }
  return null;
}

/** The root fields the stand-in answers; any other valid field resolves to null, as absent data. */
function rootValue(state: GitHubState) {
  return {
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repository = state.repository(owner, name);
      if (!repository) {
        throw new Error(`Could not resolve to a Repository with the name '${owner}/${name}'.`);
      }
      return {
        name: repository.name,
        nameWithOwner: repository.fullName,
        deployments: (args: DeploymentsArguments) => deployments(repository, args),
      };
    },
    minimizeComment: ({ input }: { input: { subjectId: string; classifier: string } }) =>
      minimizeComment(state, input),
    node: ({ id }: { id: string }) => commentNode(state, id),
    nodes: ({ ids }: { ids: string[] }) => ids.map((id) => commentNode(state, id)),
  };
}
