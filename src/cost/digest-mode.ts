// Digest mode: stream the FOCUS exports into the ledger, then build the period's report.
import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, matchesGlob, relative, resolve, sep } from "node:path";
import { ConfigurationError, throwIfProblems, type Problem } from "../shared/errors.js";
import type { GitHubClient, Repository } from "../runtime/github.js";
import type { EnvironmentDirectory } from "../runtime/environment-directory.js";
import { layerEnvironment } from "../config/layering.js";
import { resolveBudget, type ResolvedBudget } from "./budget.js";
import { DEFAULT_COMMITMENT_DISCOUNT } from "./catalog.js";
import { priceJobs, type CiCost, type RateCard, type RateOverlay } from "./ci-cost.js";
import { jobsOfRuns, minutesLeftOut } from "./ci-jobs.js";
import { DigestLedger } from "./digest/ledger.js";
import { previousPeriod, dayText, type Period } from "./digest/period.js";
import { buildDigestReport, productionByName, type DigestReport } from "./digest/report.js";
import { DEFAULT_ANOMALY_METHOD } from "./digest/anomalies.js";
import { TagResolver, UNREADABLE_TAGS } from "./focus/columns.js";
import { readFocusCsv, type ReadSummary } from "./focus/csv.js";
import { readFocusParquet } from "./focus/parquet.js";
import type { Notice } from "./notice.js";

/** Files a path or glob names, relative to the workspace, sorted; `input` names it in errors. */
export async function expandFocusFiles(
  workspace: string,
  pattern: string,
  input = "focus-files",
): Promise<string[]> {
  const absolute = isAbsolute(pattern) ? pattern : resolve(workspace, pattern);
  if (!/[*?[{]/.test(pattern)) {
    try {
      if ((await stat(absolute)).isFile()) return [absolute];
    } catch {
      // Reported below as matching nothing.
    }
    throw new ConfigurationError({
      path: `input "${input}"`,
      message: `${pattern} does not exist`,
    });
  }
  // Walk from the deepest directory without a wildcard.
  const segments = absolute.split(sep);
  const firstWild = segments.findIndex((segment) => /[*?[{]/.test(segment));
  const root = segments.slice(0, firstWild).join(sep) || sep;
  let entries: string[];
  try {
    entries = (await readdir(root, { recursive: true })).map((entry) => join(root, entry));
  } catch {
    entries = [];
  }
  const matches: string[] = [];
  for (const entry of entries.sort()) {
    if (matchesGlob(entry, absolute) && (await stat(entry)).isFile()) matches.push(entry);
  }
  if (matches.length === 0)
    throw new ConfigurationError({
      path: `input "${input}"`,
      message: `${pattern} matches no file`,
    });
  return matches;
}

export interface DigestSettings {
  workspace: string;
  files: string[];
  period: Period;
  tagKey: string;
  /** The environments directory, when there is one: budgets and which environments are production. */
  directory?: EnvironmentDirectory;
  commitmentDiscount?: number;
  ci?: {
    client: GitHubClient;
    repository: Repository;
    rateCards: readonly RateCard[];
    overlay: RateOverlay;
  };
}

export interface DigestOutcome {
  report: DigestReport;
  summaries: ReadSummary[];
  notices: Notice[];
}

export async function runDigest(settings: DigestSettings): Promise<DigestOutcome> {
  const notices: Notice[] = [];
  const { budgets, production } = await environmentFacts(settings.directory);
  const ledger = new DigestLedger(
    settings.period,
    previousPeriod(settings.period),
    DEFAULT_ANOMALY_METHOD.baselineDays,
  );
  const tags = new TagResolver(settings.tagKey, ledger);
  const summaries: ReadSummary[] = [];
  for (const file of settings.files) {
    const display = relative(settings.workspace, file) || file;
    summaries.push(
      file.toLowerCase().endsWith(".parquet")
        ? await readFocusParquet(file, display, ledger, tags)
        : await readFocusCsv(file, display, ledger, tags),
    );
  }
  if (ledger.used === 0) {
    notices.push({
      level: "warning",
      message: `no usable row in ${summaries.map((summary) => summary.file).join(", ")}`,
    });
  }
  if (tags.unreadable > 0)
    notices.push({
      level: "warning",
      message:
        `${tags.unreadable} distinct Tags value(s) are not JSON objects; ` +
        `their rows count as ${UNREADABLE_TAGS}`,
    });
  let ci: CiCost | undefined;
  if (settings.ci) ci = await periodCi(settings.ci, settings.period, notices);
  const report = buildDigestReport(ledger, {
    tagKey: settings.tagKey,
    files: summaries,
    budgets,
    isProduction: (name) => production.get(name) ?? productionByName(name),
    commitmentDiscount: settings.commitmentDiscount ?? DEFAULT_COMMITMENT_DISCOUNT,
    ...(ci ? { ci } : {}),
  });
  return { report, summaries, notices };
}

/** Budgets and production flags from environments/, when the repository has it. */
async function environmentFacts(
  directory: EnvironmentDirectory | undefined,
): Promise<{ budgets: Map<string, ResolvedBudget>; production: Map<string, boolean> }> {
  const budgets = new Map<string, ResolvedBudget>();
  const production = new Map<string, boolean>();
  const problems: Problem[] = [];
  for (const name of directory?.names ?? []) {
    const environment = layerEnvironment(await directory!.sources(name));
    production.set(name, environment.document.production === true);
    const resolved = resolveBudget(environment.document.budget, "USD", environment.locate);
    problems.push(...resolved.problems);
    if (resolved.budget) budgets.set(name, resolved.budget);
  }
  throwIfProblems(problems);
  return { budgets, production };
}

interface RunSummary {
  id: number;
}

/** Every job of the workflow runs created in the period, priced. */
async function periodCi(
  ci: NonNullable<DigestSettings["ci"]>,
  period: Period,
  notices: Notice[],
): Promise<CiCost | undefined> {
  try {
    const runs = (await ci.client.paginate("GET /repos/{owner}/{repo}/actions/runs", {
      ...ci.repository,
      created: `${dayText(period.start)}..${dayText(period.end - 1)}`,
      per_page: 100,
    })) as unknown as RunSummary[];
    const jobs = await jobsOfRuns(
      ci.client,
      ci.repository,
      runs.map((run) => run.id),
    );
    return priceJobs(runs.length, jobs, ci.rateCards, ci.overlay);
  } catch (error) {
    return minutesLeftOut(error, notices, "Actions minutes");
  }
}
