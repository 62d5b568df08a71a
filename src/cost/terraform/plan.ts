// Terraform / OpenTofu plan JSON (`terraform show -json plan.tfplan`): found in a file (bare, or
// inside the setup-terraform wrapper's output), validated, and read into managed resource changes.
import * as z from "zod/mini";
import { ConfigurationError } from "../../shared/errors.js";
import { issuesToProblems } from "../../shared/validation.js";
import { formatKeyPath } from "../../config/yaml-source.js";
import { Attributes } from "./attributes.js";

/** What a plan does to one resource instance, as the report names it. */
export type PlanAction = "create" | "delete" | "update" | "replace" | "no-op" | "forget";

const ResourceChangeSchema = z.object({
  address: z.string(),
  module_address: z.optional(z.string()),
  mode: z.optional(z.string()),
  type: z.string(),
  name: z.string(),
  index: z.optional(z.union([z.number(), z.string()])),
  change: z.object({
    actions: z.array(z.string()),
    before: z.optional(z.unknown()),
    after: z.optional(z.unknown()),
    after_unknown: z.optional(z.unknown()),
  }),
});

const PlanSchema = z.object({
  format_version: z.string().check(
    z.regex(/^[01]\.\d+$/, {
      error: "expected a plan format_version 0.x or 1.x (what terraform show -json writes)",
    }),
  ),
  terraform_version: z.optional(z.string()),
  resource_changes: z.optional(z.array(ResourceChangeSchema)),
  configuration: z.optional(z.unknown()),
});

/** One managed resource instance the plan knows, with both of its sides. */
export interface PlanResource {
  address: string;
  /** `module.network`, `module.web["a"]`; undefined in the root module. */
  moduleAddress?: string;
  type: string;
  name: string;
  index?: number | string;
  action: PlanAction;
  /** The state before the plan; undefined for a creation. */
  before?: Attributes;
  /** The planned state; undefined for a deletion. Values known only after apply read as unknown. */
  after?: Attributes;
}

export interface Plan {
  formatVersion: string;
  terraformVersion?: string;
  resources: PlanResource[];
  /** What `configuration` says each resource's expressions refer to, by module path and address. */
  references: ReadonlyMap<string, Record<string, unknown>>;
}

/** Terraform's action lists, as one word; undefined for reads (data sources, deferred reads). */
export function planAction(actions: readonly string[]): PlanAction | undefined {
  const key = [...actions].sort().join(",");
  switch (key) {
    case "no-op":
    case "create":
    case "delete":
    case "update":
    case "forget":
      return key;
    case "create,delete":
    case "create,forget":
      return "replace";
    default:
      return undefined;
  }
}

/**
 * The plan JSON in a file's text: the whole text, or else the first line that starts with `{`
 * (hashicorp/setup-terraform's wrapper prints the command before the JSON and workflow commands
 * after it).
 */
function planJson(file: string, text: string): unknown {
  const fail = (message: string) => new ConfigurationError({ at: { file }, message });
  if (text.startsWith("PK"))
    throw fail("is a binary plan file: give the output of `terraform show -json <planfile>`");
  try {
    return JSON.parse(text);
  } catch {
    const line = text.split(/\r?\n/).find((candidate) => candidate.startsWith("{"));
    if (line !== undefined) {
      try {
        return JSON.parse(line);
      } catch {
        // Reported below.
      }
    }
  }
  throw fail("holds no plan JSON (the output of `terraform show -json <planfile>`)");
}

/** Reads a plan file's text; a mistake is a ConfigurationError naming the file and the key. */
export function parsePlan(file: string, text: string): Plan {
  const data = planJson(file, text);
  const parsed = PlanSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigurationError(
      issuesToProblems(parsed.error.issues, formatKeyPath, () => ({ file })),
    );
  }
  if (parsed.data.resource_changes === undefined && isObject(data) && "values" in data) {
    throw new ConfigurationError({
      at: { file },
      message: "is a state (terraform show -json without a plan file), not a plan",
    });
  }
  const resources: PlanResource[] = [];
  for (const change of parsed.data.resource_changes ?? []) {
    if ((change.mode ?? "managed") !== "managed") continue;
    const action = planAction(change.change.actions);
    if (!action) continue;
    const removed = action === "delete" || action === "forget";
    resources.push({
      address: change.address,
      ...(change.module_address ? { moduleAddress: change.module_address } : {}),
      type: change.type,
      name: change.name,
      ...(change.index === undefined ? {} : { index: change.index }),
      action,
      ...(action === "create" || !isObject(change.change.before)
        ? {}
        : { before: new Attributes(change.change.before) }),
      ...(removed || !isObject(change.change.after)
        ? {}
        : { after: new Attributes(change.change.after, change.change.after_unknown) }),
    });
  }
  return {
    formatVersion: parsed.data.format_version,
    ...(parsed.data.terraform_version ? { terraformVersion: parsed.data.terraform_version } : {}),
    resources,
    references: configurationExpressions(parsed.data.configuration),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Every configured resource's `expressions`, keyed `<module path without instance keys>|<address>`
 * (`module.web|aws_autoscaling_group.this`), walking module calls as deep as they go.
 */
function configurationExpressions(configuration: unknown): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  const walk = (module: unknown, path: string) => {
    if (!isObject(module)) return;
    for (const resource of Array.isArray(module.resources) ? module.resources : []) {
      if (
        isObject(resource) &&
        typeof resource.address === "string" &&
        isObject(resource.expressions)
      )
        found.set(`${path}|${resource.address}`, resource.expressions);
    }
    for (const [name, call] of Object.entries(
      isObject(module.module_calls) ? module.module_calls : {},
    )) {
      if (isObject(call)) walk(call.module, path ? `${path}.module.${name}` : `module.${name}`);
    }
  };
  if (isObject(configuration)) walk(configuration.root_module, "");
  return found;
}

/** `module.web["a"].module.db[0]` -> `module.web.module.db`: how `configuration` names a module. */
export function modulePath(moduleAddress: string | undefined): string {
  return (moduleAddress ?? "").replace(/\[[^\]]*\]/g, "");
}
