// The lab for tests: its library with types (lab/lib is JavaScript checked through JSDoc), the CLI
// run as a child process, and a cleanup stack that leaves no server behind when a test fails.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { isLabProcess, labStatus, readState } from "../../lab/lib/index.mjs";
import type { GitHubClient } from "../../src/runtime/github.js";
import { ROOT } from "../runner/run-action.js";

export * from "../../lab/lib/index.mjs";

export const LAB_CLI = join(ROOT, "lab", "lab.mjs");

export interface LabCliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON; undefined when the command failed before printing its result. */
  json: Record<string, unknown> | undefined;
}

/**
 * Runs `node lab/lab.mjs ARGS --dir DIR` as the deploy action's hooks would. The caller's
 * SHIPGATE_* and LAB_DIR variables are dropped so that only `env` sets them.
 */
export function runLabCli(
  args: string[],
  options: { dir: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<LabCliResult> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith("SHIPGATE_") && name !== "LAB_DIR" && name !== "NODE_OPTIONS",
    ),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LAB_CLI, ...args, "--dir", options.dir],
      { env: { ...env, ...options.env }, timeout: options.timeoutMs ?? 45_000 },
      (error, stdout, stderr) => {
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/** SIGKILLs every process the lab's state file in `dir` still records: the safety net after `down`. */
export async function killLabProcesses(dir: string): Promise<number[]> {
  const state = await readState(dir).catch(() => undefined);
  if (!state) return [];
  const recorded: [number | null, string][] = [
    [state.nginx.pid, "nginx"],
    [state.prometheus.pid, "prometheus"],
    [state.slots.blue.pid, "service.mjs"],
    [state.slots.green.pid, "service.mjs"],
  ];
  const killed: number[] = [];
  for (const [pid, marker] of recorded) {
    if (pid && isLabProcess(pid, marker)) {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    }
  }
  return killed;
}

/** Stop actions run in reverse order of registration; every one runs even if another throws. */
export class Cleanup {
  private readonly tasks: (() => Promise<unknown>)[] = [];

  add(task: () => Promise<unknown>): void {
    this.tasks.push(task);
  }

  /** Registers a started server's stop (its `kill` if stopping fails) and returns the server. */
  track<T extends { stop(): Promise<unknown>; kill?(): Promise<unknown> }>(server: T): T {
    this.add(() => server.stop().catch(() => server.kill?.()));
    return server;
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const task of this.tasks.splice(0).reverse()) {
      try {
        await task();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0)
      throw new AggregateError(errors, `${errors.length} cleanup step(s) failed`);
  }
}

/** The LAB_* variables that lab/environments/*.yml read, for a lab `labUp` started in `dir`. */
export function labVariables(
  dir: string,
  lab: { url: string; prometheus: string; slots: Record<"blue" | "green", { port: number }> },
): Record<string, string> {
  return {
    LAB_DIR: dir,
    LAB_URL: lab.url,
    LAB_PROMETHEUS_URL: lab.prometheus,
    LAB_BLUE_URL: `http://127.0.0.1:${lab.slots.blue.port}`,
    LAB_GREEN_URL: `http://127.0.0.1:${lab.slots.green.port}`,
  };
}

/** What the lab in `dir` serves now: its live slot and that slot's version. */
export async function labLive(dir: string): Promise<{ slot: "blue" | "green"; version: string }> {
  const status = (await labStatus(dir)) as unknown as {
    live: "blue" | "green";
    slots: Record<string, { version: string | null }>;
  };
  return { slot: status.live, version: status.slots[status.live]?.version ?? "" };
}

/**
 * Records a deployment to production with one status, as an earlier deploy would have left it:
 * what deploy reads as the version running now (and as the last good one when `success`).
 */
export async function seedDeployment(
  client: GitHubClient,
  repository: string,
  deployment: { version: string; slot: string; state: "success" | "in_progress" },
): Promise<number> {
  const [owner, repo] = repository.split("/") as [string, string];
  const created = await client.request("POST /repos/{owner}/{repo}/deployments", {
    owner,
    repo,
    ref: "main",
    environment: "production",
    payload: { version: deployment.version, strategy: "rolling", slot: deployment.slot },
    required_contexts: [],
    auto_merge: false,
  });
  const id = Number((created.data as { id: number }).id);
  await client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
    owner,
    repo,
    deployment_id: id,
    state: deployment.state,
  });
  return id;
}
