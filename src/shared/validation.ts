// zod's messages set up once for the suite (English), and its issues turned into located problems.
// Import zod itself from "zod/mini" in each module: re-exporting its namespace from here would
// defeat tree shaking and bundle every locale it ships.
import * as z from "zod/mini";
import type { $ZodIssue } from "zod/v4/core";
import english from "zod/v4/locales/en.js";
import type { Problem, SourcePosition } from "./errors.js";

z.config(english());

type Path = readonly (string | number)[];

/**
 * Turns zod issues into problems, each with the key path (prefixed by `prefix`) and, through
 * `locate`, the file position of the offending key.
 */
export function issuesToProblems(
  issues: readonly $ZodIssue[],
  formatPath: (path: Path) => string,
  locate?: (path: Path) => SourcePosition | undefined,
): Problem[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter(
      (segment): segment is string | number => typeof segment !== "symbol",
    );
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        message: "unknown key (check its spelling and indentation)",
        path: formatPath([...path, key]),
        at: locate?.([...path, key]),
      }));
    }
    return [{ message: issue.message, path: formatPath(path) || "(document)", at: locate?.(path) }];
  });
}
