// The one wrapper around every action's entry: user errors become annotations, bugs a stack trace.
import { ConfigurationError, formatProblem } from "../shared/errors.js";
import { logDebug, logError, markFailed } from "./runner.js";

/**
 * Runs an action's main function. A ConfigurationError is reported as one annotation per problem
 * (on the offending file and line when known); any other error is a bug and is reported with its
 * stack in the debug log. Either way the step fails with exit code 1.
 */
export async function runAction(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    markFailed();
    if (error instanceof ConfigurationError) {
      for (const problem of error.problems) {
        logError(formatProblem(problem), {
          file: problem.at?.file,
          line: problem.at?.line,
          column: problem.at?.column,
          title: `${name}: invalid configuration`,
        });
      }
      return;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    logError(`${name} failed unexpectedly: ${err.message}`, { title: `${name}: internal error` });
    if (err.stack) logDebug(err.stack);
  }
}
