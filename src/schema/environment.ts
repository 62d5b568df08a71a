// The shape of an environment file (environments/<name>.yml and base.yml): one schema for all.
import * as z from "zod/mini";
import { AnalysisSectionSchema } from "./analysis.js";
import { BudgetSchema, ResourcesSchema } from "./cost.js";
import { DeploySectionSchema } from "./deploy.js";
import { flag } from "./fields.js";
import { HealthSectionSchema } from "./health.js";
import { NotifySchema } from "./notify.js";
import { ProtectionSchema } from "./protection.js";
import { RecoverySchema } from "./recovery.js";

// `config` is the one open section: its keys are the application's own, checked after rendering
// by the optional config.schema.json beside the environment files (env-config), not here.
const openSection = (description: string) =>
  z.optional(
    z
      .record(z.string(), z.unknown(), { error: "expected a mapping of keys to values" })
      .check(z.describe(description)),
  );

const described = <T extends z.ZodMiniType>(schema: T, description: string) =>
  z.optional(schema.check(z.describe(description)));

/**
 * Every environment file, and the result of layering base.yml under it, has this shape. Sections
 * are read by the actions named in their descriptions; all are optional so a file can hold only
 * what differs from base.yml.
 */
export const EnvironmentFileSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    service: z.optional(
      z
        .string()
        .check(
          z.minLength(1),
          z.describe("Name of the service this environment runs (used in labels and reports)."),
        ),
    ),
    description: z.optional(z.string().check(z.describe("What this environment is for."))),
    url: z.optional(
      z
        .union([
          z.url({ error: "expected an absolute URL such as https://staging.example.com" }),
          // A reference resolved when deploying, for URLs known only then: ${env:PREVIEW_URL},
          // or kept in the environment's variables: ${var:SERVICE_URL}.
          z.string().check(
            z.regex(/\$\{(?:env|var):[A-Za-z_][A-Za-z0-9_]*\}/, {
              error:
                "expected an absolute URL such as https://staging.example.com, " +
                "or an ${env:NAME} or ${var:NAME} reference",
            }),
          ),
        ])
        .check(
          z.describe(
            "Public URL of the environment; shown on GitHub deployments as environment_url. " +
              "May use ${env:NAME} or ${var:NAME}.",
          ),
        ),
    ),
    production: flag(
      "Whether this is a production environment (GitHub deployment production_environment).",
    ),
    transient: flag(
      "Whether the environment is short-lived, such as a preview " +
        "(GitHub deployment transient_environment).",
    ),
    config: openSection(
      "Application configuration rendered by env-config. " +
        "Strings may reference ${env:NAME}, ${var:NAME} and ${secret:NAME}; " +
        "null deletes a key inherited from base.yml.",
    ),
    deploy: described(
      DeploySectionSchema,
      "How deploy reaches this environment: strategy, hooks and timeouts (actions/deploy).",
    ),
    health: described(
      HealthSectionSchema,
      "Post-deploy health and smoke checks (actions/health-verify).",
    ),
    analysis: described(
      AnalysisSectionSchema,
      "Metrics and thresholds that judge a canary (actions/canary-gate).",
    ),
    resources: z.optional(ResourcesSchema),
    budget: z.optional(BudgetSchema),
    protection: z.optional(ProtectionSchema),
    notify: z.optional(NotifySchema),
    recovery: z.optional(RecoverySchema),
  })
  .check(
    z.describe(
      "A shipgate environment file: environments/<name>.yml layered over environments/base.yml.",
    ),
  );

export type EnvironmentFile = z.infer<typeof EnvironmentFileSchema>;

/** The sections an environment file may have, for messages and docs. */
export const ENVIRONMENT_SECTIONS = Object.keys(EnvironmentFileSchema.shape);
