// delivery-report: the DORA keys (deployment frequency, lead time for changes, change failure
// rate, time to restore) per environment from GitHub's Deployments API and commits, as a job
// summary, a JSON output and a self-contained HTML dashboard.
import { resolve } from "node:path";
import * as z from "zod/mini";
import { fetchChanges, fetchHistory } from "../dora/github.js";
import { environmentMetrics, parseWindow } from "../dora/metrics.js";
import { renderHtml, renderSummary, type DeliveryReport } from "../dora/render.js";
import { ConfigurationError } from "../shared/errors.js";
import { writeFileAtomic } from "../runtime/files.js";
import { createGitHubClient } from "../runtime/github.js";
import { readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import { appendSummary, logInfo, registerSecret, setOutput } from "../runtime/runner.js";

const Inputs = z.object({
  window: z._default(
    z.string().check(
      z.refine((text) => parseWindow(text) !== undefined, {
        error: "expected a length such as 30d, 12w or 48h",
      }),
    ),
    "30d",
  ),
  environments: z.optional(z.string()),
  "output-file": z._default(z.string(), "delivery-report.html"),
  repository: z.optional(
    z.string().check(z.regex(/^[^/\s]+\/[^/\s]+$/, { error: "expected owner/name" })),
  ),
  token: z.optional(z.string()),
});

async function main(): Promise<void> {
  const inputs = readInputs(Inputs, process.env, ["token"]);
  const token = inputs.token ?? process.env.GITHUB_TOKEN;
  if (!token)
    throw new ConfigurationError({
      path: 'input "token"',
      message: "a token is required to read deployments: pass github.token (the default)",
    });
  registerSecret(token);
  const fullName = inputs.repository ?? process.env.GITHUB_REPOSITORY ?? "";
  const [owner, repo] = fullName.split("/");
  if (!owner || !repo)
    throw new ConfigurationError({
      path: 'input "repository"',
      message: "no repository: set the input or GITHUB_REPOSITORY",
    });
  const repository = { owner, repo };
  const client = createGitHubClient({ token });

  const length = parseWindow(inputs.window) as number;
  const endMs = Date.now();
  const window = { startMs: endMs - length, endMs };
  // One window's worth before the window: the first deployments in it need one to compare with.
  const sinceMs = window.startMs - length;
  const wanted = inputs.environments?.split(/[\s,]+/).filter(Boolean);
  const history = wanted
    ? (
        await Promise.all(
          wanted.map((environment) => fetchHistory(client, repository, { environment, sinceMs })),
        )
      ).flat()
    : await fetchHistory(client, repository, { sinceMs });
  const changes = await fetchChanges(client, repository, history, window.startMs);
  const environments =
    wanted ?? [...new Set(history.map((deployment) => deployment.environment))].sort();
  const report: DeliveryReport = {
    repository: `${owner}/${repo}`,
    window: {
      text: inputs.window,
      start: new Date(window.startMs).toISOString(),
      end: new Date(endMs).toISOString(),
    },
    environments: environments.map((environment) =>
      environmentMetrics(environment, history, changes, window),
    ),
  };
  logInfo(
    `${history.length} deployment(s) read; ${report.environments.map((metrics) => `${metrics.environment}: ${metrics.deployments} in the window`).join(", ") || "no environments"}`,
  );

  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const file = resolve(workspace, inputs["output-file"]);
  await writeFileAtomic(file, renderHtml(report));
  setOutput("report", JSON.stringify(report));
  setOutput("output-file", file);
  await appendSummary(renderSummary(report));
}

await runAction("delivery-report", main);
