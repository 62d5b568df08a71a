// One action step's view of the runner, built once per run: where it runs (workspace, repository,
// event, run URL), one registry of its secrets, and a log, outputs and summary that scrub them.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  environmentWithoutFiles,
  layerEnvironment,
  type LayeredEnvironment,
} from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import { neutralizeCommands, type Logger } from "../shared/log.js";
import { SecretRegistry } from "../shared/secrets.js";
import { openEnvironmentDirectory, type EnvironmentDirectory } from "./environment-directory.js";
import { parseNamedValues } from "./reference-inputs.js";
import { createGitHubClient, type GitHubClient, type Repository } from "./github.js";
import { parseDuration } from "../shared/duration.js";
import * as runner from "./runner.js";

export interface StepContext {
  /** The action's name, for annotation titles. */
  readonly action: string;
  readonly env: NodeJS.ProcessEnv;
  /** The repository checkout (GITHUB_WORKSPACE), which relative paths are resolved against. */
  readonly workspace: string;
  readonly serverUrl: string;
  /** This run attempt's page; undefined outside a workflow run. */
  readonly runUrl: string | undefined;
  readonly secrets: SecretRegistry;
  readonly log: Logger;
  /**
   * What `${env:NAME}`, `${var:NAME}` and `${secret:NAME}` read: the step's environment, the `vars`
   * input, the `secrets` input then the environment. A secret is registered as it is read.
   */
  readonly lookup: VariableLookup;
  /** Reads the `secrets` and `vars` inputs (JSON); every secret value is registered at once. */
  useReferenceInputs(inputs: { secrets?: string; vars?: string }): void;
  /**
   * A GitHub client on `token` (registered as a secret), whose request bodies are scrubbed of every
   * secret and whose calls time out after SHIPGATE_GITHUB_TIMEOUT (a duration, 30s when unset).
   */
  github(token: string): GitHubClient;
  /** owner/repo from GITHUB_REPOSITORY; throws outside a runner. */
  repository(): Repository;
  /** The event payload (GITHUB_EVENT_PATH), read once; undefined when absent or unreadable. */
  event(): Promise<unknown>;
  /** The environments directory, opened once per path (relative to the workspace). */
  environments(configDir: string): Promise<EnvironmentDirectory>;
  /** One environment's files layered (base.yml under <name>.yml), read once per directory and name. */
  environment(configDir: string, name: string): Promise<LayeredEnvironment>;
  /**
   * The environment, or one without files when `configDir` does not exist: for actions that work
   * from their inputs alone.
   */
  environmentOrInputs(configDir: string, name: string): Promise<LayeredEnvironment>;
  /** Writes every given output, each scrubbed. */
  setOutputs<Outputs extends object>(outputs: Outputs): void;
  appendSummary(markdown: string): Promise<void>;
  exportVariable(name: string, value: string): void;
  saveState(name: string, value: string): void;
  /** A value the main step saved for the post step. */
  state(name: string): string | undefined;
  /** Marks the step failed (exit code 1) without stopping it. */
  fail(): void;
}

/** The run's page, with the attempt when the runner gives it. */
export function runUrlOf(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined;
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : "";
  return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`;
}

function scrubbedLog(secrets: SecretRegistry): Logger {
  return {
    // Engines print lines from outside (hooks, endpoints): none may act as a workflow command.
    info: (line) => runner.logInfo(neutralizeCommands(secrets.scrub(line))),
    warning: (message, at) => runner.logWarning(secrets.scrub(message), at),
    error: (message, at) => runner.logError(secrets.scrub(message), at),
    notice: (message, at) => runner.logNotice(secrets.scrub(message), at),
    debug: (line) => runner.logDebug(secrets.scrub(line)),
    group: (name, body) => runner.logGroup(secrets.scrub(name), body),
  };
}

/** What `${env:}`, `${var:}` and `${secret:}` read, and the inputs that feed the last two. */
function references(env: NodeJS.ProcessEnv, secrets: SecretRegistry) {
  let secretValues: ReadonlyMap<string, string> = new Map();
  let variables: ReadonlyMap<string, string> = new Map();
  const lookup: VariableLookup = (name, kind) => {
    if (kind === "var") return variables.get(name);
    if (kind === "env") return env[name];
    const value = secretValues.get(name) ?? env[name];
    secrets.add(value);
    return value;
  };
  const useReferenceInputs = (inputs: { secrets?: string; vars?: string }) => {
    secretValues = parseNamedValues(inputs.secrets, "secrets");
    variables = parseNamedValues(inputs.vars, "vars");
    secrets.add(...secretValues.values());
  };
  return { lookup, useReferenceInputs };
}

/** The environments directories and environments of one run, each read once. */
function environmentReader(workspace: string) {
  const directories = new Map<string, Promise<EnvironmentDirectory>>();
  const layered = new Map<string, Promise<LayeredEnvironment>>();
  const environments = (configDir: string) => {
    const dir = resolve(workspace, configDir);
    let opened = directories.get(dir);
    if (!opened) {
      opened = openEnvironmentDirectory(dir, workspace);
      directories.set(dir, opened);
    }
    return opened;
  };
  const environment = (configDir: string, name: string) => {
    const key = JSON.stringify([resolve(workspace, configDir), name]);
    let found = layered.get(key);
    if (!found) {
      found = environments(configDir).then(async (directory) =>
        layerEnvironment(await directory.sources(name)),
      );
      layered.set(key, found);
    }
    return found;
  };
  const environmentOrInputs = async (configDir: string, name: string) =>
    existsSync(resolve(workspace, configDir))
      ? environment(configDir, name)
      : environmentWithoutFiles(name);
  return { environments, environment, environmentOrInputs };
}

export function createStep(action: string, env: NodeJS.ProcessEnv = process.env): StepContext {
  const secrets = new SecretRegistry(runner.registerSecret);
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  let event: Promise<unknown> | undefined;
  return {
    action,
    env,
    workspace,
    serverUrl: env.GITHUB_SERVER_URL ?? "https://github.com",
    runUrl: runUrlOf(env),
    secrets,
    log: scrubbedLog(secrets),
    ...references(env, secrets),
    ...environmentReader(workspace),
    github(token) {
      secrets.add(token);
      const timeout = env.SHIPGATE_GITHUB_TIMEOUT;
      return createGitHubClient({
        token,
        scrub: (text) => secrets.scrub(text),
        ...(timeout ? { timeoutMs: parseDuration(timeout) } : {}),
      });
    },
    repository() {
      const [owner, repo] = (env.GITHUB_REPOSITORY ?? "").split("/");
      if (!owner || !repo) {
        throw new Error(
          "GITHUB_REPOSITORY is not set to owner/repo: not running under a GitHub runner",
        );
      }
      return { owner, repo };
    },
    event() {
      event ??= readEvent(env.GITHUB_EVENT_PATH);
      return event;
    },
    setOutputs(outputs) {
      for (const [name, value] of Object.entries(outputs)) {
        if (value !== undefined) runner.setOutput(name, secrets.scrub(String(value)));
      }
    },
    appendSummary: (markdown) => runner.appendSummary(secrets.scrub(markdown)),
    exportVariable: (name, value) => runner.exportVariable(name, value),
    saveState: (name, value) => runner.saveState(name, secrets.scrub(value)),
    state: (name) => env[`STATE_${name}`],
    fail: () => runner.markFailed(),
  };
}

async function readEvent(path: string | undefined): Promise<unknown> {
  if (!path) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}
