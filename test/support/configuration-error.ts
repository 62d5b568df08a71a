// What a ConfigurationError says, for tests that expect one: its problems, or its message lines.
import { ConfigurationError } from "../../src/shared/errors.js";

/** The ConfigurationError `fn` throws; any other error is thrown on, and none fails the test. */
export function configurationErrorOf(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error("expected a ConfigurationError");
}

/** The message lines of the ConfigurationError `fn` throws: one per problem, as a user reads them. */
export function problemsOf(fn: () => unknown): string[] {
  return configurationErrorOf(fn).message.split("\n");
}
