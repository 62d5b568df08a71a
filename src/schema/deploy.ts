// The shape of an environment's `deploy` section: strategy, steps, slots, hooks and timeouts.
// The same schema checks each file and, once references are resolved, the section deploy reads.
import * as z from "zod/mini";

export const STRATEGIES = ["rolling", "blue-green", "canary"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A slot's name: it goes into hooks, records and labels, so it is a plain word. */
export const SLOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const slot = z
  .string()
  .check(z.regex(SLOT_NAME, { error: "expected a slot name of letters, digits, '.', '_' or '-'" }));

const duration = z.string({ error: "expected a duration with a unit, such as 30s or 10m" });

/** The `deploy` section of an environment file. */
export const DeploySectionSchema = z.strictObject({
  strategy: z.optional(z.enum(STRATEGIES)),
  steps: z.optional(z.union([z.array(z.number()), z.string()])),
  slots: z.optional(z.tuple([slot, slot])),
  "slot-urls": z.optional(z.record(z.string(), z.string())),
  hooks: z.optional(
    z.strictObject({
      deploy: z.optional(z.string()),
      traffic: z.optional(z.string()),
      promote: z.optional(z.string()),
      rollback: z.optional(z.string()),
    }),
  ),
  timeout: z.optional(duration),
  "switch-buffer": z.optional(duration),
  "on-inconclusive": z.optional(z.enum(["rollback", "hold"])),
});

export type DeploySection = z.infer<typeof DeploySectionSchema>;
