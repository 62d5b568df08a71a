// User mistakes as values: each problem names where it is (file, line, key path) and what is wrong.

/** A place in a file the user wrote: a repository-relative path, and a 1-based line and column. */
export interface SourcePosition {
  file: string;
  line?: number;
  column?: number;
}

/** One thing wrong with the user's input, configuration or data. */
export interface Problem {
  /** What is wrong, in one sentence, without the location (it is rendered from `at` and `path`). */
  message: string;
  /** Dotted key path of the offending value, e.g. `config.db.port`, or an input name. */
  path?: string;
  at?: SourcePosition;
}

/** Renders a problem the way it is logged: `environments/production.yml:14 config.db.port: expected a number`. */
export function formatProblem(problem: Problem): string {
  const where = problem.at
    ? `${problem.at.file}${problem.at.line === undefined ? "" : `:${problem.at.line}`}`
    : undefined;
  return (
    [where, problem.path].filter(Boolean).join(" ") +
    (where || problem.path ? ": " : "") +
    problem.message
  );
}

/**
 * An error the user can fix (bad input, bad configuration): reported as one clear message per
 * problem, with annotations, and exit code 1; never a stack trace.
 */
export class ConfigurationError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: Problem | readonly Problem[]) {
    const list = Array.isArray(problems) ? (problems as readonly Problem[]) : [problems as Problem];
    if (list.length === 0) throw new Error("ConfigurationError needs at least one problem");
    super(list.map(formatProblem).join("\n"));
    this.name = "ConfigurationError";
    this.problems = list;
  }
}

/** Throws one ConfigurationError carrying every problem, when there is any. */
export function throwIfProblems(problems: readonly Problem[]): void {
  if (problems.length > 0) throw new ConfigurationError(problems);
}
