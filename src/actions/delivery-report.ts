// delivery-report: the DORA keys (deployment frequency, lead time for changes, change failure
// rate, time to restore) per environment from GitHub's Deployments API and commits, as a job
// summary, a JSON output and a self-contained HTML dashboard.
import { resolve } from "node:path";
import * as z from "zod/mini";
import { parseWindow } from "../dora/metrics.js";
import { renderHtml, renderSummary } from "../dora/render.js";
import { buildDeliveryReport } from "../dora/report.js";
import { writeFileAtomic } from "../runtime/files.js";
import { readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";
import { ConfigurationError } from "../shared/errors.js";

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

interface Outputs {
  report: string;
  "output-file": string;
}

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
  const { report, deploymentsRead } = await buildDeliveryReport(step.github(token), {
    repository: { owner, repo },
    window: { text: inputs.window, lengthMs: parseWindow(inputs.window) as number },
    ...(inputs.environments
      ? { environments: inputs.environments.split(/[\s,]+/).filter(Boolean) }
      : {}),
    endMs: Date.now(),
  });
  const counts = report.environments
    .map((metrics) => `${metrics.environment}: ${metrics.deployments} in the window`)
    .join(", ");
  step.log.info(`${deploymentsRead} deployment(s) read; ${counts || "no environments"}`);
  const file = resolve(step.workspace, inputs["output-file"]);
  await writeFileAtomic(file, renderHtml(report));
  step.setOutputs<Outputs>({ report: JSON.stringify(report), "output-file": file });
  await step.appendSummary(renderSummary(report));
}

await runAction("delivery-report", main);
