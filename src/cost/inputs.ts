// Files named by the action's inputs (pricing catalog, rates overlay), read and validated with file:line.
import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { ConfigurationError } from "../shared/errors.js";
import { parseYamlSource, type YamlSource } from "../config/yaml-source.js";
import { mergeCatalogs, parseCatalog, type Catalog } from "./catalog.js";
import { parseRateOverlay, type RateOverlay } from "./ci-cost.js";
import { loadDefaultCatalog } from "./defaults.js";

/** Reads a YAML (or JSON) file an input names; a missing file is the input's problem. */
export async function readInputFile(
  workspace: string,
  path: string,
  input: string,
): Promise<YamlSource> {
  const absolute = resolve(workspace, path);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    throw new ConfigurationError({
      path: `input "${input}"`,
      message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    });
  }
  return parseYamlSource(relative(workspace, absolute) || path, text);
}

/** The default catalog with the user's catalog (input `pricing`) layered over it. */
export async function loadCatalog(
  workspace: string,
  pricing: string | undefined,
): Promise<Catalog> {
  const defaults = await loadDefaultCatalog();
  if (!pricing) return defaults;
  return mergeCatalogs([
    defaults,
    parseCatalog(await readInputFile(workspace, pricing, "pricing")),
  ]);
}

export async function loadOverlay(
  workspace: string,
  rates: string | undefined,
): Promise<RateOverlay> {
  if (!rates) return { skus: new Map(), labels: new Map() };
  return parseRateOverlay(await readInputFile(workspace, rates, "rates"));
}
