// `shipgate ACTION [--INPUT VALUE ...] [options]`: runs a shipgate action's bundle on this machine
// as a GitHub runner runs it (tools/runner), against the GitHub stand-in whose deployments persist
// in a local store, or against a real GitHub API. Exit code: the step's; 2 for a usage mistake.
import { existsSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { examplePayload } from "../runner/run-action.js";
import { parseArgs, readInputsFile, UsageError, type CliRequest } from "./args.js";
import { actionHelp, actionNames, readAction, usage, type ActionInfo } from "./catalog.js";
import { localGitHub, realGitHub, runIdentity, type GitHubTarget } from "./github.js";
import { runLocally } from "./run.js";

export interface CliIo {
  cwd: string;
  print(line: string): void;
  error(line: string): void;
  color: boolean;
}

function defaultIo(): CliIo {
  // Output piped into a reader that stops early (| head) ends the printing, never the run: the
  // step still finishes and the stand-in's records are still saved.
  let closed = false;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    closed = true;
  });
  return {
    cwd: process.cwd(),
    print: (line) => {
      if (!closed) process.stdout.write(`${line}\n`);
    },
    error: (line) => process.stderr.write(`${line}\n`),
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  };
}

/** The inputs as given (file, then flags), each checked against action.yml. */
function givenInputs(info: ActionInfo, request: CliRequest, cwd: string): Record<string, string> {
  const given = {
    ...(request.inputsFile ? readInputsFile(resolve(cwd, request.inputsFile)) : {}),
    ...request.flags,
  };
  const declared = info.inputs.map((input) => input.name);
  const unknown = Object.keys(given).filter((name) => !declared.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `actions/${info.name} has no input ${unknown.map((name) => `--${name}`).join(", ")}; ` +
        `its inputs: ${declared.join(", ")} (shipgate ${info.name} --help)`,
    );
  }
  return given;
}

/** The runner evaluates `${{ github.token }}` defaults; the harness leaves expressions alone. */
function withToken(info: ActionInfo, given: Record<string, string>, token: string) {
  const defaults = info.inputs.filter(
    (input) => input.default?.replace(/\s/g, "") === "${{github.token}}" && !(input.name in given),
  );
  return { ...given, ...Object.fromEntries(defaults.map((input) => [input.name, token])) };
}

function workspaceOf(request: CliRequest, cwd: string): string {
  const workspace = resolve(cwd, request.workspace ?? ".");
  if (!existsSync(workspace) || !statSync(workspace).isDirectory())
    throw new UsageError(`--workspace ${request.workspace}: no such directory`);
  return workspace;
}

/** `--store PATH`: a file, or a directory that holds local-github.json. */
function storePathOf(request: CliRequest, cwd: string, workspace: string): string {
  if (request.store === undefined) return join(workspace, ".shipgate-local", "github.json");
  const path = resolve(cwd, request.store);
  const isDirectory =
    request.store.endsWith("/") || (existsSync(path) && statSync(path).isDirectory());
  return isDirectory ? join(path, "local-github.json") : path;
}

function eventOf(request: CliRequest): { name: string; payload: unknown } | undefined {
  if (request.event === undefined) return undefined;
  const [name = "", action] = request.event.split(".");
  try {
    return { name, payload: examplePayload(name, action) };
  } catch {
    throw new UsageError(
      `--event ${request.event}: no such event in @octokit/webhooks-examples (try push, ` +
        "pull_request.opened, workflow_dispatch)",
    );
  }
}

/** Paths under the current directory are shown relative to it. */
const shown = (cwd: string, path: string): string => {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
};

async function runCommand(info: ActionInfo, request: CliRequest, io: CliIo): Promise<number> {
  const given = givenInputs(info, request, io.cwd);
  const workspace = workspaceOf(request, io.cwd);
  const event = eventOf(request);
  const real = request.github !== "stand-in";
  const identity = runIdentity(workspace, request.env, real);
  const storePath = storePathOf(request, io.cwd, workspace);
  const github: GitHubTarget = real
    ? realGitHub(request.github, request.env)
    : await localGitHub({ path: storePath, shown: shown(io.cwd, storePath) }, identity.repository);
  try {
    const inputs = withToken(info, given, github.token);
    io.print(`shipgate ${info.name}: workspace ${workspace}; ${github.description}`);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const result = await runLocally({
      action: info,
      inputs,
      env: { GITHUB_TOKEN: github.token, ...request.env },
      workspace,
      ...(event ? { event } : {}),
      apiUrl: github.apiUrl,
      ...identity,
      summaryPath: join(workspace, ".shipgate-local", "summaries", `${info.name}-${stamp}.md`),
      print: io.print,
      color: io.color,
    });
    const summary = result.summaryPath ? shown(io.cwd, result.summaryPath) : "none written";
    io.print(`Job summary: ${summary}`);
    const closing = await github.close();
    if (closing) closing.split("\n").forEach((line) => io.print(line));
    io.print(
      `shipgate ${info.name}: ${result.exitCode === 0 ? "succeeded" : `failed (exit ${result.exitCode})`}`,
    );
    return result.exitCode;
  } catch (error) {
    await github.close().catch(() => undefined);
    throw error;
  }
}

/** The CLI: returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    const request = parseArgs(argv);
    if (request.action === undefined) {
      (request.help ? io.print : io.error)(usage());
      return request.help ? 0 : 2;
    }
    const info = readAction(request.action);
    if (!info) {
      throw new UsageError(
        `no action ${JSON.stringify(request.action)}; the actions: ${actionNames().join(", ")}`,
      );
    }
    if (request.help) {
      io.print(actionHelp(info));
      return 0;
    }
    return await runCommand(info, request, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.error(`shipgate: ${error.message}`);
    return 2;
  }
}
