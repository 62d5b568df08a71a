// Issue comments, which are also pull requests' conversation comments: list, create, get, update, delete.
import {
  found,
  paginate,
  pathNumber,
  queryString,
  repositoryOf,
  type Handler,
  type StandInRequest,
} from "../http.js";
import { renderComment } from "../render.js";
import type { CommentRecord, RepositoryState } from "../state.js";

/** Oldest first, as GitHub lists them; `since` keeps comments updated at or after a time. */
const listComments: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const issueNumber = pathNumber(request, "issue_number");
  const since = queryString(request, "since");
  const comments = [...repository.comments.values()]
    .filter((comment) => comment.issueNumber === issueNumber)
    .filter((comment) => since === undefined || Date.parse(comment.updatedAt) >= Date.parse(since))
    .sort((a, b) => a.id - b.id);
  const page = paginate(comments, request);
  return {
    status: 200,
    body: page.items.map((comment) => renderComment(state, repository, comment)),
    headers: page.headers,
  };
};

/**
 * Any issue number is accepted: the stand-in does not model pull requests, and a pull request's
 * number is a valid target for a conversation comment.
 */
const createComment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const now = state.now();
  const comment: CommentRecord = {
    id: state.nextId(),
    issueNumber: pathNumber(request, "issue_number"),
    body: (request.body as { body: string }).body,
    author: state.actor.login,
    createdAt: now,
    updatedAt: now,
  };
  repository.comments.set(comment.id, comment);
  const body = renderComment(state, repository, comment);
  return { status: 201, body, headers: { location: String(body.url) } };
};

const getComment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  return { status: 200, body: renderComment(state, repository, commentOf(request, repository)) };
};

const updateComment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const comment = commentOf(request, repository);
  comment.body = (request.body as { body: string }).body;
  comment.updatedAt = state.now();
  return { status: 200, body: renderComment(state, repository, comment) };
};

const deleteComment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  repository.comments.delete(commentOf(request, repository).id);
  return { status: 204 };
};

function commentOf(request: StandInRequest, repository: RepositoryState): CommentRecord {
  return found(repository.comments.get(pathNumber(request, "comment_id")));
}

export const commentHandlers: Record<string, Handler> = {
  "issues/list-comments": listComments,
  "issues/create-comment": createComment,
  "issues/get-comment": getComment,
  "issues/update-comment": updateComment,
  "issues/delete-comment": deleteComment,
};
