// Suppressions written in the migration itself: a comment before a statement,
// `-- migration-check:ignore <rule>[,<rule>] <reason>`, or anywhere in the file,
// `-- migration-check:ignore-file <rule>[,<rule>] <reason>`. The reason is required.

export interface Suppression {
  rules: string[];
  reason: string;
  scope: "statement" | "file";
}

/** A directive that says nothing about why: reported, and it suppresses nothing. */
export interface BadSuppression {
  comment: string;
  message: string;
}

// Reads our own directive inside a comment the parser's scanner found (not SQL).
const DIRECTIVE =
  /^(?:--|\/\*)\s*migration-check:(ignore-file|ignore)\b\s*([^\s*]*)\s*(.*?)\s*(?:\*\/)?$/s;

/** The directives among comments, and those missing a rule or a reason. */
export function readSuppressions(
  comments: readonly string[],
  scope: Suppression["scope"],
): { suppressions: Suppression[]; bad: BadSuppression[] } {
  const suppressions: Suppression[] = [];
  const bad: BadSuppression[] = [];
  for (const comment of comments) {
    const match = DIRECTIVE.exec(comment.trim());
    if (!match) continue;
    const [, kind, ids = "", reason = ""] = match;
    if ((kind === "ignore-file") !== (scope === "file")) continue;
    const rules = ids.split(",").filter(Boolean);
    if (rules.length === 0) {
      bad.push({
        comment,
        message: "names no rule: write migration-check:ignore <rule-id> <reason>",
      });
    } else if (reason.trim() === "") {
      bad.push({
        comment,
        message: `suppresses ${rules.join(", ")} without a reason: write why after the rule`,
      });
    } else {
      suppressions.push({ rules, reason: reason.trim(), scope });
    }
  }
  return { suppressions, bad };
}
