// Field builders the sections share, so a kind of field is described and refused alike everywhere.
import * as z from "zod/mini";

/** An optional true/false setting. */
export const flag = (description: string) =>
  z.optional(z.boolean({ error: "expected true or false" }).check(z.describe(description)));
