// Looking for planted secrets everywhere a run leaves text, in every form a secret leaks in: raw,
// case-changed, URL-encoded, base64, JSON-escaped.
import type { GitHubStandIn } from "../../tools/github-standin/index.js";
import type { ActionResult } from "../../tools/runner/run-action.js";
import { secretVariants } from "../../src/shared/secrets.js";

/** Places where any form of any secret appears, as `place: form` (empty when none leaks). */
export function findSecrets(
  places: Readonly<Record<string, string>>,
  secrets: readonly string[],
): string[] {
  const found: string[] = [];
  for (const [place, text] of Object.entries(places)) {
    for (const form of secrets.flatMap(secretVariants)) {
      if (text.includes(form)) found.push(`${place}: ${form}`);
    }
  }
  return found;
}

/** What the runner shows or keeps of a step: its log (without ::add-mask::), outputs, summary, env and state. */
export function runPlaces(result: ActionResult, prefix = "step"): Record<string, string> {
  return {
    [`${prefix} log`]: result.lines.join("\n"),
    [`${prefix} outputs`]: JSON.stringify(result.outputs),
    [`${prefix} summary`]: result.summary,
    [`${prefix} env`]: JSON.stringify(result.env),
    [`${prefix} state`]: JSON.stringify(result.state),
  };
}

/** Everything sent to GitHub's API that GitHub keeps: each write's body, by operation. */
export function githubPlaces(github: GitHubStandIn): Record<string, string> {
  const places: Record<string, string> = {};
  github.calls
    .filter((call) => call.method !== "GET" && call.requestBody !== undefined)
    .forEach((call, index) => {
      places[`GitHub ${call.operationId ?? call.path} #${index}`] = JSON.stringify(
        call.requestBody,
      );
    });
  return places;
}
