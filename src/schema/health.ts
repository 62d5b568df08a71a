// The shape of an environment's `health` section: the checks health-verify and deploy run.
import * as z from "zod/mini";

const duration = z.string({ error: "expected a duration with a unit, such as 500ms, 5s or 2m" });
const threshold = z.int({ error: "expected a whole number" }).check(z.gte(1));

/** One check as written in `health.checks` of an environment file or the `checks` input. */
export const CheckSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  url: z.string().check(z.minLength(1)),
  method: z._default(z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]), "GET"),
  headers: z._default(
    z.record(z.string(), z.string({ error: "expected a string (quote numbers)" })),
    {},
  ),
  body: z.optional(z.string()),
  timeout: z._default(duration, "5s"),
  conditions: z._default(z.array(z.string()), []),
  "initial-delay": z._default(duration, "0s"),
  interval: z._default(duration, "5s"),
  "success-threshold": z._default(threshold, 1),
  "failure-threshold": z._default(threshold, 3),
  deadline: z._default(duration, "5m"),
  "version-path": z.optional(z.string().check(z.minLength(1))),
});

export const ChecksSchema = z.array(CheckSchema);

/** The `health` section of an environment file. */
export const HealthSectionSchema = z.strictObject({
  checks: z.optional(ChecksSchema),
});
