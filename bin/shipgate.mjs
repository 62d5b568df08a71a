#!/usr/bin/env node
// The shipgate command (package.json "bin"): runs a shipgate action on this machine as a GitHub
// runner runs it. Its code is TypeScript under tools/cli, run through the project's own loader
// (scripts/typescript), since it drives the runner harness and the GitHub stand-in from source.
import { register } from "node:module";

register("../scripts/typescript/hooks.mjs", import.meta.url);
const { main } = await import("../tools/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
