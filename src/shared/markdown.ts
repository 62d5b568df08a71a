// Markdown building blocks for job summaries and pull request comments, safe for any cell text.

/** Shortens text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Makes text safe inside a table cell: no pipes, line breaks or HTML break the table. */
export function escapeCell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, "<br>");
}

/** Inline code that survives backticks inside the text. */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

export type Align = "left" | "right" | "center";

/** A GitHub-flavoured markdown table. Cells are escaped unless wrapped with `raw()`. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly (string | Raw)[])[],
  align: readonly Align[] = [],
): string {
  const marker = (index: number): string => {
    const a = align[index] ?? "left";
    return a === "right" ? "---:" : a === "center" ? ":---:" : "---";
  };
  const cell = (value: string | Raw): string =>
    value instanceof Raw ? value.text : escapeCell(value);
  const line = (cells: readonly (string | Raw)[]): string => `| ${cells.map(cell).join(" | ")} |`;
  return [
    line(headers),
    `| ${headers.map((_, index) => marker(index)).join(" | ")} |`,
    ...rows.map(line),
  ].join("\n");
}

/** Markdown that a table should insert as it is (already escaped, such as inline code). */
export class Raw {
  constructor(readonly text: string) {}
}

export const raw = (text: string): Raw => new Raw(text);

/** A collapsed section. */
export function details(summary: string, body: string): string {
  return `<details><summary>${escapeCell(summary)}</summary>\n\n${body}\n\n</details>`;
}

/** A GitHub alert block (`NOTE`, `WARNING`, `CAUTION`…). */
export function alert(
  kind: "NOTE" | "TIP" | "IMPORTANT" | "WARNING" | "CAUTION",
  body: string,
): string {
  return [`> [!${kind}]`, ...body.split("\n").map((line) => `> ${line}`)].join("\n");
}
