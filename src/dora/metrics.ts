// The four DORA keys from a deployment history: deployment frequency, lead time for changes,
// change failure rate and time to restore, per environment over a window. Pure: plain records in.

import type { DeploymentState } from "../schema/deployment.js";

export interface HistoryDeployment {
  id: number;
  environment: string;
  sha: string;
  createdAt: string;
  /** GitHub's deployment task: `deploy` (the default) for a change, `deploy:drill` for a drill. */
  task?: string;
  /** Who created the deployment record (the token's user). */
  creator?: string;
  /** shipgate's payload: version, strategy (`rollback` marks a rollback record), rollback_of. */
  version?: string;
  strategy?: string;
  rollbackOf?: number;
  /** Canary: promoted without the gate (a first deployment, skip-analysis). */
  analysisSkipped?: boolean;
  /** The freeze window a deploy started in and the override-freeze reason it was given. */
  freezeOverride?: { window: string; reason: string };
  /** A drill's result (`payload.drill`), as a recovery drill records it. */
  drill?: DrillResult;
  /** Any order. */
  statuses: readonly DeploymentStatusEntry[];
}

export interface DeploymentStatusEntry {
  state: DeploymentState;
  at: string;
  description?: string;
  /** The workflow run that wrote it (shipgate sets the run's page). */
  logUrl?: string;
}

/** `payload.drill` of a drill deployment. */
export interface DrillResult {
  kind: "rollback" | "restore";
  rtoSeconds: number;
  /** Null when it did not recover. */
  recoverySeconds: number | null;
  rpoSeconds?: number;
  backupAgeSeconds?: number;
  passed: boolean;
}

/** The task of a change deployment; anything else (drills) is left out of the DORA keys. */
export const CHANGE_TASK = "deploy";

/**
 * The deployments the DORA keys count: task `deploy`, and rollback records of such deployments
 * only (a drill's rollback restores nothing users saw).
 */
export function changeHistory(history: readonly HistoryDeployment[]): HistoryDeployment[] {
  const changes = history.filter((deployment) => (deployment.task ?? CHANGE_TASK) === CHANGE_TASK);
  const others = new Set(
    history
      .filter((deployment) => (deployment.task ?? CHANGE_TASK) !== CHANGE_TASK)
      .map((deployment) => deployment.id),
  );
  return changes.filter(
    (deployment) => deployment.rollbackOf === undefined || !others.has(deployment.rollbackOf),
  );
}

/** Commit times (ISO) of the changes each deployment brought, by deployment id (see `leadTimeBases`). */
export type ChangeTimes = ReadonlyMap<number, readonly string[]>;

export interface Window {
  startMs: number;
  endMs: number;
}

export type Outcome = "success" | "failed" | "rolled-back" | "running";

export interface ClassifiedDeployment {
  id: number;
  environment: string;
  sha: string;
  version?: string;
  createdAt: string;
  outcome: Outcome;
  /** The first terminal status's time (success, failure or error). */
  finishedAt?: string;
  /** When the failure was known: the failure status, or the rollback record's creation. */
  failedAt?: string;
}

export interface EnvironmentMetrics {
  environment: string;
  /** Change deployments (rollback records excluded) created in the window and finished. */
  deployments: number;
  successful: number;
  failed: number;
  /** Successful deployments per day over the window. */
  deploymentsPerDay: number;
  /** Median hours from commit to running in the environment; null without data. */
  leadTimeHours: number | null;
  leadTimeSamples: number;
  /** failed / deployments; null when there were none. */
  changeFailureRate: number | null;
  /** Median hours from a failure to the next success in the environment; null without data. */
  timeToRestoreHours: number | null;
  restoreSamples: number;
  /** Failures with no success after them yet. */
  unrestored: number;
  /** Per week of the window (oldest first): successful and failed deployments. */
  weeks: { start: string; successful: number; failed: number }[];
  /** Each successful deployment's median lead time, for charts. */
  leadTimes: { id: number; version?: string; at: string; hours: number }[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TERMINAL: readonly DeploymentState[] = ["success", "failure", "error"];

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const isRollbackRecord = (deployment: HistoryDeployment): boolean =>
  deployment.strategy === "rollback" || deployment.rollbackOf !== undefined;

function terminal(
  deployment: HistoryDeployment,
): { state: DeploymentState; at: string } | undefined {
  return [...deployment.statuses]
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .find((status) => TERMINAL.includes(status.state));
}

/** Each change deployment's outcome: a success later rolled back counts as rolled back. */
export function classify(history: readonly HistoryDeployment[]): ClassifiedDeployment[] {
  const rollbacks = new Map(
    history
      .filter((deployment) => deployment.rollbackOf !== undefined)
      .map((deployment) => [deployment.rollbackOf as number, deployment]),
  );
  return history
    .filter((deployment) => !isRollbackRecord(deployment))
    .map((deployment): ClassifiedDeployment => {
      const end = terminal(deployment);
      const rollback = rollbacks.get(deployment.id);
      const base = {
        id: deployment.id,
        environment: deployment.environment,
        sha: deployment.sha,
        createdAt: deployment.createdAt,
        ...(deployment.version ? { version: deployment.version } : {}),
      };
      if (!end) return { ...base, outcome: "running" };
      if (rollback)
        return {
          ...base,
          outcome: "rolled-back",
          finishedAt: end.at,
          failedAt: end.state === "success" ? rollback.createdAt : end.at,
        };
      if (end.state === "success") return { ...base, outcome: "success", finishedAt: end.at };
      return { ...base, outcome: "failed", finishedAt: end.at, failedAt: end.at };
    })
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
}

/**
 * The comparisons lead time needs: for each good deployment (succeeded, not rolled back), the sha
 * of the good deployment before it in the same environment. Its changes are the commits in
 * `base...head`; a rolled-back deployment's changes count only when they finally land. The first
 * good deployment has no base and no lead time.
 */
export function leadTimeBases(
  history: readonly HistoryDeployment[],
): { id: number; environment: string; base: string; head: string }[] {
  const byEnvironment = new Map<string, ClassifiedDeployment[]>();
  const good = classify(changeHistory(history)).filter((item) => item.outcome === "success");
  for (const deployment of good) {
    byEnvironment.set(deployment.environment, [
      ...(byEnvironment.get(deployment.environment) ?? []),
      deployment,
    ]);
  }
  return [...byEnvironment.values()].flatMap((good) =>
    good.slice(1).map((deployment, index) => ({
      id: deployment.id,
      environment: deployment.environment,
      base: (good[index] as ClassifiedDeployment).sha,
      head: deployment.sha,
    })),
  );
}

const inWindow = (iso: string, window: Window): boolean =>
  Date.parse(iso) >= window.startMs && Date.parse(iso) < window.endMs;

export function environmentMetrics(
  environment: string,
  history: readonly HistoryDeployment[],
  changes: ChangeTimes,
  window: Window,
): EnvironmentMetrics {
  const mine = changeHistory(history).filter(
    (deployment) => deployment.environment === environment,
  );
  const classified = classify(mine);
  const counted = classified.filter(
    (deployment) => deployment.outcome !== "running" && inWindow(deployment.createdAt, window),
  );
  const good = counted.filter((deployment) => deployment.outcome === "success");
  const bad = counted.filter((deployment) => deployment.outcome !== "success");

  const leadTimes = good.flatMap((deployment) => {
    const commits = changes.get(deployment.id);
    if (!commits || commits.length === 0 || !deployment.finishedAt) return [];
    const hours = commits.map(
      (at) => (Date.parse(deployment.finishedAt as string) - Date.parse(at)) / HOUR,
    );
    return [{ deployment, hours }];
  });
  const allLeadHours = leadTimes.flatMap((item) => item.hours);

  const successes = mine
    .flatMap((deployment) =>
      deployment.statuses
        .filter((status) => status.state === "success")
        .map((status) => Date.parse(status.at)),
    )
    .sort((a, b) => a - b);
  const restores = bad.map((deployment) => {
    const failedAt = Date.parse(deployment.failedAt as string);
    const restoredAt = successes.find((at) => at > failedAt);
    return restoredAt === undefined ? undefined : (restoredAt - failedAt) / HOUR;
  });
  const restoreHours = restores.filter((hours): hours is number => hours !== undefined);

  const weekCount = Math.max(1, Math.ceil((window.endMs - window.startMs) / (7 * DAY)));
  const weeks = Array.from({ length: weekCount }, (_, index) => {
    const start = window.endMs - (weekCount - index) * 7 * DAY;
    const within = (deployment: ClassifiedDeployment) =>
      Date.parse(deployment.createdAt) >= start &&
      Date.parse(deployment.createdAt) < start + 7 * DAY;
    return {
      start: new Date(Math.max(start, window.startMs)).toISOString(),
      successful: good.filter(within).length,
      failed: bad.filter(within).length,
    };
  });

  const days = (window.endMs - window.startMs) / DAY;
  return {
    environment,
    deployments: counted.length,
    successful: good.length,
    failed: bad.length,
    deploymentsPerDay: days > 0 ? good.length / days : 0,
    leadTimeHours: median(allLeadHours),
    leadTimeSamples: allLeadHours.length,
    changeFailureRate: counted.length > 0 ? bad.length / counted.length : null,
    timeToRestoreHours: median(restoreHours),
    restoreSamples: restoreHours.length,
    unrestored: restores.length - restoreHours.length,
    weeks,
    leadTimes: leadTimes.map(({ deployment, hours }) => ({
      id: deployment.id,
      ...(deployment.version ? { version: deployment.version } : {}),
      at: deployment.finishedAt as string,
      hours: median(hours) as number,
    })),
  };
}

/** `30d`, `12w`, `48h`: the window's length in milliseconds. */
export function parseWindow(text: string): number | undefined {
  const match = /^(\d+)\s*([hdw])$/.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = { h: HOUR, d: DAY, w: 7 * DAY }[match[2] as "h" | "d" | "w"];
  return amount > 0 ? amount * unit : undefined;
}
