// What an engine may say while it works: the one logging interface every domain receives. The step
// context implements it over the runner's log, scrubbing every registered secret.
import type { SourcePosition } from "./errors.js";

/** Where an annotation points, and its title. */
export interface Annotation extends Partial<SourcePosition> {
  title?: string;
}

export interface Logger {
  info(line: string): void;
  /** A warning annotation; `at` places it on a file and line. */
  warning(message: string, at?: Annotation): void;
  /** An error annotation (it does not fail the step by itself). */
  error(message: string, at?: Annotation): void;
  notice(message: string, at?: Annotation): void;
  debug(line: string): void;
  /** Runs `body` with its lines in a collapsible group of the log. */
  group<T>(name: string, body: () => Promise<T> | T): Promise<T>;
}
