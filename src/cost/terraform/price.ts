// Prices a plan against the catalog: every resource before and after, from the plan alone, through
// the same catalog entries and exact money as environments' resources.
import { ConfigurationError } from "../../shared/errors.js";
import type { Catalog } from "../catalog.js";
import { DEFAULT_CURRENCY } from "../environments.js";
import { multiplyRatio, roundTo, type Amount } from "../money.js";
import type { PricedEnvironment, PricedLine, UnpricedLine } from "../pricing.js";
import { Attributes } from "./attributes.js";
import { Mapped, type Component, type MapContext } from "./components.js";
import { isFree, MAPPERS, USAGE_ONLY, type Mapper } from "./mapping.js";
import { modulePath, type Plan, type PlanAction, type PlanResource } from "./plan.js";
import type { UsageFile } from "./usage.js";

export interface ResourceSideCost {
  lines: PricedLine[];
  unpriced: UnpricedLine[];
  /** The sum of the lines' rounded monthly costs. */
  monthly: Amount;
}

export interface ResourceCost {
  address: string;
  type: string;
  action: PlanAction;
  before?: ResourceSideCost;
  after?: ResourceSideCost;
  /** after.monthly - before.monthly. */
  delta: Amount;
  /** The type has no charge of its own (networking glue, IAM, launch templates). */
  free: boolean;
  /** The usage file key that gave this resource its usage. */
  usage?: string;
  /** A resource of the usage file only (`aws_data_transfer.*`), the same on both sides. */
  usageOnly?: boolean;
}

export interface PlanProject {
  /** The plan file, relative to the workspace: one plan is one project. */
  name: string;
  formatVersion: string;
  terraformVersion?: string;
  currency: string;
  resources: ResourceCost[];
  before: PricedEnvironment;
  after: PricedEnvironment;
}

type Side = "before" | "after";

const sideOf = (resource: PlanResource, side: Side) =>
  side === "before" ? resource.before : resource.after;

/** The other resource `resource` points at, on the same side of the plan. */
function relatedResource(
  plan: Plan,
  resource: PlanResource,
  side: Side,
  query: { type: string; path: readonly (string | number)[]; matchAttribute: string },
): Attributes | undefined {
  const candidates = plan.resources.filter((other) => other.type === query.type);
  const value = sideOf(resource, side)?.read(...query.path);
  if (typeof value === "string") {
    const byValue = candidates.find(
      (other) => sideOf(other, side)?.read(query.matchAttribute) === value,
    );
    if (byValue) return sideOf(byValue, side);
  }
  let node: unknown = plan.references.get(
    `${modulePath(resource.moduleAddress)}|${resource.type}.${resource.name}`,
  );
  for (const segment of query.path)
    node = (node as Record<string | number, unknown> | undefined)?.[segment];
  const references = (node as { references?: unknown } | undefined)?.references;
  for (const reference of Array.isArray(references) ? references : []) {
    const [type, name] = String(reference).split(".");
    if (type !== query.type) continue;
    const named = candidates.filter(
      (other) => other.name === name && other.moduleAddress === resource.moduleAddress,
    );
    const match = named.find((other) => other.index === resource.index) ?? named[0];
    if (match) return sideOf(match, side);
  }
  return undefined;
}

/** One component through the catalog: a priced line, or unpriced when the catalog cannot price it. */
function priceComponent(
  catalog: Catalog,
  address: string,
  component: Component,
  cost: ResourceSideCost,
): void {
  const name = `${address} (${component.label})`;
  const entry = catalog.entries.get(component.key);
  if (!entry || entry.unit !== component.unit) {
    const reason = entry
      ? `priced per ${entry.unit} in ${entry.origin}, expected per ${component.unit}`
      : "not in the pricing catalog";
    cost.unpriced.push({ kind: component.kind, name, type: component.key, reason });
    return;
  }
  const monthly = roundTo(
    multiplyRatio(entry.price, component.quantity.numerator, component.quantity.denominator),
  );
  cost.lines.push({
    kind: component.kind,
    name,
    type: component.key,
    quantity: component.quantity,
    quantityText: component.quantityText,
    unitPrice: entry.price,
    unit: component.unit,
    currency: entry.currency,
    monthly,
    ...(component.count === undefined ? {} : { count: component.count }),
    ...(component.note ? { note: component.note } : {}),
    entry,
  });
  cost.monthly += monthly;
}

function priceSide(
  catalog: Catalog,
  resource: { address: string; type: string },
  mapper: Mapper | undefined,
  values: Attributes,
  context: MapContext,
): ResourceSideCost {
  const cost: ResourceSideCost = { lines: [], unpriced: [], monthly: 0n };
  if (isFree(resource.type)) return cost;
  if (!mapper) {
    cost.unpriced.push({
      kind: "custom",
      name: resource.address,
      type: resource.type,
      reason: "resource type not mapped to the pricing catalog",
    });
    return cost;
  }
  const mapped = new Mapped();
  mapper(values, mapped, context);
  for (const component of mapped.components)
    priceComponent(catalog, resource.address, component, cost);
  for (const part of mapped.unpriced) {
    cost.unpriced.push({
      kind: "custom",
      name: `${resource.address} (${part.label})`,
      type: resource.type,
      reason: part.reason,
    });
  }
  return cost;
}

function priceResource(
  plan: Plan,
  resource: PlanResource,
  catalog: Catalog,
  usage: UsageFile,
): ResourceCost {
  const resourceUsage = usage.forResource(resource.address, resource.type);
  const cost = (side: Side): ResourceSideCost | undefined => {
    const values = sideOf(resource, side);
    if (!values) return undefined;
    const context: MapContext = {
      usage: resourceUsage,
      related: (type, path, matchAttribute) =>
        relatedResource(plan, resource, side, { type, path, matchAttribute }),
    };
    return priceSide(catalog, resource, MAPPERS[resource.type], values, context);
  };
  const before = cost("before");
  const after = cost("after");
  return {
    address: resource.address,
    type: resource.type,
    action: resource.action,
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    delta: (after?.monthly ?? 0n) - (before?.monthly ?? 0n),
    free: isFree(resource.type),
    ...(resourceUsage.source ? { usage: resourceUsage.source } : {}),
  };
}

/** The usage file's own resources (`aws_data_transfer.egress`): priced alike before and after. */
function usageOnlyResources(catalog: Catalog, usage: UsageFile): ResourceCost[] {
  return Object.entries(USAGE_ONLY).flatMap(([type, mapper]) =>
    usage.entriesOfType(type).map((address) => {
      const context: MapContext = {
        usage: usage.forResource(address, type),
        related: () => undefined,
      };
      const side = priceSide(catalog, { address, type }, mapper, new Attributes({}), context);
      return {
        address,
        type,
        action: "no-op" as const,
        before: side,
        after: side,
        delta: 0n,
        free: false,
        usage: address,
        usageOnly: true,
      };
    }),
  );
}

function environmentOf(
  resources: readonly ResourceCost[],
  side: Side,
  currency: string,
): PricedEnvironment {
  const costs = resources.flatMap((resource) => (resource[side] ? [resource[side]] : []));
  return {
    lines: costs.flatMap((cost) => cost.lines),
    unpriced: costs.flatMap((cost) => cost.unpriced),
    currency,
    total: costs.reduce((sum, cost) => sum + cost.monthly, 0n),
  };
}

/**
 * Prices one plan file as one project. The usage file's own resources (data transfer) belong to
 * no plan: they are priced once, with the first project (`withUsageOnly`).
 */
export function pricePlan(
  name: string,
  plan: Plan,
  catalog: Catalog,
  usage: UsageFile,
  withUsageOnly = true,
): PlanProject {
  const resources = [
    ...plan.resources.map((resource) => priceResource(plan, resource, catalog, usage)),
    ...(withUsageOnly ? usageOnlyResources(catalog, usage) : []),
  ];
  const currencies = new Set(
    resources.flatMap((resource) =>
      [resource.before, resource.after].flatMap(
        (side) => side?.lines.map((line) => line.currency) ?? [],
      ),
    ),
  );
  if (currencies.size > 1) {
    throw new ConfigurationError({
      at: { file: name },
      message: `is priced in different currencies (${[...currencies].join(", ")}); use one catalog currency`,
    });
  }
  const currency = [...currencies][0] ?? DEFAULT_CURRENCY;
  return {
    name,
    formatVersion: plan.formatVersion,
    ...(plan.terraformVersion ? { terraformVersion: plan.terraformVersion } : {}),
    currency,
    resources,
    before: environmentOf(resources, "before", currency),
    after: environmentOf(resources, "after", currency),
  };
}
