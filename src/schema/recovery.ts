// The shape of an environment's `recovery` section: the recovery time and point objectives its
// drills are judged against (deploy's drill input).
import * as z from "zod/mini";
import { parseDuration } from "../shared/duration.js";

/** One or more amounts with a unit (30s, 5m, 1h30m, 2d): a bare number is refused. */
const DURATION_WITH_UNIT = /^\s*(?:(?:\d+(?:\.\d*)?|\.\d+)\s*(?:ms|s|m|h|d)\s*)+$/;

/** A duration with a unit, more than zero, as parseDuration reads it. */
function objective(description: string) {
  return z.optional(
    z.string({ error: "expected a duration with a unit, such as 5m or 1h" }).check(
      z.regex(DURATION_WITH_UNIT, { error: "expected a duration with a unit, such as 5m or 1h" }),
      z.refine(
        (text) => {
          try {
            return parseDuration(text) > 0;
          } catch {
            return false;
          }
        },
        { error: "expected a duration longer than zero, such as 5m or 1h" },
      ),
      z.describe(description),
    ),
  );
}

export const RecoverySchema = z
  .strictObject({
    rto: objective(
      "Recovery time objective: how long the environment may serve a faulty version before " +
        "the stable one serves everything again (a rollback drill), or take to be rebuilt from " +
        "a backup and serve (a restore drill); a duration with a unit, such as 5m. " +
        "A drill needs it.",
    ),
    rpo: objective(
      "Recovery point objective: how old the latest backup may be when a restore drill " +
        "rebuilds from it; a duration with a unit, such as 24h. Left out: the backup's age is " +
        "reported, not judged.",
    ),
  })
  .check(
    z.describe(
      "The recovery objectives that deploy's drills (drill: rollback or restore) are judged " +
        "against: a drill recovering later than rto, or from a backup older than rpo, fails.",
    ),
  );

export type RecoverySection = z.infer<typeof RecoverySchema>;
