// Bundles every action (src/actions/<name>.ts -> actions/<name>/dist) with ncc, and regenerates
// environments/schema.json from the zod schema and the READMEs' generated tables (scripts/docs.mjs).
// `--out DIR` bundles into DIR/<name> instead; `--schema-only` only regenerates the schema (into
// DIR/schema.json with `--out DIR`); `--check` builds everything into a temporary directory and
// exits 1 naming each committed file that differs (the dist check of the tests and of a release).
import { execFile, execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const ncc = join(root, "node_modules", ".bin", "ncc");
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const outRoot = outIndex >= 0 ? args[outIndex + 1] : undefined;
/** ncc type-checks the whole project for each bundle: two at a time keep both cores busy. */
const PARALLEL = 2;

/** The actions: every folder under actions/ with an action.yml, built from src/actions/<name>.ts. */
export function actionNames() {
  return readdirSync(join(root, "actions")).filter((name) =>
    existsSync(join(root, "actions", name, "action.yml")),
  );
}

async function bundle(entry, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  const flags = ["--minify", "--license", "licenses.txt", "--quiet"];
  try {
    await run(ncc, ["build", entry, "-o", outDir, ...flags], { cwd: root });
  } catch (error) {
    process.stderr.write(`${error.stdout ?? ""}${error.stderr ?? ""}`);
    throw new Error(`bundling ${entry} failed`, { cause: error });
  }
}

async function buildSchema(target = join(root, "environments", "schema.json")) {
  const temp = mkdtempSync(join(tmpdir(), "shipgate-schema-"));
  try {
    await bundle(join(root, "scripts", "environment-schema.ts"), temp);
    const schema = execFileSync(process.execPath, [join(temp, "index.js")], { encoding: "utf8" });
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, schema);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Every action's bundle into `dirOf(name)`, PARALLEL at a time. */
async function buildActions(dirOf) {
  const queue = actionNames().map((name) => {
    const entry = join(root, "src", "actions", `${name}.ts`);
    if (!existsSync(entry))
      throw new Error(`actions/${name}/action.yml has no entry at src/actions/${name}.ts`);
    return () => bundle(entry, dirOf(name));
  });
  const workers = Array.from({ length: PARALLEL }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  });
  await Promise.all(workers);
}

/** The committed files that differ from a fresh build (bundles and schema), as messages. */
async function staleFiles() {
  const out = mkdtempSync(join(tmpdir(), "shipgate-check-"));
  try {
    await Promise.all([
      buildActions((name) => join(out, name)),
      buildSchema(join(out, "schema.json")),
    ]);
    const stale = [];
    const same = (a, b) =>
      existsSync(a) && existsSync(b) && readFileSync(a).equals(readFileSync(b));
    if (!same(join(out, "schema.json"), join(root, "environments", "schema.json")))
      stale.push("environments/schema.json");
    for (const name of actionNames()) {
      const dist = join(root, "actions", name, "dist");
      const fresh = readdirSync(join(out, name)).sort();
      const committed = existsSync(dist) ? readdirSync(dist).sort() : [];
      for (const file of new Set([...fresh, ...committed])) {
        if (!same(join(out, name, file), join(dist, file)))
          stale.push(`actions/${name}/dist/${file}`);
      }
    }
    return stale;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (args.includes("--check")) {
  const stale = await staleFiles();
  for (const file of stale) console.error(`${file} is stale: run npm run build and commit it`);
  process.exit(stale.length > 0 ? 1 : 0);
} else if (args.includes("--schema-only")) {
  await buildSchema(outRoot ? join(outRoot, "schema.json") : undefined);
} else {
  await buildActions((name) =>
    outRoot ? join(outRoot, name) : join(root, "actions", name, "dist"),
  );
  if (!outRoot) {
    await buildSchema();
    // The READMEs' tables follow the action.yml files and src/schema, as the bundles just built do.
    execFileSync(process.execPath, [join(root, "scripts", "docs.mjs")], { stdio: "inherit" });
  }
}
