// The lab for tests: its library with types (lab/lib is JavaScript checked through JSDoc), the CLI
// run as a child process, and a cleanup stack that leaves no server behind when a test fails.
import { execFile } from "node:child_process";
import { join } from "node:path";
import {
  isLabProcess,
  labDown,
  labStatus,
  labUp,
  readEvents,
  readState,
  type InstanceSummary,
  type LabEvent,
} from "../../lab/lib/index.mjs";
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

/**
 * SIGKILLs every process the lab's state file in `dir` still records (nginx, Prometheus, every slot
 * or fleet instance): the safety net after `down`.
 */
export async function killLabProcesses(dir: string): Promise<number[]> {
  const state = await readState(dir).catch(() => undefined);
  if (!state) return [];
  const recorded: [number | null, string][] = [
    [state.nginx.pid, "nginx"],
    [state.prometheus.pid, "prometheus"],
    ...Object.values(state.instances).map((instance): [number | null, string] => [
      instance.pid,
      "service.mjs",
    ]),
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

/** `LAB_<NAME>_URL` for an instance: LAB_BLUE_URL, LAB_VM1_URL, LAB_EDGE_2_URL. */
export const instanceUrlVariable = (name: string): string =>
  `LAB_${name.toUpperCase().replace(/-/g, "_")}_URL`;

/**
 * The LAB_* variables that lab/environments/*.yml read, for a lab `labUp` (or `startFleetLab`)
 * started in `dir`: LAB_DIR, LAB_URL (nginx), LAB_PROMETHEUS_URL, LAB_INSTANCES (the names, comma
 * separated) and each instance's own address as LAB_<NAME>_URL (LAB_BLUE_URL and LAB_GREEN_URL
 * for a slot lab, LAB_VM1_URL... for a fleet).
 */
export function labVariables(
  dir: string,
  lab: { url: string; prometheus: string; instances: readonly { name: string; url: string }[] },
): Record<string, string> {
  return {
    LAB_DIR: dir,
    LAB_URL: lab.url,
    LAB_PROMETHEUS_URL: lab.prometheus,
    LAB_INSTANCES: lab.instances.map((instance) => instance.name).join(","),
    ...Object.fromEntries(
      lab.instances.map((instance) => [instanceUrlVariable(instance.name), instance.url]),
    ),
  };
}

/** What the lab in `dir` serves now: its live slot and that slot's version (a slot lab's). */
export async function labLive(dir: string): Promise<{ slot: "blue" | "green"; version: string }> {
  const status = (await labStatus(dir)) as unknown as {
    live: "blue" | "green";
    instances: Record<string, { version: string | null }>;
  };
  return { slot: status.live, version: status.instances[status.live]?.version ?? "" };
}

/** A fleet lab started by `startFleetLab`. */
export interface FleetLab {
  dir: string;
  /** nginx, the traffic entry point. */
  url: string;
  prometheus: string;
  prometheusUrl: string;
  /** In the fleet's order, each with its own address, version, weight and whether it runs. */
  instances: InstanceSummary[];
  /** The weights in force at start: equal, by largest remainder (34, 33, 33). */
  weights: Record<string, number>;
  /** The LAB_* variables for the deploy action's `vars` (see labVariables). */
  variables: Record<string, string>;
  /** `down`, then SIGKILL to whatever the state still records. */
  stop(): Promise<void>;
}

/**
 * Starts a fleet lab in `dir` (as `node lab/lab.mjs up --instances ...` does, in-process): one
 * demo service process per instance with `version`, nginx over all of them with equal weights,
 * Prometheus scraping each. With `cleanup`, its teardown (down, then the SIGKILL safety net) is
 * registered before anything starts, so a failure part-way leaves nothing behind either.
 */
export async function startFleetLab(
  dir: string,
  options: { instances: string[]; version?: string; scrapeInterval?: string; cleanup?: Cleanup },
): Promise<FleetLab> {
  const stop = async (): Promise<void> => {
    await labDown(dir).finally(() => killLabProcesses(dir));
  };
  options.cleanup?.add(stop);
  const lab = await labUp(dir, {
    instances: options.instances,
    version: options.version,
    scrapeInterval: options.scrapeInterval,
  });
  return {
    dir: lab.dir,
    url: lab.url,
    prometheus: lab.prometheus,
    prometheusUrl: lab.prometheus,
    instances: lab.instances,
    weights: lab.weights,
    variables: labVariables(lab.dir, lab),
    stop,
  };
}

/**
 * The lab's history in `dir` (DIR/events.jsonl): every weight change and instance (re)deploy,
 * oldest first. `minServing(events)` (from lab/lib) gives the fewest instances that carried traffic.
 */
export function readLabEvents(dir: string): Promise<LabEvent[]> {
  return readEvents(dir);
}

/**
 * Records a deployment (to production unless told) with one status, as an earlier deploy would
 * have left it: what deploy reads as the version running now (and as the last good one when
 * `success`).
 */
export async function seedDeployment(
  client: GitHubClient,
  repository: string,
  deployment: {
    version: string;
    slot: string;
    state: "success" | "in_progress";
    environment?: string;
  },
): Promise<number> {
  const [owner, repo] = repository.split("/") as [string, string];
  const created = await client.request("POST /repos/{owner}/{repo}/deployments", {
    owner,
    repo,
    ref: "main",
    environment: deployment.environment ?? "production",
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
