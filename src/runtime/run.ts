// The one wrapper around every action's entry: the step context built, user errors reported as
// annotations, bugs as a stack trace, all scrubbed of the step's secrets.
import { ConfigurationError, formatProblem } from "../shared/errors.js";
import { createStep, type StepContext } from "./step.js";

/**
 * Runs an action's main function with its step context. A ConfigurationError is reported as one
 * annotation per problem (on the offending file and line when known); any other error is a bug and
 * is reported with its stack in the debug log. Either way the step fails with exit code 1.
 */
export async function runAction(
  name: string,
  main: (step: StepContext) => Promise<void>,
): Promise<void> {
  const step = createStep(name);
  try {
    await main(step);
  } catch (error) {
    step.fail();
    if (error instanceof ConfigurationError) {
      for (const problem of error.problems) {
        step.log.error(formatProblem(problem), {
          ...problem.at,
          title: `${name}: invalid configuration`,
        });
      }
      return;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    step.log.error(`${name} failed unexpectedly: ${err.message}`, {
      title: `${name}: internal error`,
    });
    if (err.stack) step.log.debug(err.stack);
  }
}
