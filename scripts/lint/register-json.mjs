// Registers json-hooks.mjs (node --import ./scripts/lint/register-json.mjs ...).
import { register } from "node:module";

register("./json-hooks.mjs", import.meta.url);
