// The env-config job summary: the rendered keys (secrets masked) and the comparison, as markdown.
import { alert, code, details, raw, table, truncate } from "../shared/markdown.js";
import { leaves } from "./flatten.js";
import type { ConfigDifference, RenderedConfig } from "./render.js";
import { formatKeyPath } from "./yaml-source.js";

export interface ConfigReport {
  rendered: RenderedConfig;
  file?: string;
  compareTo?: string;
  differences?: readonly ConfigDifference[];
}

const MAX_VALUE = 120;

function shown(value: unknown): string {
  return truncate(typeof value === "string" ? value : JSON.stringify(value), MAX_VALUE);
}

/** Markdown for the job summary. Only redacted values ever reach it. */
export function renderConfigReport(report: ConfigReport): string {
  const { rendered } = report;
  const keys = leaves(rendered.redacted);
  const parts: string[] = [`### env-config: ${code(rendered.environment)}`];
  parts.push(
    `${keys.length} key${keys.length === 1 ? "" : "s"} rendered · digest ${code(rendered.digest)}` +
      (report.file ? ` · written to ${code(report.file)}` : ""),
  );
  if (report.differences && report.compareTo) {
    const missing = report.differences.filter((difference) => difference.change === "removed");
    if (missing.length > 0) {
      parts.push(
        alert(
          "WARNING",
          `${missing.length} key${missing.length === 1 ? "" : "s"} set in ${code(report.compareTo)} but not in ${code(rendered.environment)}: ` +
            missing.map((difference) => code(difference.path)).join(", "),
        ),
      );
    }
    parts.push(`#### Compared with ${code(report.compareTo)}`);
    parts.push(
      report.differences.length === 0
        ? "No differences."
        : table(
            ["Key", "Change", rendered.environment, report.compareTo],
            report.differences.map((difference) => [
              raw(code(difference.path)),
              difference.change === "removed" ? `missing here` : difference.change,
              difference.here === undefined ? "—" : truncate(difference.here, MAX_VALUE),
              difference.there === undefined ? "—" : truncate(difference.there, MAX_VALUE),
            ]),
          ),
    );
  }
  const keyTable =
    keys.length === 0
      ? "The configuration is empty."
      : table(
          ["Key", "Value"],
          keys.map((leaf) => [raw(code(formatKeyPath(leaf.path))), shown(leaf.value)]),
        );
  parts.push(details(`Rendered configuration (${keys.length} keys, secrets masked)`, keyTable));
  return `${parts.join("\n\n")}\n`;
}
