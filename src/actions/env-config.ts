// env-config: renders one environment's configuration from environments/, validated and masked;
// in protection mode, compares (or applies) the environments' protection rules on GitHub.
import { resolve } from "node:path";
import * as z from "zod/mini";
import { openEnvironmentDirectory } from "../runtime/environment-directory.js";
import { FORMATS, serializeConfig, toVariables } from "../config/formats.js";
import { layerEnvironment } from "../config/layering.js";
import { compareConfigs, renderConfig, type ConfigDifference } from "../config/render.js";
import { renderConfigReport } from "../config/report.js";
import { runProtection } from "../protection/mode.js";
import { drifted } from "../protection/plan.js";
import { changesJson, driftMessage, renderProtectionReport } from "../protection/report.js";
import { ConfigurationError } from "../shared/errors.js";
import { writeFileAtomic } from "../runtime/files.js";
import { createGitHubClient } from "../runtime/github.js";
import { booleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import {
  appendSummary,
  exportVariable,
  logError,
  logInfo,
  logWarning,
  markFailed,
  registerSecret,
  setOutput,
} from "../runtime/runner.js";
import { scrubSecrets } from "../shared/secrets.js";
import { parseSecretsInput } from "../runtime/secrets-input.js";

const Inputs = z.object({
  mode: z._default(z.enum(["render", "protection"]), "render"),
  environment: z.optional(z.string()),
  "config-dir": z._default(z.string(), "environments"),
  format: z._default(z.enum(FORMATS), "json"),
  "output-file": z.optional(z.string()),
  "export-env": booleanInput(false),
  "compare-to": z.optional(z.string()),
  "protection-action": z._default(z.enum(["plan", "apply"]), "plan"),
  "fail-on-drift": booleanInput(false),
  token: z.optional(z.string()),
  secrets: z.optional(z.string()),
  "unset-secrets": z._default(z.enum(["error", "redact"]), "error"),
});
type Settings = z.infer<typeof Inputs>;

const CONFIG_SCHEMA_FILE = "config.schema.json";

async function main(): Promise<void> {
  const inputs = readInputs(Inputs, process.env, ["token", "secrets"]);
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  if (inputs.mode === "protection") await protectionMode(inputs, workspace);
  else await renderMode(inputs, workspace);
}

async function renderMode(inputs: Settings, workspace: string): Promise<void> {
  if (inputs.environment === undefined)
    throw new ConfigurationError({
      path: 'input "environment"',
      message: "is required to render a configuration",
    });
  const directory = await openEnvironmentDirectory(
    resolve(workspace, inputs["config-dir"]),
    workspace,
  );

  const sources = await directory.sources(inputs.environment);
  const environment = layerEnvironment(sources);
  const schemaFile = await directory.readJson(CONFIG_SCHEMA_FILE);
  let validate;
  if (schemaFile) {
    const { compileConfigSchema } = await import("../config/config-schema.js");
    const compiled = compileConfigSchema(schemaFile.data);
    if (compiled.problem)
      throw new ConfigurationError({ ...compiled.problem, at: { file: schemaFile.file } });
    validate = compiled.validate;
  }
  const secretsInput = parseSecretsInput(inputs.secrets);
  secretsInput.values.forEach(registerSecret);
  if (inputs["unset-secrets"] === "redact" && (inputs["output-file"] || inputs["export-env"])) {
    throw new ConfigurationError({
      path: 'input "unset-secrets"',
      message:
        "redact renders *** in place of unset secrets: it is for checks and diffs, and cannot write output-file or export-env",
    });
  }
  const rendered = renderConfig(environment, (name) => process.env[name], validate, {
    secretLookup: secretsInput.lookup,
    unsetSecrets: inputs["unset-secrets"],
  });
  for (const secret of rendered.secrets) registerSecret(secret);
  const scrub = (text: string): string => scrubSecrets(text, rendered.secrets);

  let differences: ConfigDifference[] | undefined;
  let comparedWith: ReturnType<typeof layerEnvironment> | undefined;
  if (inputs["compare-to"]) {
    comparedWith = layerEnvironment(await directory.sources(inputs["compare-to"]));
    differences = compareConfigs(environment, comparedWith);
  }

  // Everything that can fail on the user's input is decided before anything is written.
  const exports = inputs["export-env"]
    ? toVariables(
        Object.entries(rendered.config)
          .filter(([, value]) => value === null || typeof value !== "object")
          .map(([key, value]) => ({ path: [key], value })),
        ["config"],
      )
    : [];
  const outputFile = inputs["output-file"] ? resolve(workspace, inputs["output-file"]) : undefined;
  const fileContent = outputFile ? serializeConfig(rendered.config, inputs.format) : undefined;

  if (outputFile && fileContent !== undefined) await writeFileAtomic(outputFile, fileContent);

  setOutput("config", scrub(JSON.stringify(rendered.redacted)));
  setOutput("digest", rendered.digest);
  if (outputFile) setOutput("file", outputFile);
  if (differences) {
    setOutput(
      "diff",
      scrub(JSON.stringify(differences.map(({ path, change }) => ({ path, change })))),
    );
  }
  for (const variable of exports) exportVariable(variable.name, variable.value);

  const sourceFiles = sources.layers.map((layer) => layer.file).join(" + ");
  logInfo(`Rendered ${inputs.environment} from ${sourceFiles}: digest ${rendered.digest}`);
  if (exports.length > 0)
    logInfo(
      `Exported ${exports.map((variable) => variable.name).join(", ")} to the job's environment`,
    );
  if (differences && comparedWith) {
    for (const missing of differences.filter((difference) => difference.change === "removed")) {
      logWarning(
        `config.${missing.path} is set in ${inputs["compare-to"]} but not in ${inputs.environment}: promoting may drop it`,
        {
          ...comparedWith.locate(["config", ...missing.keyPath]),
          title: "env-config: key missing here",
        },
      );
    }
  }
  await appendSummary(
    scrub(
      renderConfigReport({
        rendered,
        file: inputs["output-file"],
        compareTo: inputs["compare-to"],
        differences,
      }),
    ),
  );
}

function repository(): { owner: string; repo: string } {
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo)
    throw new Error("GITHUB_REPOSITORY is not set: not running under a GitHub runner");
  return { owner, repo };
}

async function protectionMode(inputs: Settings, workspace: string): Promise<void> {
  if (!inputs.token)
    throw new ConfigurationError({
      path: 'input "token"',
      message:
        "is required in protection mode (github.token can plan; apply needs Administration: write)",
    });
  const action = inputs["protection-action"];
  const directory = await openEnvironmentDirectory(
    resolve(workspace, inputs["config-dir"]),
    workspace,
  );
  const outcome = await runProtection({
    directory,
    ...(inputs.environment === undefined ? {} : { environment: inputs.environment }),
    action,
    client: createGitHubClient({ token: inputs.token }),
    repository: repository(),
  });
  const drift = outcome.plans.flatMap(drifted);
  const applied = outcome.applied;
  const failure =
    outcome.failure === undefined
      ? undefined
      : outcome.failure instanceof Error
        ? outcome.failure.message
        : String(outcome.failure);

  setOutput("drift", String(drift.length > 0));
  setOutput("changes", JSON.stringify(changesJson(outcome.plans, applied)));
  await appendSummary(
    renderProtectionReport({
      action,
      repository: process.env.GITHUB_REPOSITORY ?? "",
      plans: outcome.plans,
      unmanaged: outcome.unmanaged,
      ...(applied ? { applied } : {}),
      ...(failure === undefined ? {} : { failure }),
    }),
  );
  if (outcome.unmanaged.length > 0)
    logInfo(`Not managed (no protection section): ${outcome.unmanaged.join(", ")}`);

  if (action === "plan") {
    const annotate = inputs["fail-on-drift"] ? logError : logWarning;
    for (const change of drift)
      annotate(driftMessage(change), { ...change.at, title: "env-config: protection drift" });
    logInfo(
      drift.length === 0
        ? "No drift: GitHub's environments match the environment files."
        : `${drift.length} protection setting(s) drifted.`,
    );
    if (inputs["fail-on-drift"] && drift.length > 0) markFailed();
    return;
  }
  for (const change of drift.filter((candidate) => applied?.has(candidate)))
    logInfo(`Applied ${change.environment} ${change.setting}`);
  if (outcome.failure !== undefined)
    throw withAppliedNote(
      outcome.failure,
      drift.filter((change) => applied?.has(change)),
    );
  logInfo(
    drift.length === 0
      ? "No drift: nothing to apply."
      : `Applied ${drift.length} protection setting(s).`,
  );
}

/** The apply failure, saying what GitHub had already accepted (so the reader knows what state it is in). */
function withAppliedNote(
  failure: unknown,
  done: readonly { environment: string; setting: string }[],
): unknown {
  const note =
    done.length === 0
      ? "Nothing was applied."
      : `Applied before the failure: ${done.map((change) => `${change.environment} ${change.setting}`).join(", ")}.`;
  if (failure instanceof ConfigurationError) {
    return new ConfigurationError(
      failure.problems.map((problem) => ({ ...problem, message: `${problem.message} ${note}` })),
    );
  }
  const error = failure instanceof Error ? failure : new Error(String(failure));
  error.message = `${error.message}. ${note}`;
  return error;
}

await runAction("env-config", main);
