// migration-check: the pull request's migrations, linted on PostgreSQL's parser and proven on a real PostgreSQL.
import * as z from "zod/mini";
import {
  dbmateSections,
  detectLayout,
  diffMigrations,
  downPathOf,
  downSql,
  verifyPathOf,
  globPattern,
  LAYOUTS,
  selectMigrations,
  sqitchPlan,
  upSql,
  type Discovery,
  type Layout,
} from "../migrations/discover.js";
import { parseSqlFile, type ParsedFile } from "../migrations/parse.js";
import { findPostgresBin, freshDatabase, startThrowaway } from "../migrations/postgres.js";
import { runProof, type Proof } from "../migrations/proof.js";
import { atLeast, buildReport, renderSummary, type Verdict } from "../migrations/report.js";
import {
  lintDownMigrations,
  lintMigrations,
  type Finding,
  type LintOptions,
} from "../migrations/rules.js";
import { listFiles, readFiles, readGitFiles } from "../migrations/sources.js";
import { booleanInput, integerInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";
import { CannotWriteError, publishSticky, runStartTime, TAG } from "../runtime/sticky-comment.js";
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
  "probe-lock-timeout": booleanInput(true),
  token: z.optional(z.string()),
  comment: z._default(z.enum(["auto", "true", "false"]), "auto"),
  tag: z.optional(z.string().check(z.regex(TAG, "letters, digits, '.', '_' and '-' only"))),
});
type Inputs = z.infer<typeof Inputs>;

interface Outputs {
  result: string;
  report: string;
  "comment-url"?: string;
}

/** The pull request's migrations as the tool runs them: ups (the section, for dbmate) and their downs. */
interface Migrations {
  discovery: Discovery;
  changes: ParsedFile[];
  /** Down migrations in the order they run: the last up's first. */
  downs: ParsedFile[];
  /** sqitch's verify scripts by the deploy script they verify. */
  verify: Map<string, ParsedFile>;
  base: ParsedFile[];
  lint: LintOptions;
  downLint: LintOptions;
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

async function discover(
  step: StepContext,
  inputs: Inputs,
): Promise<{ discovery: Discovery; onDisk: string[]; plan?: string[] }> {
  const onDisk = await listFiles(step.workspace, inputs.path);
  const numbered = await readFiles(step.workspace, selectMigrations(onDisk, LAYOUTS.numbered));
  const layout: Layout | "glob" = inputs.glob
    ? "glob"
    : inputs.layout === "auto"
      ? detectLayout(onDisk, numbered)
      : inputs.layout;
  const glob = inputs.glob ?? LAYOUTS[layout as Layout];
  const planFile = onDisk.find((path) => path.endsWith("sqitch.plan"));
  const plan =
    layout === "sqitch" && planFile
      ? sqitchPlan(
          planFile.slice(0, -"sqitch.plan".length),
          (await readFiles(step.workspace, [planFile])).get(planFile) ?? "",
        )
      : undefined;
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
  const diff = diffMigrations(base, head, inputs.order, plan);
  const changes = diff.changes.map((change) => {
    const down = downPathOf(layout, change.path, onDisk);
    const verify = layout === "sqitch" ? verifyPathOf(change.path, onDisk) : undefined;
    return { ...change, ...(down ? { down } : {}), ...(verify ? { verify } : {}) };
  });
  return { discovery: { layout, base: diff.base, changes }, onDisk, ...(plan ? { plan } : {}) };
}

/** Reads and parses the pull request's ups, their downs and the base's ups (dbmate: the sections). */
async function readMigrations(step: StepContext, discovery: Discovery): Promise<Migrations> {
  const { layout } = discovery;
  const paths = discovery.changes.flatMap((c) => [c.path, c.down ?? [], c.verify ?? []].flat());
  const texts = await readFiles(step.workspace, [...new Set(paths)]);
  const changes = await Promise.all(
    discovery.changes.map((c) => parseSqlFile(c.path, upSql(layout, texts.get(c.path) ?? ""))),
  );
  const downs: ParsedFile[] = [];
  for (const change of [...discovery.changes].reverse()) {
    const sql = change.down ? downSql(layout, texts.get(change.down) ?? "") : undefined;
    if (change.down && sql !== undefined) downs.push(await parseSqlFile(change.down, sql));
  }
  const verify = new Map<string, ParsedFile>();
  for (const change of discovery.changes)
    if (change.verify)
      verify.set(change.path, await parseSqlFile(change.verify, texts.get(change.verify) ?? ""));
  const base = await Promise.all(
    discovery.base.map((file) => parseSqlFile(file.path, upSql(layout, file.sql))),
  );
  // dbmate runs each section in a transaction unless its directive says transaction:false.
  const inTransaction = (section: "upOptions" | "downOptions") => (file: string) =>
    layout === "dbmate"
      ? !(dbmateSections(texts.get(file) ?? "")[section] ?? "").includes("transaction:false")
      : undefined;
  return {
    discovery,
    changes,
    downs,
    verify,
    base,
    lint: { inTransaction: inTransaction("upOptions") },
    downLint: { inTransaction: inTransaction("downOptions") },
  };
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
  files: Migrations & { old: ParsedFile[] },
): Promise<Proof & { database: string }> {
  const seedText = inputs.seed
    ? (await readFiles(step.workspace, [inputs.seed])).get(inputs.seed)
    : undefined;
  const seed =
    inputs.seed && seedText !== undefined ? await parseSqlFile(inputs.seed, seedText) : undefined;
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
      downs: files.downs,
      ...(files.verify.size > 0 ? { verify: files.verify } : {}),
      probeLockTimeout: inputs["probe-lock-timeout"],
    });
    return { ...proof, database: database.origin };
  } finally {
    await database.remove();
  }
}

/** The URL and its password on their own (percent-decoded too), so neither reaches a log or comment. */
function registerDatabaseSecret(step: StepContext, url: string | undefined): void {
  if (!url) return;
  step.secrets.add(url);
  try {
    const { password } = new URL(url);
    if (password) step.secrets.add(password, decodeURIComponent(password));
  } catch {
    // Not a URL pg reads as one (a key=value string): the whole string is registered above.
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

/** The pull request to comment on, or undefined when there is to be no comment; checked before any work. */
async function commentTarget(step: StepContext, inputs: Inputs): Promise<number | undefined> {
  if (inputs.comment === "false") return undefined;
  const event = (await step.event()) as { pull_request?: { number?: number } } | undefined;
  const number = event?.pull_request?.number;
  if (inputs.comment === "auto") return number !== undefined && inputs.token ? number : undefined;
  if (!inputs.token)
    throw new ConfigurationError({ path: 'input "comment"', message: "true needs a token" });
  if (number === undefined)
    throw new ConfigurationError({
      path: 'input "comment"',
      message: "true runs on pull_request events: the event payload has no pull_request",
    });
  return number;
}

/** Posts or updates the sticky comment; a token that cannot write (a fork) leaves a warning, not a failure. */
async function comment(
  step: StepContext,
  inputs: Inputs,
  issueNumber: number,
  markdown: string,
): Promise<string | undefined> {
  const client = step.github(inputs.token ?? "");
  const repository = step.repository();
  const runId = step.env.GITHUB_RUN_ID ? Number(step.env.GITHUB_RUN_ID) : undefined;
  const content = step.runUrl ? `${markdown}\n[The run](${step.runUrl})\n` : markdown;
  try {
    const outcome = await publishSticky(
      client,
      { ...repository, issueNumber },
      {
        action: "migration-check",
        content,
        runTime: await runStartTime(client, repository, runId),
        behavior: "update",
        ...(inputs.tag ? { tag: inputs.tag } : {}),
      },
    );
    if (outcome.plan.action === "skip") step.log.info(`No comment posted: ${outcome.plan.reason}`);
    else
      step.log.info(
        `Comment ${outcome.plan.action === "update" ? "updated" : "posted"}: ${outcome.url ?? ""}`,
      );
    return outcome.url;
  } catch (error) {
    if (!(error instanceof CannotWriteError)) throw error;
    step.log.warning(
      `cannot comment on pull request #${issueNumber} with this token (${error.message}); ` +
        "pull requests from forks get a read-only token. The report is in the job summary.",
    );
    return undefined;
  }
}

async function main(step: StepContext): Promise<void> {
  const inputs = readInputs(Inputs, step.env, ["database-url", "token"]);
  registerDatabaseSecret(step, inputs["database-url"]);
  step.secrets.add(inputs.token);
  const issueNumber = await commentTarget(step, inputs);
  try {
    const { discovery } = await discover(step, inputs);
    step.log.info(
      `Layout ${discovery.layout}: ${discovery.base.length} base migration(s), ` +
        `${discovery.changes.length} added or changed, ` +
        `${discovery.changes.filter((change) => change.down).length} with a down migration`,
    );
    const migrations = await readMigrations(step, discovery);
    const assume = inputs["assume-in-transaction"];
    const findings = [
      ...lintMigrations(migrations.changes, { ...migrations.lint, assumeInTransaction: assume }),
      ...lintDownMigrations(migrations.downs, {
        ...migrations.downLint,
        assumeInTransaction: assume,
      }),
    ];
    annotate(step, findings);
    const proof =
      inputs.proof && migrations.changes.length > 0
        ? await prove(step, inputs, {
            ...migrations,
            old: await oldQueries(step, inputs["old-queries"]),
          })
        : undefined;
    const report = buildReport({
      migrations: discovery.changes,
      files: migrations.changes,
      findings,
      downFiles: migrations.downs,
      ...(proof ? { proof } : {}),
    });
    for (const row of report.statements.filter(
      (s) => s.verdict === "error" || s.oldQueriesBroken.length > 0,
    ))
      step.log.error(row.reasons.join("; "), {
        ...(row.errorAt ?? { file: row.file, line: row.line }),
        title: `migration-check: proof${row.direction === "down" ? " of the down migration" : ""}`,
      });
    for (const check of report.verified?.filter((v) => v.error) ?? [])
      step.log.error(`${check.change} fails its verify script: ${check.error}`, {
        ...(check.errorAt ?? { file: check.file }),
        title: "migration-check: sqitch verify",
      });
    for (const broken of report.down?.oldQueriesBroken ?? [])
      step.log.error(`the previous version's query fails after the down migrations: ${broken}`, {
        title: "migration-check: down migration",
      });
    const markdown = renderSummary(report);
    const url =
      issueNumber === undefined ? undefined : await comment(step, inputs, issueNumber, markdown);
    step.setOutputs<Outputs>({
      result: report.result,
      report: JSON.stringify(report),
      ...(url ? { "comment-url": url } : {}),
    });
    await step.appendSummary(markdown);
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
