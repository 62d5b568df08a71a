// Issue comments, which are also pull requests' conversation comments: list, create, get, update, delete.
import type { Handler, StandInRequest } from "../http.js";
import {
  created,
  getRecord,
  listReply,
  pathNumber,
  pathRecord,
  queryString,
  repositoryOf,
  updateRecord,
} from "../http.js";
import { renderComment } from "../render.js";
import type { CommentRecord, RepositoryState } from "../state.js";

const commentOf = (request: StandInRequest, repository: RepositoryState): CommentRecord =>
  pathRecord(repository.comments, request, "comment_id");

/** Oldest first, as GitHub lists them; `since` keeps comments updated at or after a time. */
const listComments: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const issueNumber = pathNumber(request, "issue_number");
  const since = queryString(request, "since");
  const comments = [...repository.comments.values()]
    .filter((comment) => comment.issueNumber === issueNumber)
    .filter((comment) => since === undefined || Date.parse(comment.updatedAt) >= Date.parse(since))
    .sort((a, b) => a.id - b.id);
  return listReply(comments, request, (comment) => renderComment(state, repository, comment));
};

/**
 * Any issue number is accepted: the stand-in does not model pull requests, and a pull request's
 * number is a valid target for a conversation comment.
 */
const createComment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  const comment: CommentRecord = {
    ...state.authored(),
    issueNumber: pathNumber(request, "issue_number"),
    body: (request.body as { body: string }).body,
  };
  repository.comments.set(comment.id, comment);
  return created(renderComment(state, repository, comment));
};

const getComment = getRecord(commentOf, renderComment);

const updateComment = updateRecord(
  commentOf,
  (comment, request) => (comment.body = (request.body as { body: string }).body),
  renderComment,
);

const deleteComment: Handler = (request, state) => {
  const repository = repositoryOf(request, state);
  repository.comments.delete(commentOf(request, repository).id);
  return { status: 204 };
};

export const commentHandlers: Record<string, Handler> = {
  "issues/list-comments": listComments,
  "issues/create-comment": createComment,
  "issues/get-comment": getComment,
  "issues/update-comment": updateComment,
  "issues/delete-comment": deleteComment,
};
