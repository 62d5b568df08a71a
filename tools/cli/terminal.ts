// A step's log on a terminal as the runner shows it: workflow commands obeyed rather than printed
// (::add-mask:: values become *** from then on, groups indent their lines, ::debug:: only with
// ACTIONS_STEP_DEBUG), and annotations as readable lines with their file and line.
import { parseAnnotations, type Annotation } from "../runner/run-action.js";

export interface TerminalOptions {
  /** Show ::debug:: lines (the step ran with ACTIONS_STEP_DEBUG=true). */
  debug: boolean;
  /** ANSI colours for annotations. */
  color: boolean;
}

const unescapeData = (text: string): string =>
  text.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");

const LEVEL = {
  error: { word: "Error", color: "\u001b[31m" },
  warning: { word: "Warning", color: "\u001b[33m" },
  notice: { word: "Notice", color: "\u001b[36m" },
} as const;

/** One step's log, fed a line at a time, written a line at a time. */
export class RunnerLog {
  private readonly masks: string[] = [];
  private inGroup = false;
  /** The token of ::stop-commands::, until `::token::` resumes them. */
  private stopToken: string | undefined;

  constructor(
    private readonly write: (line: string) => void,
    private readonly options: TerminalOptions,
  ) {}

  line(raw: string): void {
    if (this.stopToken !== undefined) {
      if (raw === `::${this.stopToken}::`) this.stopToken = undefined;
      else this.print(raw);
      return;
    }
    const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(raw);
    if (!command) return this.print(raw);
    const [, name, data = ""] = command;
    if (name === "add-mask") this.addMask(unescapeData(data));
    else if (name === "group") {
      this.print(`▾ ${unescapeData(data)}`);
      this.inGroup = true;
    } else if (name === "endgroup") this.inGroup = false;
    else if (name === "debug") {
      if (this.options.debug) this.print(`Debug: ${unescapeData(data)}`);
    } else if (name === "stop-commands") this.stopToken = data;
    else if (name === "error" || name === "warning" || name === "notice") {
      const [annotation] = parseAnnotations([raw]);
      this.print(annotation ? this.annotation(annotation) : raw);
    } else this.print(raw);
  }

  private addMask(value: string): void {
    if (value.trim() === "" || this.masks.includes(value)) return;
    this.masks.push(value);
    // Longest first, so a secret that contains another is masked whole.
    this.masks.sort((a, b) => b.length - a.length);
  }

  private annotation(annotation: Annotation): string {
    const { word, color } = LEVEL[annotation.level];
    // Where it points, unless the message says so already (shipgate's problems begin with it).
    const place =
      annotation.file && !annotation.message.startsWith(annotation.file)
        ? `${annotation.file}${annotation.line ? `:${annotation.line}` : ""}` +
          `${annotation.line && annotation.column ? `:${annotation.column}` : ""}: `
        : "";
    const title = annotation.title ? ` (${annotation.title})` : "";
    const label = this.options.color ? `${color}${word}\u001b[0m` : word;
    return `${label}: ${place}${annotation.message}${title}`;
  }

  private print(text: string): void {
    let shown = text;
    for (const mask of this.masks) shown = shown.split(mask).join("***");
    const indent = this.inGroup ? "  " : "";
    for (const line of shown.split("\n")) this.write(`${indent}${line}`);
  }
}
