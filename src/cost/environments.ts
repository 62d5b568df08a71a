// Environment files (head on disk, base from git or the API) layered and priced into comparison sides.
import { ConfigurationError, throwIfProblems, type Problem } from "../shared/errors.js";
import type { EnvironmentDirectory } from "../runtime/environment-directory.js";
import { layerEnvironment, type LayeredEnvironment } from "../config/layering.js";
import { parseYamlSource } from "../config/yaml-source.js";
import { resolveBudget } from "./budget.js";
import type { Catalog } from "./catalog.js";
import type { EnvironmentSide } from "./compare.js";
import { priceResources } from "./pricing.js";

export const DEFAULT_CURRENCY = "USD";

/** Prices one layered environment; undefined when it declares neither resources nor a budget. */
export function priceEnvironment(
  environment: LayeredEnvironment,
  catalog: Catalog,
): { side?: EnvironmentSide; problems: Problem[] } {
  const { resources, budget, production } = environment.document;
  if (resources === undefined && budget === undefined) return { problems: [] };
  const { priced, problems } = priceResources(
    resources,
    catalog,
    DEFAULT_CURRENCY,
    environment.locate,
  );
  const resolved = resolveBudget(budget, priced.currency, environment.locate);
  return {
    side: {
      priced,
      production: production === true,
      ...(resolved.budget ? { budget: resolved.budget } : {}),
    },
    problems: [...problems, ...resolved.problems],
  };
}

/** Every environment of the working tree, priced; any problem in any file fails the run. */
export async function priceHead(
  directory: EnvironmentDirectory,
  catalog: Catalog,
): Promise<Map<string, EnvironmentSide>> {
  const sides = new Map<string, EnvironmentSide>();
  const problems: Problem[] = [];
  for (const name of directory.names) {
    const { side, problems: found } = priceEnvironment(
      layerEnvironment(await directory.sources(name)),
      catalog,
    );
    problems.push(...found);
    if (side) sides.set(name, side);
  }
  throwIfProblems(problems);
  return sides;
}

/**
 * The base branch's environments, priced. The pull request cannot fix the base, so an
 * environment whose base files do not read or price is reported and compared as new.
 */
export function priceBase(
  files: ReadonlyMap<string, string>,
  display: string,
  label: string,
  catalog: Catalog,
): { sides: Map<string, EnvironmentSide>; unreadable: { name: string; reason: string }[] } {
  const sides = new Map<string, EnvironmentSide>();
  const unreadable: { name: string; reason: string }[] = [];
  const byName = new Map<string, string>();
  for (const fileName of [...files.keys()].sort()) {
    const name = fileName.replace(/\.ya?ml$/, "");
    if (!byName.has(name)) byName.set(name, fileName);
  }
  const baseFile = byName.get("base");
  for (const [name, fileName] of byName) {
    if (name === "base") continue;
    try {
      const layers = [...(baseFile ? [baseFile] : []), fileName].map((file) =>
        parseYamlSource(`${display}/${file} (${label})`, files.get(file) ?? ""),
      );
      const { side, problems } = priceEnvironment(layerEnvironment({ name, layers }), catalog);
      throwIfProblems(problems);
      if (side) sides.set(name, side);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      unreadable.push({ name, reason: error.message.split("\n")[0] ?? error.message });
    }
  }
  return { sides, unreadable };
}
