// The GitHub stand-in's public surface for tests: start it, seed it, break it, read what it saw.
export { GitHubStandIn, startGitHubStandIn, type StartOptions } from "./server.js";
export type { RecordedCall } from "./calls.js";
export type { CallMatcher } from "./faults.js";
export { errorBody, ReplyError, type Handler, type Reply, type StandInRequest } from "./http.js";
export type { JsonObject } from "./spec.js";
export type { GitHubState } from "./state.js";
