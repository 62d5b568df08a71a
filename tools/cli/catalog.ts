// The actions the CLI can run, read from their action.yml (name, description, inputs, post step),
// and the help texts made of them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../runner/run-action.js";
import { CLI_OPTIONS } from "./args.js";

export interface ActionInput {
  name: string;
  description: string;
  required: boolean;
  default?: string;
}

export interface ActionInfo {
  name: string;
  description: string;
  inputs: ActionInput[];
  outputs: string[];
  /** Whether the runner runs the bundle again as the post step. */
  post: boolean;
}

interface ActionYaml {
  description?: string;
  inputs?: Record<string, { description?: string; required?: boolean; default?: unknown } | null>;
  outputs?: Record<string, unknown>;
  runs?: { post?: string };
}

/** Every folder of actions/ with an action.yml, by name. */
export function actionNames(): string[] {
  return readdirSync(join(ROOT, "actions"))
    .filter((name) => existsSync(join(ROOT, "actions", name, "action.yml")))
    .sort();
}

export function readAction(name: string): ActionInfo | undefined {
  if (!/^[a-z0-9-]+$/.test(name) || !actionNames().includes(name)) return undefined;
  const yaml = parse(readFileSync(join(ROOT, "actions", name, "action.yml"), "utf8")) as ActionYaml;
  const inputs = Object.entries(yaml.inputs ?? {}).map(([input, spec]) => ({
    name: input,
    description: (spec?.description ?? "").trim(),
    required: spec?.required === true,
    ...(spec?.default !== undefined ? { default: String(spec.default) } : {}),
  }));
  const clash = inputs.find((input) => (CLI_OPTIONS as readonly string[]).includes(input.name));
  if (clash) {
    throw new Error(
      `actions/${name}/action.yml declares an input "${clash.name}", which is also a shipgate ` +
        "option: rename one of them",
    );
  }
  return {
    name,
    description: (yaml.description ?? "").trim(),
    inputs,
    outputs: Object.keys(yaml.outputs ?? {}),
    post: yaml.runs?.post !== undefined,
  };
}

/** Words wrapped to `width` columns, each line after `indent`. */
function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The description's opening words (up to its first ":", "(" or "."), for the list of actions. */
const headline = (text: string): string => /^[^:(.]*/.exec(text)?.[0]?.trim() || text;

export const OPTIONS_HELP = `Options:
  --NAME VALUE, --NAME=VALUE  an input of the action (a flag alone means true)
  --inputs FILE               inputs from a YAML mapping (flags win)
  --workspace DIR             the checkout the action runs in (default: the current directory)
  --env NAME=VALUE            a variable of the step's environment (repeatable)
  --event NAME[.ACTION]       the triggering event, a real payload from @octokit/webhooks-examples
  --github stand-in|URL       GitHub's API: the local stand-in (default), or e.g. https://api.github.com
                              with a token in GITHUB_TOKEN
  --store PATH                the stand-in's records, read before and written after the run
                              (default: WORKSPACE/.shipgate-local/github.json; a directory holds
                              local-github.json)
  --help                      this help, or an action's inputs with shipgate ACTION --help`;

export function usage(): string {
  const actions = actionNames().map((name) => {
    const info = readAction(name) as ActionInfo;
    const [first, ...rest] = wrap(headline(info.description), " ".repeat(18));
    return [`  ${name.padEnd(16)}${(first ?? "").trimStart()}`, ...rest].join("\n");
  });
  return [
    "usage: shipgate ACTION [--INPUT VALUE ...] [options]",
    "",
    "Runs a shipgate action on this machine as a GitHub runner runs it: its log, outputs and job",
    "summary; GitHub's API is a local stand-in whose deployments persist between runs.",
    "",
    "Actions:",
    ...actions,
    "",
    OPTIONS_HELP,
  ].join("\n");
}

export function actionHelp(info: ActionInfo): string {
  const inputs = info.inputs.flatMap((input) => {
    const notes = [
      input.required ? "required" : "",
      input.default !== undefined ? `default: ${input.default || '""'}` : "",
    ].filter(Boolean);
    const head = `  --${input.name}${notes.length ? `  (${notes.join("; ")})` : ""}`;
    return [head, ...wrap(input.description, "      ")];
  });
  return [
    `usage: shipgate ${info.name} [--INPUT VALUE ...] [options]`,
    "",
    ...wrap(info.description, ""),
    "",
    "Inputs:",
    ...inputs,
    "",
    `Outputs: ${info.outputs.join(", ")}`,
    "",
    OPTIONS_HELP,
  ].join("\n");
}
