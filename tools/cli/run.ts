// One action run on this machine through the runner harness: the main step (and the post step
// when action.yml has one, with the state the main step saved), the log printed as it comes, then
// the outputs and the job summary, kept in a file.
import type { ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runAction, type ActionResult } from "../runner/run-action.js";
import type { ActionInfo } from "./catalog.js";
import { RunnerLog } from "./terminal.js";

/** GitHub's own limit on a job, and so on any step in it. */
const STEP_TIMEOUT_MS = 360 * 60_000;

/** Inputs whose values the header shows as ***, as the runner masks secrets in a step's `with:`. */
const SECRET_INPUTS = new Set(["token", "secrets", "password", "bearer-token", "webhook-url"]);

export interface LocalRun {
  action: ActionInfo;
  inputs: Record<string, string>;
  env: Record<string, string>;
  workspace: string;
  event?: { name: string; payload: unknown };
  apiUrl: string;
  repository: string;
  sha: string;
  /** Where the job summary is written. */
  summaryPath: string;
  print: (line: string) => void;
  color: boolean;
}

export interface LocalRunResult {
  exitCode: number;
  outputs: Record<string, string>;
  /** Undefined when the steps wrote no summary. */
  summaryPath?: string;
}

/** The step's header as the runner prints it: the action and the inputs it was given. */
function header(run: LocalRun): string[] {
  // In action.yml's order, each as given or as its default (expressions are filled in or left out).
  const inputs = run.action.inputs.flatMap(({ name, default: fallback }) => {
    const value = run.inputs[name] ?? (fallback?.includes("${{") ? undefined : fallback);
    if (value === undefined) return [];
    return [`    ${name}: ${SECRET_INPUTS.has(name) && value ? "***" : value}`];
  });
  const env = Object.keys(run.env);
  return [
    `Run actions/${run.action.name}`,
    ...(inputs.length > 0 ? ["  with:", ...inputs] : []),
    ...(env.length > 0 ? [`  env: ${env.join(", ")}`] : []),
  ];
}

/** Runs one step (main or post) with its log printed live; SIGTERM to the CLI reaches the step. */
async function runStep(run: LocalRun, state: Record<string, string>): Promise<ActionResult> {
  const log = new RunnerLog(run.print, {
    debug: run.env.ACTIONS_STEP_DEBUG === "true",
    color: run.color,
  });
  let child: ChildProcess | undefined;
  const forward = () => child?.kill("SIGTERM");
  // Ctrl-C reaches the step from the terminal itself; the CLI only waits for it to wind down.
  const wait = () => run.print("shipgate: interrupted; waiting for the step to stop");
  process.on("SIGTERM", forward);
  process.on("SIGINT", wait);
  try {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    const result = await runAction({
      action: run.action.name,
      inputs: run.inputs,
      env: { ...run.env, ...stateEnv },
      workspace: run.workspace,
      ...(run.event ? { event: run.event } : {}),
      apiUrl: run.apiUrl,
      repository: run.repository,
      sha: run.sha,
      timeoutMs: STEP_TIMEOUT_MS,
      onLine: (line, started) => {
        child = started;
        log.line(line);
      },
    });
    for (const line of result.stderr.split("\n").filter(Boolean)) log.line(line);
    return result;
  } finally {
    process.off("SIGTERM", forward);
    process.off("SIGINT", wait);
  }
}

function printOutputs(print: (line: string) => void, outputs: Record<string, string>): void {
  const names = Object.keys(outputs);
  if (names.length === 0) return print("Outputs: none");
  print("Outputs:");
  for (const name of names) {
    const [first, ...rest] = (outputs[name] ?? "").split("\n");
    print(`  ${name}: ${first}`);
    for (const line of rest) print(`    ${line}`);
  }
}

/** Runs the action as the runner would, printing as it goes; the summary is kept at summaryPath. */
export async function runLocally(run: LocalRun): Promise<LocalRunResult> {
  for (const line of header(run)) run.print(line);
  const main = await runStep(run, {});
  let summary = main.summary;
  let exitCode = main.exitCode ?? 1;
  if (run.action.post) {
    // The post step's heading only when it has something to show, as most post steps have not.
    let heading = `Post actions/${run.action.name}`;
    const print = (line: string) => {
      if (heading) run.print(heading);
      heading = "";
      run.print(line);
    };
    const post = await runStep({ ...run, print }, main.state);
    summary += post.summary;
    if (exitCode === 0) exitCode = post.exitCode ?? 1;
  }
  printOutputs(run.print, main.outputs);
  if (summary.trim() === "") return { exitCode, outputs: main.outputs };
  await mkdir(join(run.summaryPath, ".."), { recursive: true });
  await writeFile(run.summaryPath, summary);
  return { exitCode, outputs: main.outputs, summaryPath: run.summaryPath };
}
