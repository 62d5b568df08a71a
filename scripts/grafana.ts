// Writes grafana/shipgate.json from tools/grafana/dashboard.ts (`npm run grafana`); with --check,
// exits 1 when the committed file differs from what the code builds.
import { readFile, rename, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dashboardJson } from "../tools/grafana/dashboard.js";

const target = fileURLToPath(new URL("../grafana/shipgate.json", import.meta.url));
const built = dashboardJson();
if (process.argv.includes("--check")) {
  const committed = await readFile(target, "utf8").catch(() => "");
  if (committed !== built) {
    console.error("grafana/shipgate.json is stale: run npm run grafana");
    process.exitCode = 1;
  }
} else {
  await writeFile(`${target}.next`, built);
  await rename(`${target}.next`, target);
  console.log(`wrote ${target}`);
}
