// Users and teams by name: how a client turns a reviewer's login or team slug into an id.
import type { Handler } from "../http.js";
import { found } from "../http.js";
import { renderPublicUser, renderTeamFull } from "../render.js";

const getUser: Handler = (request, state) => ({
  status: 200,
  body: renderPublicUser(state, found(state.user(String(request.path.username)))),
});

const getTeam: Handler = (request, state) => ({
  status: 200,
  body: renderTeamFull(
    state,
    found(state.team(String(request.path.org), String(request.path.team_slug))),
  ),
});

export const peopleHandlers: Record<string, Handler> = {
  "users/get-by-username": getUser,
  "teams/get-by-name": getTeam,
};
