// env-config: renders one environment's configuration from environments/, validated and masked.
import { resolve } from "node:path";
import * as z from "zod/mini";
import { openEnvironmentDirectory } from "../config/environment-files.js";
import { FORMATS, serializeConfig, toVariables } from "../config/formats.js";
import { layerEnvironment } from "../config/layering.js";
import { compareConfigs, renderConfig, type ConfigDifference } from "../config/render.js";
import { renderConfigReport } from "../config/report.js";
import { ConfigurationError } from "../runtime/errors.js";
import { writeFileAtomic } from "../runtime/files.js";
import { booleanInput, readInputs } from "../runtime/inputs.js";
import { runAction } from "../runtime/run.js";
import {
  appendSummary,
  exportVariable,
  logInfo,
  logWarning,
  registerSecret,
  setOutput,
} from "../runtime/runner.js";
import { scrubSecrets } from "../runtime/secrets.js";

const Inputs = z.object({
  environment: z.string(),
  "config-dir": z._default(z.string(), "environments"),
  format: z._default(z.enum(FORMATS), "json"),
  "output-file": z.optional(z.string()),
  "export-env": booleanInput(false),
  "compare-to": z.optional(z.string()),
});

const CONFIG_SCHEMA_FILE = "config.schema.json";

async function main(): Promise<void> {
  const inputs = readInputs(Inputs);
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const directory = await openEnvironmentDirectory(resolve(workspace, inputs["config-dir"]), workspace);

  const sources = await directory.sources(inputs.environment);
  const environment = layerEnvironment(sources);
  const schemaFile = await directory.readJson(CONFIG_SCHEMA_FILE);
  let validate;
  if (schemaFile) {
    const { compileConfigSchema } = await import("../config/config-schema.js");
    const compiled = compileConfigSchema(schemaFile.data);
    if (compiled.problem) throw new ConfigurationError({ ...compiled.problem, at: { file: schemaFile.file } });
    validate = compiled.validate;
  }
  const rendered = renderConfig(environment, (name) => process.env[name], validate);
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
    setOutput("diff", scrub(JSON.stringify(differences.map(({ path, change }) => ({ path, change })))));
  }
  for (const variable of exports) exportVariable(variable.name, variable.value);

  const sourceFiles = sources.layers.map((layer) => layer.file).join(" + ");
  logInfo(`Rendered ${inputs.environment} from ${sourceFiles}: digest ${rendered.digest}`);
  if (exports.length > 0) logInfo(`Exported ${exports.map((variable) => variable.name).join(", ")} to the job's environment`);
  if (differences && comparedWith) {
    for (const missing of differences.filter((difference) => difference.change === "removed")) {
      logWarning(
        `config.${missing.path} is set in ${inputs["compare-to"]} but not in ${inputs.environment}: promoting may drop it`,
        { ...comparedWith.locate(["config", ...missing.keyPath]), title: "env-config: key missing here" },
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

await runAction("env-config", main);
