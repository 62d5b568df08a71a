// Health checks as a plan and a run, for health-verify and deploy's checks after each step (as
// analysis/gate.ts offers planGate and runGate): every check read and validated before any request.
import type { LayeredEnvironment } from "../config/layering.js";
import type { VariableLookup } from "../config/references.js";
import { parseYamlSource } from "../config/yaml-source.js";
import { ConfigurationError } from "../shared/errors.js";
import { prepareChecks, type CheckSource, type PreparedChecks } from "./checks.js";
import { probeHttp } from "./http-probe.js";
import type { Clock } from "./probe.js";
import { verifyChecks, type CheckReport, type VerifyOptions } from "./verify.js";

/**
 * The checks to run, in order (the environment's first, then the input's), and the secret values
 * their references resolved to, which the caller masks before anything is printed.
 */
export type HealthPlan = PreparedChecks;

/** Where checks are defined; either, both, or neither (an empty plan) may be given. */
export interface HealthSources {
  /** An environment whose `health.checks` are run; problems point at its files and lines. */
  environment?: LayeredEnvironment;
  /** The YAML text of a `checks` input; it has no file, so problems name key paths only. */
  checksInput?: string;
}

export interface RunHealthOptions {
  /** How many checks are probed at once. */
  concurrency: number;
  /** The version every check that reports one must serve. */
  expectVersion?: string;
  /** Accept any certificate; false when not given. */
  insecure?: boolean;
  /** Extra trusted CA certificates (PEM). */
  ca?: string;
  /** Progress lines (one per attempt), for the log; they may hold secrets, so scrub them. */
  progress?: VerifyOptions["progress"];
  /** Sends one request; the real HTTP(S) client when not given, a stand-in in tests. */
  request?: VerifyOptions["request"];
  clock?: Clock;
}

/** The outcome of a run in the words a deploy log and its status use. */
export interface HealthDetail {
  healthy: boolean;
  failed: CheckReport[];
  /** `3 check(s) healthy`, or each failed check with why: `api: 3 consecutive failure(s); …`. */
  detail: string;
}

/**
 * Reads the environment's `health.checks` and the `checks` input, resolves their references with
 * `lookup` and validates everything, conditions included. Throws one ConfigurationError listing
 * every problem. Zero checks is a valid plan: whether that is an error is the caller's to say.
 */
export function planHealth(sources: HealthSources, lookup: VariableLookup): HealthPlan {
  const checkSources: CheckSource[] = [];
  const { environment, checksInput } = sources;
  const environmentChecks = environment?.document.health?.checks;
  if (environment && environmentChecks !== undefined)
    checkSources.push({
      checks: environmentChecks,
      path: ["health", "checks"],
      locate: environment.locate,
    });
  if (checksInput) {
    checkSources.push({
      checks: parseYamlSource('input "checks"', checksInput).data,
      path: ["checks"],
    });
  }
  const prepared = prepareChecks(checkSources, lookup);
  if ("problems" in prepared) throw new ConfigurationError(prepared.problems);
  return prepared;
}

/** Probes every planned check under its probe settings; reports keep the plan's order. */
export function runHealth(plan: HealthPlan, options: RunHealthOptions): Promise<CheckReport[]> {
  return verifyChecks(plan.checks, {
    concurrency: options.concurrency,
    ...(options.expectVersion ? { expectVersion: options.expectVersion } : {}),
    insecure: options.insecure ?? false,
    ...(options.ca ? { ca: options.ca } : {}),
    request: options.request ?? probeHttp,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
  });
}

/** Whether every check passed, which did not, and a one-line account for logs and statuses. */
export function healthDetail(reports: readonly CheckReport[]): HealthDetail {
  const failed = reports.filter((report) => !report.healthy);
  return {
    healthy: failed.length === 0,
    failed,
    detail:
      failed.length === 0
        ? `${reports.length} check(s) healthy`
        : failed.map((report) => `${report.name}: ${report.failure ?? report.verdict}`).join("; "),
  };
}
