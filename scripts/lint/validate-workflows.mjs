// Validates workflow and action files with GitHub's own language service (the checks the
// workflow editor runs: calling side of reusable workflows, unknown inputs, bad outputs), and
// prints every finding as file:line:column. Exits 1 on any finding.
// Run as: node --import ./scripts/lint/register-json.mjs scripts/lint/validate-workflows.mjs [files]
import { validate } from "@actions/languageservice";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TextDocument } from "vscode-languageserver-textdocument";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** This repository's name in the examples that call its reusable workflows. */
const SELF = "shipgate/shipgate";

/**
 * Local reusable workflows (`uses: ./.github/workflows/x.yml`) are read from the checkout, and so
 * are this repository's own when examples/ call them remotely (`shipgate/shipgate/.github/...@v1`).
 */
const fileProvider = {
  async getFileContent(ref) {
    const self = "repository" in ref && `${ref.owner}/${ref.repository}` === SELF;
    if (!("path" in ref) || ("repository" in ref && !self))
      throw new Error(`remote reusable workflow not available offline: ${JSON.stringify(ref)}`);
    const path = resolve(root, ref.path);
    return { name: ref.path, content: readFileSync(path, "utf8") };
  },
};

/** The pinned third-party actions' input and output names (their action.yml cannot be fetched here). */
const remoteActions = JSON.parse(
  readFileSync(join(root, "scripts", "lint", "remote-actions.json"), "utf8"),
);
const described = (names) => Object.fromEntries(names.map((name) => [name, { description: name }]));

const actionsMetadataProvider = {
  async fetchActionMetadata(ref) {
    const key = `${ref.owner}/${ref.name}${ref.path ? `/${ref.path}` : ""}@${ref.ref}`;
    const known = remoteActions[key];
    if (!known) return undefined;
    return {
      name: key,
      description: key,
      inputs: described(known.inputs),
      outputs: described(known.outputs),
    };
  },
};

const files =
  process.argv.length > 2
    ? process.argv.slice(2).map((file) => resolve(file))
    : readdirSync(join(root, ".github", "workflows"))
        .filter((name) => /\.ya?ml$/.test(name))
        .map((name) => join(root, ".github", "workflows", name))
        .concat(
          readdirSync(join(root, "examples"))
            .filter((name) => /\.ya?ml$/.test(name))
            .map((name) => join(root, "examples", name)),
        );

let findings = 0;
for (const file of files) {
  const document = TextDocument.create(
    pathToFileURL(file).href,
    "yaml",
    1,
    readFileSync(file, "utf8"),
  );
  const diagnostics = await validate(document, { fileProvider, actionsMetadataProvider });
  for (const diagnostic of diagnostics) {
    findings += 1;
    const { line, character } = diagnostic.range.start;
    console.log(
      `${relative(process.cwd(), file)}:${line + 1}:${character + 1}: ${diagnostic.message}`,
    );
  }
}
console.log(`language service: ${files.length} file(s), ${findings} finding(s)`);
process.exit(findings > 0 ? 1 : 0);
