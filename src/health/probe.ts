// Probe semantics for one check (Kubernetes-style): initial delay, interval, consecutive success and
// failure thresholds, and an overall deadline. Time and the attempt itself are injected.

export interface ProbeSettings {
  initialDelayMs: number;
  intervalMs: number;
  /** Consecutive passing attempts needed to call the check healthy. */
  successThreshold: number;
  /** Consecutive failing attempts that fail the check. */
  failureThreshold: number;
  /** Overall time limit for the check, from its start. */
  deadlineMs: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface AttemptOutcome<Detail> {
  passed: boolean;
  detail: Detail;
}

export type ProbeVerdict = "healthy" | "unhealthy" | "deadline";

export interface ProbeResult<Detail> {
  verdict: ProbeVerdict;
  attempts: (AttemptOutcome<Detail> & { startedAtMs: number })[];
  elapsedMs: number;
}

/**
 * Runs attempts until `successThreshold` consecutive passes (healthy), `failureThreshold`
 * consecutive failures (unhealthy), or the deadline leaves no room for another attempt. An attempt
 * is never started after the deadline; `onAttempt` reports progress so a long wait never looks hung.
 */
export async function runProbe<Detail>(
  settings: ProbeSettings,
  attempt: (remainingMs: number) => Promise<AttemptOutcome<Detail>>,
  clock: Clock = realClock,
  onAttempt?: (
    outcome: AttemptOutcome<Detail>,
    index: number,
    streak: { passes: number; failures: number },
  ) => void,
): Promise<ProbeResult<Detail>> {
  const start = clock.now();
  const attempts: ProbeResult<Detail>["attempts"] = [];
  const elapsed = (): number => clock.now() - start;
  let passes = 0;
  let failures = 0;
  if (settings.initialDelayMs > 0)
    await clock.sleep(Math.min(settings.initialDelayMs, settings.deadlineMs));
  while (elapsed() < settings.deadlineMs) {
    const startedAtMs = elapsed();
    const outcome = await attempt(settings.deadlineMs - startedAtMs);
    attempts.push({ ...outcome, startedAtMs });
    if (outcome.passed) {
      passes += 1;
      failures = 0;
    } else {
      failures += 1;
      passes = 0;
    }
    onAttempt?.(outcome, attempts.length, { passes, failures });
    if (passes >= settings.successThreshold)
      return { verdict: "healthy", attempts, elapsedMs: elapsed() };
    if (failures >= settings.failureThreshold)
      return { verdict: "unhealthy", attempts, elapsedMs: elapsed() };
    const wait = startedAtMs + settings.intervalMs - elapsed();
    if (elapsed() + Math.max(wait, 0) >= settings.deadlineMs) break;
    if (wait > 0) await clock.sleep(wait);
  }
  return { verdict: "deadline", attempts, elapsedMs: elapsed() };
}

/** Runs `tasks` with at most `limit` in flight at once, keeping results in order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
