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

/** A line the runner would read as a workflow command (`::add-mask::`, `::error::`, `::stop-commands::`). */
const COMMAND_LINE = /^(\s*):/;

/**
 * Text from outside (hook output, HTTP bodies, records) made safe to print: a line that would start
 * with `::` begins with a zero-width space instead, so the runner shows it rather than obeying it.
 */
export function neutralizeCommands(text: string): string {
  return text
    .split("\n")
    .map((line) => (/^\s*::/.test(line) ? line.replace(COMMAND_LINE, "$1\u200b:") : line))
    .join("\n");
}
