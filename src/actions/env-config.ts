// env-config: renders one environment's configuration from environments/, validated and masked;
// in protection mode, compares (or applies) the environments' protection rules on GitHub.
import * as z from "zod/mini";
import type { ConfigValidator } from "../config/config-schema.js";
import { FORMATS, serializeConfig, toVariables } from "../config/formats.js";
import type { LayeredEnvironment } from "../config/layering.js";
import { compareConfigs, renderConfig, type ConfigDifference } from "../config/render.js";
import { renderConfigReport } from "../config/report.js";
import { runProtection } from "../protection/mode.js";
import { drifted } from "../protection/plan.js";
import { changesJson, driftMessage, renderProtectionReport } from "../protection/report.js";
import type { EnvironmentDirectory } from "../runtime/environment-directory.js";
import { workspacePath, writeFileAtomic } from "../runtime/files.js";
import { booleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import type { StepContext } from "../runtime/step.js";
import { ConfigurationError } from "../shared/errors.js";

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
  vars: z.optional(z.string()),
  "unset-secrets": z._default(z.enum(["error", "redact"]), "error"),
});
type Inputs = z.infer<typeof Inputs>;

interface Outputs {
  config?: string;
  digest?: string;
  file?: string;
  diff?: string;
  drift?: string;
  changes?: string;
}

const CONFIG_SCHEMA_FILE = "config.schema.json";

/** config-dir and output-file as absolute paths, each checked to be inside the workspace. */
interface Paths {
  configDir: string;
  outputFile?: string;
}

async function main(step: StepContext): Promise<void> {
  const inputs = readInputs(Inputs, step.env, ["token", "secrets"]);
  // Checked before anything is read or written: inside the workspace and out of its .git.
  const outputFile = inputs["output-file"];
  const paths: Paths = {
    configDir: await workspacePath(step.workspace, inputs["config-dir"], "config-dir"),
    ...(outputFile === undefined
      ? {}
      : { outputFile: await workspacePath(step.workspace, outputFile, "output-file") }),
  };
  if (inputs.mode === "protection") await protectionMode(step, inputs, paths);
  else await renderMode(step, inputs, paths);
}

/** The user's config.schema.json beside the environment files, compiled; ajv loads only then. */
async function loadValidator(
  directory: EnvironmentDirectory,
): Promise<ConfigValidator | undefined> {
  const schemaFile = await directory.readJson(CONFIG_SCHEMA_FILE);
  if (!schemaFile) return undefined;
  const { compileConfigSchema } = await import("../config/config-schema.js");
  const compiled = compileConfigSchema(schemaFile.data);
  if (compiled.problem) {
    throw new ConfigurationError({ ...compiled.problem, at: { file: schemaFile.file } });
  }
  return compiled.validate;
}

async function renderMode(step: StepContext, inputs: Inputs, paths: Paths): Promise<void> {
  const name = inputs.environment;
  if (name === undefined) {
    throw new ConfigurationError({
      path: 'input "environment"',
      message: "is required to render a configuration",
    });
  }
  const directory = await step.environments(paths.configDir);
  const environment = await step.environment(paths.configDir, name);
  const validate = await loadValidator(directory);
  step.useReferenceInputs(inputs);
  if (inputs["unset-secrets"] === "redact" && (inputs["output-file"] || inputs["export-env"])) {
    throw new ConfigurationError({
      path: 'input "unset-secrets"',
      message:
        "redact renders *** in place of unset secrets: it is for checks and diffs, " +
        "and cannot write output-file or export-env",
    });
  }
  const rendered = renderConfig(environment, step.lookup, validate, {
    unsetSecrets: inputs["unset-secrets"],
  });
  step.secrets.add(...rendered.secrets);
  const comparedWith = inputs["compare-to"]
    ? await step.environment(paths.configDir, inputs["compare-to"])
    : undefined;
  const differences = comparedWith ? compareConfigs(environment, comparedWith) : undefined;

  // Everything that can fail on the user's input is decided before anything is written.
  const exports = inputs["export-env"] ? exportedVariables(rendered.config) : [];
  const outputFile = paths.outputFile;
  if (outputFile)
    await writeFileAtomic(outputFile, serializeConfig(rendered.config, inputs.format));

  step.setOutputs<Outputs>({
    config: JSON.stringify(rendered.redacted),
    digest: rendered.digest,
    file: outputFile,
    diff: differences && JSON.stringify(differences.map(({ path, change }) => ({ path, change }))),
  });
  for (const variable of exports) step.exportVariable(variable.name, variable.value);
  const sourceFiles = (await directory.sources(name)).layers.map((layer) => layer.file).join(" + ");
  step.log.info(`Rendered ${name} from ${sourceFiles}: digest ${rendered.digest}`);
  if (exports.length > 0) {
    const names = exports.map((variable) => variable.name).join(", ");
    step.log.info(`Exported ${names} to the job's environment`);
  }
  if (differences && comparedWith) warnMissingKeys(step, inputs, differences, comparedWith);
  const report = {
    rendered,
    file: inputs["output-file"],
    compareTo: inputs["compare-to"],
    differences,
  };
  await step.appendSummary(renderConfigReport(report));
}

/** The top-level scalar keys of the configuration, as CONFIG_* variables for later steps. */
function exportedVariables(config: Record<string, unknown>) {
  const scalars = Object.entries(config)
    .filter(([, value]) => value === null || typeof value !== "object")
    .map(([key, value]) => ({ path: [key], value }));
  return toVariables(scalars, ["config"]);
}

/** A key the compared environment sets and this one lacks may be dropped by promoting. */
function warnMissingKeys(
  step: StepContext,
  inputs: Inputs,
  differences: readonly ConfigDifference[],
  comparedWith: LayeredEnvironment,
): void {
  for (const missing of differences.filter((difference) => difference.change === "removed")) {
    step.log.warning(
      `config.${missing.path} is set in ${inputs["compare-to"]} but not in ${inputs.environment}: ` +
        "promoting may drop it",
      {
        ...comparedWith.locate(["config", ...missing.keyPath]),
        title: "env-config: key missing here",
      },
    );
  }
}

async function protectionMode(step: StepContext, inputs: Inputs, paths: Paths): Promise<void> {
  if (!inputs.token) {
    throw new ConfigurationError({
      path: 'input "token"',
      message:
        "is required in protection mode (github.token can plan; apply needs Administration: write)",
    });
  }
  step.secrets.add(inputs.token);
  const action = inputs["protection-action"];
  const repository = step.repository();
  const outcome = await runProtection({
    directory: await step.environments(paths.configDir),
    ...(inputs.environment === undefined ? {} : { environment: inputs.environment }),
    action,
    client: step.github(inputs.token),
    repository,
  });
  const drift = outcome.plans.flatMap(drifted);
  const applied = outcome.applied;
  const failure =
    outcome.failure === undefined
      ? undefined
      : outcome.failure instanceof Error
        ? outcome.failure.message
        : String(outcome.failure);

  step.setOutputs<Outputs>({
    drift: String(drift.length > 0),
    changes: JSON.stringify(changesJson(outcome.plans, applied)),
  });
  await step.appendSummary(
    renderProtectionReport({
      action,
      repository: `${repository.owner}/${repository.repo}`,
      plans: outcome.plans,
      unmanaged: outcome.unmanaged,
      ...(applied ? { applied } : {}),
      ...(failure === undefined ? {} : { failure }),
    }),
  );
  if (outcome.unmanaged.length > 0) {
    step.log.info(`Not managed (no protection section): ${outcome.unmanaged.join(", ")}`);
  }
  if (action === "plan") return reportDrift(step, inputs, drift);
  const done = drift.filter((change) => applied?.has(change));
  for (const change of done) step.log.info(`Applied ${change.environment} ${change.setting}`);
  if (outcome.failure !== undefined) throw withAppliedNote(outcome.failure, done);
  step.log.info(
    drift.length === 0
      ? "No drift: nothing to apply."
      : `Applied ${drift.length} protection setting(s).`,
  );
}

function reportDrift(step: StepContext, inputs: Inputs, drift: ReturnType<typeof drifted>): void {
  const failOnDrift = inputs["fail-on-drift"];
  for (const change of drift) {
    const at = { ...change.at, title: "env-config: protection drift" };
    if (failOnDrift) step.log.error(driftMessage(change), at);
    else step.log.warning(driftMessage(change), at);
  }
  step.log.info(
    drift.length === 0
      ? "No drift: GitHub's environments match the environment files."
      : `${drift.length} protection setting(s) drifted.`,
  );
  if (failOnDrift && drift.length > 0) step.fail();
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
