// delivery-report: the DORA keys (deployment frequency, lead time for changes, change failure
// rate, time to restore) per environment from GitHub's Deployments API and commits, as a job
// summary, a JSON output and a self-contained HTML dashboard; with `mode: audit`, the change
// evidence of each deployment of one environment, its violations, as CSV and JSON files too.
import { resolve } from "node:path";
import * as z from "zod/mini";
import { buildAudit } from "../audit/audit.js";
import { renderAuditCsv, renderAuditJson } from "../audit/files.js";
import { renderAuditSection, renderAuditSummary } from "../audit/render.js";
import { parseWindow } from "../dora/metrics.js";
import { DORA_PUSH_JOB, doraMetricsText } from "../dora/pushgateway-metrics.js";
import { renderHtml, renderSummary, type DeliveryReport } from "../dora/render.js";
import { buildDeliveryReport } from "../dora/report.js";
import { describeResult } from "../notify/deliver.js";
import { scrubbedSend } from "../notify/http.js";
import { pushDelivery, pushUrl, pushWithRetry } from "../notify/pushgateway.js";
import { writeFileAtomic } from "../runtime/files.js";
import { readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";
import { ConfigurationError } from "../shared/errors.js";

const list = (text: string | undefined): string[] => (text ?? "").split(/[\s,]+/).filter(Boolean);

const Inputs = z.object({
  mode: z._default(z.enum(["dora", "audit"]), "dora"),
  window: z.optional(
    z.string().check(
      z.refine((text) => parseWindow(text) !== undefined, {
        error: "expected a length such as 30d, 12w or 48h",
      }),
    ),
  ),
  environments: z.optional(z.string()),
  "required-checks": z.optional(z.string()),
  "output-file": z._default(z.string(), "delivery-report.html"),
  "evidence-csv": z._default(z.string(), "audit-evidence.csv"),
  "evidence-json": z._default(z.string(), "audit-evidence.json"),
  repository: z.optional(
    z.string().check(z.regex(/^[^/\s]+\/[^/\s]+$/, { error: "expected owner/name" })),
  ),
  token: z.optional(z.string()),
  "pushgateway-url": z.optional(z.url({ protocol: /^https?$/, error: "expected an http(s) URL" })),
});
type Settings = z.infer<typeof Inputs>;

interface Outputs {
  report: string;
  "output-file": string;
  "evidence-csv": string;
  "evidence-json": string;
  violations: string;
}

/** The default window: a month of DORA figures, a quarter of audit evidence. */
const DEFAULT_WINDOW = { dora: "30d", audit: "90d" } as const;

async function main(step: StepContext): Promise<void> {
  const inputs = readInputs(Inputs, step.env, ["token"]);
  const token = inputs.token ?? step.env.GITHUB_TOKEN;
  if (!token) {
    throw new ConfigurationError({
      path: 'input "token"',
      message: "a token is required to read deployments: pass github.token (the default)",
    });
  }
  step.secrets.add(token);
  const [owner, repo] = (inputs.repository ?? step.env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo) {
    throw new ConfigurationError({
      path: 'input "repository"',
      message: "no repository: set the input or GITHUB_REPOSITORY",
    });
  }
  const text = inputs.window ?? DEFAULT_WINDOW[inputs.mode];
  const window = { text, lengthMs: parseWindow(text) as number };
  const repository = { owner, repo };
  if (inputs.mode === "audit") return audit(step, inputs, token, { repository, window });

  const { report, deploymentsRead } = await buildDeliveryReport(step.github(token), {
    repository,
    window,
    ...(inputs.environments ? { environments: list(inputs.environments) } : {}),
    endMs: Date.now(),
  });
  const counts = report.environments
    .map((metrics) => `${metrics.environment}: ${metrics.deployments} in the window`)
    .join(", ");
  step.log.info(`${deploymentsRead} deployment(s) read; ${counts || "no environments"}`);
  const file = resolve(step.workspace, inputs["output-file"]);
  await writeFileAtomic(file, renderHtml(report));
  step.setOutputs<Partial<Outputs>>({ report: JSON.stringify(report), "output-file": file });
  await step.appendSummary(renderSummary(report));
  if (inputs["pushgateway-url"]) await pushFigures(step, inputs["pushgateway-url"], report);
}

/**
 * The DORA figures to a Pushgateway (job shipgate_dora, grouped by repository) for the Grafana
 * dashboard. Retried like any notification; a failure is a warning, never the step's result.
 */
async function pushFigures(step: StepContext, base: string, report: DeliveryReport): Promise<void> {
  const { password } = new URL(base);
  step.secrets.add(base, ...(password ? [decodeURIComponent(password)] : []));
  const url = pushUrl(base, DORA_PUSH_JOB, [["repository", report.repository]]);
  const result = await pushWithRetry(
    "DORA figures",
    async () => pushDelivery(url, "DORA figures", await doraMetricsText(report, Date.now())),
    { send: scrubbedSend((text) => step.secrets.scrub(text)) },
  );
  const line = `notify: ${describeResult(result)}`;
  if (result.ok) step.log.info(line);
  else step.log.warning(line);
}

async function audit(
  step: StepContext,
  inputs: Settings,
  token: string,
  scope: {
    repository: { owner: string; repo: string };
    window: { text: string; lengthMs: number };
  },
): Promise<void> {
  const environments = list(inputs.environments ?? "production");
  if (environments.length !== 1) {
    throw new ConfigurationError({
      path: 'input "environments"',
      message: `mode audit reports one environment (got ${environments.join(", ")})`,
    });
  }
  const { audit: report, delivery } = await buildAudit(step.github(token), {
    ...scope,
    environment: environments[0] as string,
    requiredChecks: list(inputs["required-checks"]),
    endMs: Date.now(),
  });
  const { totals } = report;
  step.log.info(
    `${totals.deployments} deployment(s) of ${report.environment} audited: ` +
      `${totals.clean} clean, ${totals.withViolations} with violations; ${report.drills.length} drill(s)`,
  );
  const files = {
    html: resolve(step.workspace, inputs["output-file"]),
    csv: resolve(step.workspace, inputs["evidence-csv"]),
    json: resolve(step.workspace, inputs["evidence-json"]),
  };
  // Everything is rendered before the first file is written: a failure leaves none half-made.
  const contents = {
    html: renderHtml(delivery, [renderAuditSection(report)]),
    csv: renderAuditCsv(report),
    json: renderAuditJson(report),
  };
  await writeFileAtomic(files.json, contents.json);
  await writeFileAtomic(files.csv, contents.csv);
  await writeFileAtomic(files.html, contents.html);
  step.setOutputs<Outputs>({
    report: JSON.stringify(delivery),
    "output-file": files.html,
    "evidence-csv": files.csv,
    "evidence-json": files.json,
    violations: String(totals.withViolations),
  });
  await step.appendSummary(renderAuditSummary(report));
}

await runAction("delivery-report", main);
