// The `terraform-plan` and `usage-file` inputs: plan files found by path or glob, each priced as
// one project with the usage file's figures.
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { ConfigurationError } from "../../shared/errors.js";
import type { Catalog } from "../catalog.js";
import { expandFocusFiles } from "../digest-mode.js";
import { readInputFile } from "../inputs.js";
import { parsePlan } from "./plan.js";
import { pricePlan, type PlanProject } from "./price.js";
import { NO_USAGE, parseUsageFile } from "./usage.js";

export interface PlanSettings {
  workspace: string;
  /** A plan JSON file or a glob of them, relative to the workspace. */
  plans: string;
  usageFile?: string;
  catalog: Catalog;
}

/** Every plan the input names, priced, in path order. */
export async function priceTerraformPlans(settings: PlanSettings): Promise<PlanProject[]> {
  const files = await expandFocusFiles(settings.workspace, settings.plans, "terraform-plan");
  const usage = settings.usageFile
    ? parseUsageFile(await readInputFile(settings.workspace, settings.usageFile, "usage-file"))
    : NO_USAGE;
  const projects: PlanProject[] = [];
  for (const file of files) {
    const name = relative(settings.workspace, file) || file;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new ConfigurationError({
        path: 'input "terraform-plan"',
        message: `cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      });
    }
    const first = projects.length === 0;
    projects.push(pricePlan(name, parsePlan(name, text), settings.catalog, usage, first));
  }
  return projects;
}
