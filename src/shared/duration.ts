// Durations as users write them ("300ms", "1h30m", "2d") to milliseconds, and back for humans.

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const BARE_NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
/** The longest wait a timer holds (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
// "ms" is tried before "m" and "s" so that "5ms" is five milliseconds, not five minutes and an "s".
const PART = /\s*(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h|d)/y;

/**
 * "300ms", "2s", "1.5s", "5m", "48h", "1h30m", "2d"; a bare number is milliseconds. Throws Error
 * with a clear message otherwise.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (BARE_NUMBER.test(trimmed)) return Number(trimmed);
  const malformed = (why: string) =>
    new Error(
      `malformed duration ${JSON.stringify(text)}: ${why}; ` +
        "write e.g. 300ms, 2s, 1h30m or 2d (a bare number is milliseconds)",
    );
  if (trimmed === "") throw malformed("it is empty");
  const seen = new Set<string>();
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const at = PART.lastIndex;
    const match = PART.exec(trimmed);
    if (!match) throw malformed(`cannot read ${JSON.stringify(trimmed.slice(at))}`);
    const [, amount = "", unit = ""] = match;
    if (seen.has(unit)) throw malformed(`the unit "${unit}" appears twice`);
    seen.add(unit);
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  return total;
}

/** Renders milliseconds at the precision a reader wants: "250ms", "1.5s", "2m 5s", "49h 12m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms}ms`;
  if (ms < 0) return `-${formatDuration(-ms)}`;
  // Each branch rounds first and then checks its range, so 999.7ms becomes "1s", never "1000ms".
  const millis = Number(ms.toFixed(ms < 10 ? 1 : 0));
  if (millis < 1_000) return `${millis}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${tenths / 10}s`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 3_600) return twoUnits(Math.floor(seconds / 60), "m", seconds % 60, "s");
  const minutes = Math.round(ms / 60_000);
  return twoUnits(Math.floor(minutes / 60), "h", minutes % 60, "m");
}

function twoUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit} ${minor}${minorUnit}`;
}

/** Milliseconds as a Prometheus duration: 90000 -> "1m30s", 1500 -> "1500ms". */
export function promDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${Math.round(ms)}ms`;
  let seconds = ms / 1000;
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  return parts.join("") || "0s";
}

/**
 * Why a duration (`text`, `ms` once parsed) cannot be waited for with a timer, or undefined when it
 * can: for settings that become waits, which would otherwise end at once.
 */
export function timerLimitProblem(text: string, ms: number): string | undefined {
  if (ms <= MAX_TIMER_MS) return undefined;
  const most = promDuration(Math.floor(MAX_TIMER_MS / 1000) * 1000);
  return `${JSON.stringify(text)} is longer than a timer can wait (at most ${most})`;
}
