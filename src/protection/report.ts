// The protection plan for people (job summary table, annotation text) and for machines (JSON).
import { code, escapeCell, raw, table, type Raw } from "../shared/markdown.js";
import type { Change, EnvironmentPlan, SettingValue } from "./plan.js";
import { drifted } from "./plan.js";

export type ProtectionAction = "plan" | "apply";

/** How a setting's value reads in a table or a message. */
export function formatValue(change: Pick<Change, "setting">, value: SettingValue): string {
  switch (change.setting) {
    case "environment":
      return value === "present" ? "exists" : "does not exist";
    case "wait-timer":
      return value === 0 ? "none" : `${String(value)} min`;
    case "required-reviewers":
      return Array.isArray(value) && value.length > 0 ? value.join(", ") : "none";
    case "prevent-self-review":
      return value === true ? "yes" : "no";
    case "deployment-branch-policy":
      if (value === null) return "any branch";
      if (typeof value === "object" && "custom" in value) {
        return value.custom
          .map((pattern) => (pattern.type === "tag" ? `tag ${pattern.name}` : pattern.name))
          .join(", ");
      }
      return "protected branches";
  }
}

/** A value in the summary table: patterns as code, since `*` is markdown. */
function valueCell(change: Change, value: SettingValue): string | Raw {
  if (value === null || typeof value !== "object" || !("custom" in value))
    return formatValue(change, value);
  return raw(
    value.custom
      .map((pattern) => (pattern.type === "tag" ? `tag ${code(pattern.name)}` : code(pattern.name)))
      .map(escapeCell)
      .join(", "),
  );
}

/** The warning for one drifted setting, placed on its key in the environment file. */
export function driftMessage(change: Change): string {
  if (change.setting === "environment") {
    return (
      `GitHub environment ${change.environment} does not exist yet; ` +
      "protection-action: apply creates it"
    );
  }
  const live = formatValue(change, change.live);
  const desired = formatValue(change, change.desired);
  return `${change.environment}: ${change.setting} is ${live} on GitHub, declared ${desired}`;
}

/** The `changes` output: every drifted setting, with where it is declared and, after apply, whether it was applied. */
export function changesJson(
  plans: readonly EnvironmentPlan[],
  applied?: ReadonlySet<Change>,
): unknown[] {
  return plans.flatMap((plan) =>
    drifted(plan).map((change) => ({
      environment: change.environment,
      setting: change.setting,
      live: change.live,
      desired: change.desired,
      action: change.action,
      file: change.at.file,
      ...(change.at.line === undefined ? {} : { line: change.at.line }),
      ...(applied ? { applied: applied.has(change) } : {}),
    })),
  );
}

function actionCell(
  change: Change,
  action: ProtectionAction,
  applied: ReadonlySet<Change> | undefined,
): string {
  if (change.action === "none") return "in sync";
  if (action === "plan") return change.action;
  if (applied?.has(change)) return change.action === "create" ? "created" : "updated";
  return "not applied";
}

export interface ProtectionReport {
  action: ProtectionAction;
  repository: string;
  plans: readonly EnvironmentPlan[];
  /** Environments that have no protection section, so are left alone. */
  unmanaged: readonly string[];
  /** After apply: the changes GitHub accepted. */
  applied?: ReadonlySet<Change>;
  /** After a failed apply: why it stopped. */
  failure?: string;
}

/** Markdown for the job summary: one row per setting compared. */
export function renderProtectionReport(report: ProtectionReport): string {
  const drift = report.plans.flatMap(drifted);
  const parts = [`### env-config protection: ${report.action} for ${code(report.repository)}`];
  const count = `${drift.length} setting${drift.length === 1 ? "" : "s"}`;
  if (report.plans.length === 0)
    parts.push("No environment file has a `protection` section: nothing to compare.");
  else if (drift.length === 0)
    parts.push("No drift: GitHub's environments match the environment files.");
  else if (report.action === "plan")
    parts.push(
      `${count} drifted from the environment files; \`protection-action: apply\` makes GitHub match.`,
    );
  else if (report.failure) parts.push(`Apply stopped: ${report.failure}`);
  else parts.push(`${count} applied.`);
  if (report.plans.length > 0) {
    parts.push(
      table(
        ["Environment", "Setting", "Live", "Desired", "Action"],
        report.plans.flatMap((plan) =>
          plan.changes.map((change) => [
            change.environment,
            change.setting,
            valueCell(change, change.live),
            valueCell(change, change.desired),
            actionCell(change, report.action, report.applied),
          ]),
        ),
      ),
    );
  }
  if (report.unmanaged.length > 0) {
    parts.push(
      `Not managed (no \`protection\` section): ${report.unmanaged.map(code).join(", ")}.`,
    );
  }
  return `${parts.join("\n\n")}\n`;
}
