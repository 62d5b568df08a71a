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

const keyCount = (count: number): string => `${count} key${count === 1 ? "" : "s"}`;

/** Markdown for the job summary. Only redacted values ever reach it. */
export function renderConfigReport(report: ConfigReport): string {
  const { rendered } = report;
  const keys = leaves(rendered.redacted);
  const parts: string[] = [`### env-config: ${code(rendered.environment)}`];
  parts.push(
    `${keyCount(keys.length)} rendered · digest ${code(rendered.digest)}` +
      (report.file ? ` · written to ${code(report.file)}` : ""),
  );
  if (report.differences && report.compareTo)
    parts.push(...comparison(rendered.environment, report.compareTo, report.differences));
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

/** The comparison with another environment, led by a warning for the keys this one lacks. */
function comparison(
  environment: string,
  compareTo: string,
  differences: readonly ConfigDifference[],
): string[] {
  const parts: string[] = [];
  const missing = differences.filter((difference) => difference.change === "removed");
  if (missing.length > 0) {
    parts.push(
      alert(
        "WARNING",
        `${keyCount(missing.length)} set in ${code(compareTo)} but not in ${code(environment)}: ` +
          missing.map((difference) => code(difference.path)).join(", "),
      ),
    );
  }
  parts.push(`#### Compared with ${code(compareTo)}`);
  parts.push(
    differences.length === 0
      ? "No differences."
      : table(
          ["Key", "Change", environment, compareTo],
          differences.map((difference) => [
            raw(code(difference.path)),
            difference.change === "removed" ? `missing here` : difference.change,
            difference.here === undefined ? "—" : truncate(difference.here, MAX_VALUE),
            difference.there === undefined ? "—" : truncate(difference.there, MAX_VALUE),
          ]),
        ),
  );
  return parts;
}
