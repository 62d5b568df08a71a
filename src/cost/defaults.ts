// The bundled data: the default pricing catalog and GitHub's runner rate cards, read from files
// that ncc copies next to the bundle (each `new URL(literal, import.meta.url)` becomes an asset).
import { readFile } from "node:fs/promises";
import { parseYamlSource } from "../config/yaml-source.js";
import { parseCatalog, type Catalog } from "./catalog.js";
import { parseRateCard, type RateCard } from "./ci-cost.js";

export async function loadDefaultCatalog(): Promise<Catalog> {
  const text = await readFile(new URL("../../data/pricing/default.yml", import.meta.url), "utf8");
  return parseCatalog(
    parseYamlSource("shipgate default pricing catalog (data/pricing/default.yml)", text),
  );
}

/** Every bundled rate card, oldest first. */
export async function loadRateCards(): Promise<RateCard[]> {
  const files = [
    {
      name: "data/rates/github-actions-2023-01-01.yml",
      url: new URL("../../data/rates/github-actions-2023-01-01.yml", import.meta.url),
    },
    {
      name: "data/rates/github-actions-2026-01-01.yml",
      url: new URL("../../data/rates/github-actions-2026-01-01.yml", import.meta.url),
    },
  ];
  const cards = await Promise.all(
    files.map(async (file) =>
      parseRateCard(parseYamlSource(file.name, await readFile(file.url, "utf8"))),
    ),
  );
  return cards.sort((a, b) => a.effective.localeCompare(b.effective));
}
