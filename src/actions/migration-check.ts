// migration-check: the pull request's migrations, linted on PostgreSQL's parser and proven on a real PostgreSQL.
import * as z from "zod/mini";
import {
  detectLayout,
  diffMigrations,
  globPattern,
  LAYOUTS,
  selectMigrations,
  type Discovery,
} from "../migrations/discover.js";
import { parseSqlFile, type ParsedFile } from "../migrations/parse.js";
import { findPostgresBin, freshDatabase, startThrowaway } from "../migrations/postgres.js";
import { runProof, type Proof } from "../migrations/proof.js";
import { atLeast, buildReport, renderSummary, type Verdict } from "../migrations/report.js";
import { lintMigrations, type Finding } from "../migrations/rules.js";
import { listFiles, readFiles, readGitFiles } from "../migrations/sources.js";
import { booleanInput, integerInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";
import { ConfigurationError } from "../shared/errors.js";

const Inputs = z.object({
  path: z._default(z.string(), "migrations"),
  layout: z._default(
    z.enum(["auto", ...(Object.keys(LAYOUTS) as (keyof typeof LAYOUTS)[])]),
    "auto",
  ),
  glob: z.optional(z.string()),
  order: z._default(z.enum(["version", "lexical"]), "version"),
  "base-ref": z.optional(z.string()),
  "changed-files": z.optional(z.string()),
  "old-queries": z.optional(z.string()),
  seed: z.optional(z.string()),
  "seed-rows": integerInput(1000, 0, 1_000_000),
  proof: booleanInput(true),
  "database-url": z.optional(z.string()),
  "postgres-bin": z.optional(z.string()),
  "assume-in-transaction": booleanInput(false),
  "fail-on": z._default(z.enum(["warning", "unsafe", "error", "never"]), "unsafe"),
});
type Inputs = z.infer<typeof Inputs>;

interface Outputs {
  result: string;
  report: string;
}

async function baseRef(step: StepContext, inputs: Inputs): Promise<string> {
  const event = (await step.event()) as { pull_request?: { base?: { sha?: string } } } | undefined;
  const ref = inputs["base-ref"] ?? event?.pull_request?.base?.sha;
  if (ref) return ref;
  throw new ConfigurationError({
    path: 'input "base-ref"',
    message:
      "give base-ref or changed-files (outside a pull_request event there is no base commit)",
  });
}

async function discover(step: StepContext, inputs: Inputs): Promise<Discovery> {
  const onDisk = await listFiles(step.workspace, inputs.path);
  const layout = inputs.glob
    ? "glob"
    : inputs.layout === "auto"
      ? detectLayout(onDisk)
      : inputs.layout;
  const glob = inputs.glob ?? LAYOUTS[layout as keyof typeof LAYOUTS];
  const head = await readFiles(step.workspace, selectMigrations(onDisk, glob));
  let base: Map<string, string>;
  if (inputs["changed-files"] !== undefined) {
    const changed = new Set(inputs["changed-files"].split("\n").map((line) => line.trim()));
    base = new Map([...head].filter(([path]) => !changed.has(path)));
  } else {
    const atBase = await readGitFiles(step.workspace, await baseRef(step, inputs), inputs.path);
    const paths = new Set(selectMigrations([...atBase.keys()], glob));
    base = new Map([...atBase].filter(([path]) => paths.has(path)));
  }
  return { layout, ...diffMigrations(base, head, inputs.order) };
}

async function oldQueries(step: StepContext, pattern: string | undefined): Promise<ParsedFile[]> {
  if (!pattern) return [];
  const matcher = globPattern(pattern);
  const paths = (await listFiles(step.workspace, ".")).filter((path) => matcher.test(path));
  if (paths.length === 0)
    throw new ConfigurationError({
      path: 'input "old-queries"',
      message: `no file matches ${pattern}`,
    });
  const texts = await readFiles(step.workspace, paths);
  return Promise.all([...texts].map(([path, sql]) => parseSqlFile(path, sql)));
}

async function prove(
  step: StepContext,
  inputs: Inputs,
  files: { base: ParsedFile[]; changes: ParsedFile[]; old: ParsedFile[] },
): Promise<Proof & { database: string }> {
  const seedText = inputs.seed
    ? (await readFiles(step.workspace, [inputs.seed])).get(inputs.seed)
    : undefined;
  const seed =
    inputs.seed && seedText !== undefined ? await parseSqlFile(inputs.seed, seedText) : undefined;
  if (inputs["database-url"]) step.secrets.add(inputs["database-url"]);
  const database = inputs["database-url"]
    ? await freshDatabase(inputs["database-url"])
    : await startThrowaway(await findPostgresBin(inputs["postgres-bin"]));
  step.log.info(`Proving on ${database.origin}`);
  try {
    const proof = await runProof(database.config, {
      base: files.base,
      changes: files.changes,
      ...(seed ? { seed } : {}),
      seedRows: inputs["seed-rows"],
      oldQueries: files.old.flatMap((file) => file.statements),
    });
    return { ...proof, database: database.origin };
  } finally {
    await database.remove();
  }
}

function annotate(step: StepContext, findings: readonly Finding[]): void {
  for (const finding of findings) {
    const at = { ...finding.at, title: `migration-check: ${finding.rule}` };
    if (finding.suppressed) step.log.info(`${finding.message} Suppressed: ${finding.suppressed}`);
    else if (finding.level === "unsafe") step.log.error(finding.message, at);
    else step.log.warning(finding.message, at);
  }
}

async function main(step: StepContext): Promise<void> {
  const inputs = readInputs(Inputs, step.env, ["database-url"]);
  try {
    const discovery = await discover(step, inputs);
    step.log.info(
      `Layout ${discovery.layout}: ${discovery.base.length} base migration(s), ` +
        `${discovery.changes.length} added or changed`,
    );
    const head = await readFiles(
      step.workspace,
      discovery.changes.map((change) => change.path),
    );
    const changes = await Promise.all([...head].map(([path, sql]) => parseSqlFile(path, sql)));
    const findings = lintMigrations(changes, {
      assumeInTransaction: inputs["assume-in-transaction"],
    });
    annotate(step, findings);
    const proof =
      inputs.proof && changes.length > 0
        ? await prove(step, inputs, {
            base: await Promise.all(
              discovery.base.map((file) => parseSqlFile(file.path, file.sql)),
            ),
            changes,
            old: await oldQueries(step, inputs["old-queries"]),
          })
        : undefined;
    const report = buildReport({
      migrations: discovery.changes,
      files: changes,
      findings,
      ...(proof ? { proof } : {}),
    });
    for (const row of report.statements.filter(
      (s) => s.verdict === "error" || s.oldQueriesBroken.length > 0,
    ))
      step.log.error(row.reasons.join("; "), {
        file: row.file,
        line: row.line,
        title: "migration-check: proof",
      });
    step.setOutputs<Outputs>({ result: report.result, report: JSON.stringify(report) });
    await step.appendSummary(renderSummary(report));
    const failOn = inputs["fail-on"];
    if (failOn !== "never" && atLeast(report.level, failOn as Verdict)) step.fail();
  } catch (error) {
    step.setOutputs<Outputs>({
      result: "error",
      report: JSON.stringify({ result: "error", error: String(error) }),
    });
    throw error;
  }
}

await runAction("migration-check", main);
