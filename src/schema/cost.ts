// The shape of an environment's `resources` and `budget` sections, priced by actions/cost-report.
import * as z from "zod/mini";

const name = z
  .string()
  .check(z.minLength(1), z.describe("A name for this line item, unique within its list."));
const type = z
  .string()
  .check(
    z.minLength(1),
    z.describe("A pricing catalog key, such as aws.ec2.m7i.large or gcp.pd.balanced."),
  );
const count = z.optional(
  z
    .int({ error: "expected a whole number" })
    .check(z.gte(0), z.describe("How many run at once (default 1).")),
);
const schedule = z.optional(
  z
    .string()
    .check(
      z.describe(
        'When it runs each week, in UTC: "24/7" (default) or windows such as "weekdays 08-20" ' +
          'or "mon-fri 07:30-19:00; sat 10-14".',
      ),
    ),
);
const hours = z.optional(
  z
    .number({ error: "expected a number of hours" })
    .check(z.gte(0), z.lte(744), z.describe("Hours per month, instead of a schedule.")),
);
const pricing = z.optional(
  z
    .enum(["on-demand", "committed", "spot"])
    .check(
      z.describe(
        "How it is bought: on-demand (default, the catalog price), " +
          "committed (reserved or savings plan) or spot.",
      ),
    ),
);
const decimal = (description: string) =>
  z
    .union([
      z.number(),
      z
        .string()
        .check(z.regex(/^-?\d+(\.\d+)?$/, { error: "expected a decimal number such as 12.50" })),
    ])
    .check(z.describe(description));
const percent = (description: string) =>
  z.optional(
    z
      .number({ error: "expected a percentage such as 80" })
      .check(z.gt(0), z.lte(1000), z.describe(description)),
  );
const currency = z.optional(
  z.string().check(z.regex(/^[A-Z]{3}$/, { error: "expected an ISO 4217 code such as USD" })),
);

const hourly = { name, type, count, schedule, hours, pricing };

export const ComputeSchema = z.strictObject(hourly);
export const StorageSchema = z.strictObject({
  name,
  type,
  gb: z
    .number({ error: "expected a size in GB" })
    .check(z.gte(0), z.describe("Provisioned size in GB.")),
});
export const CustomItemSchema = z.strictObject({
  name,
  "unit-price": decimal("Price of one unit per month, in currency (default USD)."),
  quantity: z.optional(
    z
      .number({ error: "expected a number" })
      .check(z.gte(0), z.describe("Units per month (default 1).")),
  ),
  unit: z.optional(
    z.string().check(z.describe("What one unit is, for reports (seat, GB, million requests...).")),
  ),
  currency,
});

export const ResourcesSchema = z
  .strictObject({
    compute: z.optional(
      z.array(ComputeSchema).check(z.describe("Virtual machines, containers or node pools.")),
    ),
    storage: z.optional(
      z.array(StorageSchema).check(z.describe("Disks, volumes and buckets, priced per GB-month.")),
    ),
    "load-balancers": z.optional(
      z.array(z.strictObject(hourly)).check(z.describe("Load balancers, priced per hour.")),
    ),
    databases: z.optional(
      z
        .array(z.strictObject(hourly))
        .check(z.describe("Managed database instances, priced per hour.")),
    ),
    custom: z.optional(
      z
        .array(CustomItemSchema)
        .check(z.describe("Anything else: unit price × quantity per month.")),
    ),
  })
  .check(
    z.describe(
      "What this environment runs, priced by actions/cost-report against a pricing catalog.",
    ),
  );

/** All optional so base.yml can hold the amount and an environment only its own thresholds. */
export const BudgetSchema = z
  .strictObject({
    monthly: z.optional(decimal("The monthly budget, in currency.")),
    currency,
    warn: percent("Warn when a month's cost reaches this percentage of the budget (default 80)."),
    fail: percent(
      "Over budget at this percentage (default 100); fail-on-budget makes the step fail.",
    ),
  })
  .check(
    z.describe(
      "This environment's monthly budget and its warn and fail thresholds (actions/cost-report).",
    ),
  );

export type Resources = z.infer<typeof ResourcesSchema>;
export type Budget = z.infer<typeof BudgetSchema>;
export type ResourceKind = keyof Resources;
export const RESOURCE_KINDS: readonly ResourceKind[] = [
  "compute",
  "storage",
  "load-balancers",
  "databases",
  "custom",
];
