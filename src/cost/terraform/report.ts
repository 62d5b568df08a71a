// Plan projects in the pull request report: each as a compared "environment" (so totals, headline,
// threshold and tables treat it like one), a section of its resources by Terraform action, and JSON.
import { code, details, raw, table } from "../../shared/markdown.js";
import { compareEnvironment, type EnvironmentComparison } from "../compare.js";
import { formatDelta, formatMoney, plainDecimal, type Amount } from "../money.js";
import type { PricedLine, UnpricedLine } from "../pricing.js";
import type { PlanAction } from "./plan.js";
import type { PlanProject, ResourceCost, ResourceSideCost } from "./price.js";

const ACTION_ORDER: readonly PlanAction[] = [
  "create",
  "replace",
  "update",
  "delete",
  "forget",
  "no-op",
];
const ACTION_TEXT: Record<PlanAction, string> = {
  create: "to create",
  replace: "to replace",
  update: "to update",
  delete: "to destroy",
  forget: "to forget",
  "no-op": "unchanged",
};

/** A project as the report compares environments: before and after priced from the plan itself. */
export function projectComparison(project: PlanProject): EnvironmentComparison {
  return compareEnvironment(
    project.name,
    { priced: project.before, production: false },
    { priced: project.after, production: false },
  );
}

/** How many resources each action touches, in the order Terraform's summary gives them. */
export function actionCounts(project: PlanProject): Partial<Record<PlanAction, number>> {
  const counts: Partial<Record<PlanAction, number>> = {};
  for (const resource of project.resources) {
    if (resource.usageOnly) continue;
    counts[resource.action] = (counts[resource.action] ?? 0) + 1;
  }
  return counts;
}

/** Resources worth a row: priced or unpriced ones the plan changes, or whose cost moves. */
function shown(resource: ResourceCost): boolean {
  if (resource.free || resource.usageOnly) return false;
  return resource.action !== "no-op" || resource.delta !== 0n;
}

function sideCell(side: ResourceSideCost | undefined, currency: string): string {
  if (!side) return "–";
  if (side.lines.length === 0 && side.unpriced.length > 0) return "unpriced";
  const money = formatMoney(side.monthly, currency);
  return side.unpriced.length > 0 ? `${money} + unpriced` : money;
}

function projectSection(project: PlanProject): string {
  const counts = actionCounts(project);
  const summary = ACTION_ORDER.filter((action) => counts[action])
    .map((action) => `${counts[action]} ${ACTION_TEXT[action]}`)
    .join(", ");
  const rows = project.resources
    .filter(shown)
    .map((resource) => [
      raw(code(resource.address)),
      resource.action,
      sideCell(resource.before, project.currency),
      sideCell(resource.after, project.currency),
      formatDelta(resource.delta, project.currency),
    ]);
  const unchanged = project.resources.filter(
    (resource) => !resource.free && !resource.usageOnly && !shown(resource) && resource.after,
  );
  const usageOnly = project.resources
    .filter((resource) => resource.usageOnly)
    .map(
      (resource) =>
        `${code(resource.address)} ${formatMoney(resource.after?.monthly ?? 0n, project.currency)}`,
    );
  const unchangedCost = unchanged.reduce(
    (sum, resource) => sum + (resource.after?.monthly ?? 0n),
    0n,
  );
  const version = project.terraformVersion ? `Terraform ${project.terraformVersion}, ` : "";
  const body = [
    `${version}plan format ${project.formatVersion}: ${summary || "no resource changes"}.`,
    rows.length > 0
      ? table(["Resource", "Action", "Before / month", "After / month", "Difference"], rows, [
          "left",
          "left",
          "right",
          "right",
          "right",
        ])
      : "",
    unchanged.length > 0
      ? `${unchanged.length} resource(s) the plan leaves as they are: ` +
        `${formatMoney(unchangedCost, project.currency)} a month.`
      : "",
    usageOnly.length > 0
      ? `From the usage file alone, the same before and after: ${usageOnly.join(", ")} a month.`
      : "",
  ];
  return details(
    `Terraform plan ${code(project.name)} by resource: ${summary || "no changes"}`,
    body.filter(Boolean).join("\n\n"),
  );
}

/** The plan projects' sections, for the comment and the job summary. */
export function renderPlanProjects(projects: readonly PlanProject[]): string {
  return projects.map(projectSection).join("\n\n");
}

/** Puts the plan sections into a rendered report, before its footer (the last `<sub>` line). */
export function withPlanSections(markdown: string, projects: readonly PlanProject[]): string {
  if (projects.length === 0) return markdown;
  const sections = renderPlanProjects(projects);
  const footer = markdown.lastIndexOf("\n\n<sub>");
  if (footer === -1) return `${markdown}\n\n${sections}`;
  return `${markdown.slice(0, footer)}\n\n${sections}${markdown.slice(footer)}`;
}

const lineJson = (line: PricedLine) => ({
  resource: line.name,
  type: line.type,
  quantity: line.quantityText,
  unitPrice: plainDecimal(line.unitPrice),
  unit: line.unit,
  monthly: plainDecimal(line.monthly),
  ...(line.note ? { note: line.note } : {}),
});

const unpricedJson = (item: UnpricedLine) => ({
  resource: item.name,
  type: item.type,
  reason: item.reason,
});

function sideJson(side: ResourceSideCost | undefined) {
  if (!side) return null;
  return {
    monthly: plainDecimal(side.monthly),
    lines: side.lines.map(lineJson),
    unpriced: side.unpriced.map(unpricedJson),
  };
}

const total = (amount: Amount) => plainDecimal(amount);

/** The plan projects in the `report` output: money as plain decimal strings. */
export function planProjectsJson(projects: readonly PlanProject[]): unknown {
  return projects.map((project) => ({
    name: project.name,
    formatVersion: project.formatVersion,
    terraformVersion: project.terraformVersion ?? null,
    currency: project.currency,
    monthlyBefore: total(project.before.total),
    monthlyAfter: total(project.after.total),
    delta: total(project.after.total - project.before.total),
    actions: actionCounts(project),
    resources: project.resources.map((resource) => ({
      address: resource.address,
      type: resource.type,
      action: resource.action,
      ...(resource.free ? { free: true } : {}),
      ...(resource.usageOnly ? { usageOnly: true } : {}),
      ...(resource.usage ? { usage: resource.usage } : {}),
      before: sideJson(resource.before),
      after: sideJson(resource.after),
      delta: plainDecimal(resource.delta),
    })),
    unpriced: project.after.unpriced.map(unpricedJson),
  }));
}
