// Every operation the stand-in implements, by operationId; the rest answer 501.
import type { Handler } from "../http.js";
import { repositoryOf } from "../http.js";
import { renderRepository } from "../render.js";
import { actionsHandlers } from "./actions.js";
import { changeHandlers } from "./changes.js";
import { commentHandlers } from "./comments.js";
import { commitHandlers } from "./commits.js";
import { contentHandlers } from "./contents.js";
import { deploymentHandlers } from "./deployments.js";
import { environmentHandlers } from "./environments.js";
import { issueHandlers } from "./issues.js";
import { peopleHandlers } from "./people.js";

const getRepository: Handler = (request, state) => ({
  status: 200,
  body: renderRepository(state, repositoryOf(request, state)),
});

export const handlers: Readonly<Record<string, Handler>> = {
  "repos/get": getRepository,
  ...issueHandlers,
  ...commentHandlers,
  ...deploymentHandlers,
  ...environmentHandlers,
  ...actionsHandlers,
  ...contentHandlers,
  ...commitHandlers,
  ...peopleHandlers,
  ...changeHandlers,
};
