// Prints the JSON Schema of environment files (environments/schema.json) for editors.
import { EnvironmentFileSchema } from "../src/schema/environment.js";
import * as z from "zod/mini";

const schema = {
  ...z.toJSONSchema(EnvironmentFileSchema, { io: "input" }),
  title: "shipgate environment file",
};
process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
