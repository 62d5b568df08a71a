// Lets node run the project's TypeScript directly (node --import ./scripts/typescript/register.mjs
// file.ts): the lab demo and benchmarks import the test harness and the GitHub API stand-in,
// which find their files relative to their own location, so they cannot be bundled.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
