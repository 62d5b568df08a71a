// Generates the README tables that restate the code, between marker comments: each action's inputs
// and outputs from its action.yml, and deploy's table of the environment file's `deploy:` keys from
// the zod schema (src/schema/deploy.ts, loaded through the TypeScript loader). `npm run docs`
// rewrites them; `--check` writes nothing and exits 1 naming each stale table; `--root DIR` works
// on DIR/actions instead of the repository's (the test's copy), with the repository's schema.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const repository = fileURLToPath(new URL("..", import.meta.url));

/** A key's description ends with its default, as the deploy section's keys write it. */
const DEFAULT_SENTENCE = /\s*Default: (.+)\.$/s;

/** Text for a table cell: one line, and nothing in it read as a column, emphasis or a tag. */
function cell(text) {
  return String(text)
    .trim()
    .replace(/\s+/g, " ")
    .replace(/[\\|*<_]/g, (char, index, whole) => {
      if (char === "<") return "&lt;";
      if (char === "_" && /\w/.test(whole[index - 1] ?? "") && /\w/.test(whole[index + 1] ?? ""))
        return char;
      return `\\${char}`;
    });
}

/** Code in a table cell; a default such as `${{ github.token }}` is shown as written. */
function code(text) {
  return `\`${String(text).replace(/\|/g, "\\|")}\``;
}

function table(header, rows) {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => " --- |").join("")}`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return `${lines.join("\n")}\n`;
}

function inputsTable(meta) {
  const inputs = Object.entries(meta.inputs ?? {});
  if (inputs.length === 0) return "This action has no inputs.\n";
  return table(
    ["Input", "Required", "Default", "Description"],
    inputs.map(([name, spec]) => [
      code(name),
      spec?.required === true || spec?.required === "true" ? "yes" : "no",
      spec?.default === undefined || spec.default === "" ? "" : code(spec.default),
      cell(spec?.description ?? ""),
    ]),
  );
}

function outputsTable(meta) {
  const outputs = Object.entries(meta.outputs ?? {});
  if (outputs.length === 0) return "This action has no outputs.\n";
  return table(
    ["Output", "Description"],
    outputs.map(([name, spec]) => [code(name), cell(spec?.description ?? "")]),
  );
}

/** A JSON Schema's type in words: `rolling`, `blue-green` or `canary`; list of numbers or string. */
function typeOf(schema) {
  if (schema.enum) {
    const values = schema.enum.map(code);
    return values.length === 1
      ? values[0]
      : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
  }
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" or ");
  if (schema.prefixItems) return `[${schema.prefixItems.map(typeOf).join(", ")}]`;
  if (schema.type === "array") return `list of ${typeOf(schema.items ?? {})}s`;
  if (schema.type === "object") {
    const values = schema.additionalProperties;
    return typeof values === "object" ? `mapping of names to ${typeOf(values)}s` : "mapping";
  }
  if (schema.type === "boolean") return "true or false";
  if (schema.type === "integer") return "whole number";
  return schema.type ?? "any";
}

/** One row per key of the section, nested keys (`hooks.deploy`) after their parent. */
function keyRows(properties, prefix = "") {
  return Object.entries(properties).flatMap(([key, schema]) => {
    const description = schema.description ?? "";
    const fallback = DEFAULT_SENTENCE.exec(description)?.[1];
    const row = [
      code(`${prefix}${key}`),
      typeOf(schema),
      fallback === undefined ? "" : code(fallback),
      cell(description.replace(DEFAULT_SENTENCE, "")),
    ];
    return [row, ...keyRows(schema.properties ?? {}, `${prefix}${key}.`)];
  });
}

/** The environment file's JSON Schema, as scripts/environment-schema.ts exports it from src/schema. */
function environmentSchema() {
  const output = execFileSync(
    process.execPath,
    [
      "--import",
      join(repository, "scripts", "typescript", "register.mjs"),
      join(repository, "scripts", "environment-schema.ts"),
    ],
    { encoding: "utf8" },
  );
  return JSON.parse(output);
}

function deployKeysTable() {
  const section = environmentSchema().properties?.deploy;
  if (!section?.properties) throw new Error("the environment schema has no deploy section");
  return table(["Key", "Type", "Default", "Description"], keyRows(section.properties));
}

/** The tables each README holds: its name in the markers, where it comes from, and its text. */
function tablesOf(root, name) {
  const meta = parse(readFileSync(join(root, "actions", name, "action.yml"), "utf8")) ?? {};
  const tables = [
    { name: "inputs", source: "action.yml", text: () => inputsTable(meta) },
    { name: "outputs", source: "action.yml", text: () => outputsTable(meta) },
  ];
  if (name === "deploy")
    tables.push({ name: "deploy-keys", source: "src/schema/deploy.ts", text: deployKeysTable });
  return tables;
}

const startMarker = (table) =>
  `<!-- ${table.name}: generated from ${table.source} by npm run docs; do not edit -->`;

/**
 * The README with `table` regenerated between its markers, or a problem when the markers are
 * missing or repeated (a new action's README needs them where its table goes).
 */
function regenerate(readme, table) {
  const block = new RegExp(
    `<!-- ${table.name}: generated [^\\n]*?-->\\n[\\s\\S]*?<!-- end ${table.name} -->`,
    "g",
  );
  const found = readme.match(block) ?? [];
  if (found.length !== 1) {
    const problem = found.length === 0 ? "has no" : "has more than one";
    return {
      problem: `${problem} ${table.name} table (${startMarker(table)} ... <!-- end ${table.name} -->)`,
    };
  }
  const fresh = `${startMarker(table)}\n${table.text()}<!-- end ${table.name} -->`;
  return { readme: readme.replace(block, () => fresh), stale: found[0] !== fresh };
}

/** Regenerates (or with `check`, compares) every table; returns the problems found. */
function generateDocs(root, { check = false, log = console.log } = {}) {
  const problems = [];
  const names = readdirSync(join(root, "actions")).filter((name) =>
    existsSync(join(root, "actions", name, "action.yml")),
  );
  for (const name of names.sort()) {
    const path = join(root, "actions", name, "README.md");
    const relative = `actions/${name}/README.md`;
    if (!existsSync(path)) {
      problems.push(`${relative}: missing; every action has a README with its tables`);
      continue;
    }
    let readme = readFileSync(path, "utf8");
    const before = readme;
    for (const table of tablesOf(root, name)) {
      const result = regenerate(readme, table);
      if (result.problem) problems.push(`${relative}: ${result.problem}`);
      else if (result.stale && check)
        problems.push(`${relative}: the ${table.name} table differs from ${table.source}`);
      else if (result.stale)
        log(`${relative}: ${table.name} table regenerated from ${table.source}`);
      readme = result.readme ?? readme;
    }
    if (!check && readme !== before) writeFileSync(path, readme);
  }
  return problems;
}

function main(args) {
  const rootIndex = args.indexOf("--root");
  const root = rootIndex >= 0 ? args[rootIndex + 1] : repository;
  if (!root) throw new Error("usage: node scripts/docs.mjs [--check] [--root DIR]");
  const check = args.includes("--check");
  const problems = generateDocs(root, { check });
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    if (check) console.error("run npm run docs and commit the READMEs");
    process.exitCode = 1;
  } else if (check) console.log("docs: every generated table matches its source");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  main(process.argv.slice(2));
