// Bundles every action (src/actions/<name>.ts -> actions/<name>/dist) with ncc, and regenerates
// environments/schema.json from the zod schema and the READMEs' generated tables (scripts/docs.mjs).
// `--out DIR` bundles into DIR/<name> instead (the dist check builds there and compares);
// `--schema-only` only regenerates the schema (into DIR/schema.json with `--out DIR`).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const ncc = join(root, "node_modules", ".bin", "ncc");
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const outRoot = outIndex >= 0 ? args[outIndex + 1] : undefined;

/** The actions: every folder under actions/ with an action.yml, built from src/actions/<name>.ts. */
export function actionNames() {
  return readdirSync(join(root, "actions")).filter((name) =>
    existsSync(join(root, "actions", name, "action.yml")),
  );
}

function bundle(entry, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(
    ncc,
    ["build", entry, "-o", outDir, "--minify", "--license", "licenses.txt", "--quiet"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
}

function buildSchema(target = join(root, "environments", "schema.json")) {
  const temp = mkdtempSync(join(tmpdir(), "shipgate-schema-"));
  try {
    bundle(join(root, "scripts", "environment-schema.ts"), temp);
    const schema = execFileSync(process.execPath, [join(temp, "index.js")], { encoding: "utf8" });
    writeFileSync(target, schema);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

if (args.includes("--schema-only")) {
  buildSchema(outRoot ? join(outRoot, "schema.json") : undefined);
} else {
  for (const name of actionNames()) {
    const entry = join(root, "src", "actions", `${name}.ts`);
    if (!existsSync(entry))
      throw new Error(`actions/${name}/action.yml has no entry at src/actions/${name}.ts`);
    bundle(entry, outRoot ? join(outRoot, name) : join(root, "actions", name, "dist"));
  }
  if (!outRoot) {
    buildSchema();
    // The READMEs' tables follow the action.yml files and src/schema, as the bundles just built do.
    execFileSync(process.execPath, [join(root, "scripts", "docs.mjs")], { stdio: "inherit" });
  }
}
