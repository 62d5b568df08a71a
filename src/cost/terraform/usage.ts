// The usage file (Infracost's format): monthly usage per resource address, or per resource type,
// so usage-priced resources (Lambda, S3, NAT data, data transfer) are priced instead of skipped.
import * as z from "zod/mini";
import { throwIfProblems, type Problem } from "../../shared/errors.js";
import { issuesToProblems } from "../../shared/validation.js";
import { formatKeyPath, type KeyPath, type YamlSource } from "../../config/yaml-source.js";
import { amountFromNumber, type Amount } from "../money.js";

/** The usage keys shipgate reads; each is a non-negative number wherever it appears. */
export const USAGE_KEYS = [
  "monthly_requests",
  "request_duration_ms",
  "storage_gb",
  "monthly_tier_1_requests",
  "monthly_tier_2_requests",
  "monthly_data_processed_gb",
  "instances",
  "monthly_outbound_internet_gb",
  "monthly_outbound_other_regions_gb",
] as const;
export type UsageKey = (typeof USAGE_KEYS)[number];

const Block = z.record(z.string(), z.unknown());
const UsageSchema = z.strictObject({
  version: z.optional(z.union([z.string(), z.number()])),
  resource_usage: z.optional(z.record(z.string(), z.nullable(Block))),
  resource_type_default_usage: z.optional(z.record(z.string(), z.nullable(Block))),
});

/** A usage figure with where it was written, for the report. */
export interface UsageFigure {
  /** Exact, in the same pico-units as money (so `1.5` is 1_500_000_000_000n). */
  amount: Amount;
  /** As written: `1000000`. */
  text: string;
}

/** The usage of one resource: its own entry over its type's defaults. */
export interface ResourceUsage {
  /** The usage file key that matched (`aws_lambda_function.api`, `aws_nat_gateway.main[*]`). */
  source?: string;
  get(...path: string[]): UsageFigure | undefined;
  /** Keys whose values are blocks, for usage-only resources that price each block. */
  has(...path: string[]): boolean;
}

export interface UsageFile {
  file: string;
  /** The usage of one resource address of the given type. */
  forResource(address: string, type: string): ResourceUsage;
  /** Entries whose type is a usage-only resource (`aws_data_transfer.egress`). */
  entriesOfType(type: string): string[];
}

export const NO_USAGE: UsageFile = {
  file: "",
  forResource: () => ({ get: () => undefined, has: () => false }),
  entriesOfType: () => [],
};

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every usage key we read, anywhere in the file, must be a non-negative number. */
function checkFigures(source: YamlSource, node: unknown, path: KeyPath, problems: Problem[]): void {
  if (!isTree(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const at = [...path, key];
    if (isTree(value)) checkFigures(source, value, at, problems);
    else if (
      (USAGE_KEYS as readonly string[]).includes(key) &&
      !(typeof value === "number" && Number.isFinite(value) && value >= 0)
    ) {
      problems.push({
        path: formatKeyPath(at),
        message: "expected a non-negative number",
        at: source.locate(at),
      });
    }
  }
}

/** `aws_nat_gateway.main[*]` matches every instance of `aws_nat_gateway.main`. */
function wildcardMatches(key: string, address: string): boolean {
  if (!key.includes("[*]")) return false;
  const pattern = key
    .split("[*]")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("\\[[^\\]]+\\]");
  return new RegExp(`^${pattern}$`).test(address);
}

function figure(tree: Tree | undefined, path: readonly string[]): UsageFigure | undefined {
  let node: unknown = tree;
  for (const segment of path) node = isTree(node) ? node[segment] : undefined;
  if (typeof node !== "number") return undefined;
  const amount = amountFromNumber(node);
  return amount === undefined ? undefined : { amount, text: String(node) };
}

function blockAt(tree: Tree | undefined, path: readonly string[]): boolean {
  let node: unknown = tree;
  for (const segment of path) node = isTree(node) ? node[segment] : undefined;
  return isTree(node);
}

/** Validates a usage file; every problem carries its file and line. */
export function parseUsageFile(source: YamlSource): UsageFile {
  const parsed = UsageSchema.safeParse(source.data);
  if (!parsed.success) {
    throwIfProblems(
      issuesToProblems(parsed.error.issues, formatKeyPath, (path) => source.locate(path)),
    );
  }
  const problems: Problem[] = [];
  checkFigures(source, source.data, [], problems);
  throwIfProblems(problems);
  const resources = parsed.data?.resource_usage ?? {};
  const defaults = parsed.data?.resource_type_default_usage ?? {};
  return {
    file: source.file,
    forResource(address, type) {
      const key =
        address in resources
          ? address
          : Object.keys(resources).find((candidate) => wildcardMatches(candidate, address));
      const own = key === undefined ? undefined : (resources[key] ?? undefined);
      const typeDefaults = defaults[type] ?? undefined;
      const source = key ?? (typeDefaults ? `${type} (type default)` : undefined);
      return {
        ...(source ? { source } : {}),
        get: (...path) => figure(own, path) ?? figure(typeDefaults, path),
        has: (...path) => blockAt(own, path) || blockAt(typeDefaults, path),
      };
    },
    entriesOfType: (type) =>
      Object.keys(resources)
        .filter((key) => key.startsWith(`${type}.`))
        .sort(),
  };
}
