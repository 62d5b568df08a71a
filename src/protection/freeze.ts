// Freeze windows in force: which of an environment's declared windows holds at an instant, each
// read in its own IANA time zone with Intl (daylight saving time included), from plain data.
import {
  parseLocalMoment,
  parseWeeklyMoment,
  WEEKDAYS,
  type FreezeWindowEntry,
  type LocalMoment,
  type WeeklyMoment,
} from "../schema/freeze.js";

const DAY_MS = 86_400_000;

/** A declared window, read: dated (from, to) or weekly, in a time zone. */
export interface FreezeWindow {
  /** Its place in protection.freeze, for messages that point at it. */
  index: number;
  name: string;
  reason: string;
  timeZone: string;
  /** How it is written, for messages: `2026-12-24 to 2026-12-26` or `every Friday 18:00 to Monday 06:00`. */
  span: string;
  rule:
    | { kind: "dated"; from: LocalMoment; to: LocalMoment }
    | { kind: "weekly"; from: WeeklyMoment; to: WeeklyMoment };
}

/** A window holding at an instant: the occurrence that holds, as instants. */
export interface FreezeInForce {
  window: FreezeWindow;
  startMs: number;
  endMs: number;
}

/** The windows as the schema checked them (a window the schema would refuse throws). */
export function readFreezeWindows(entries: readonly FreezeWindowEntry[]): FreezeWindow[] {
  return entries.map((entry, index) => {
    const common = {
      index,
      name: entry.name ?? entry.reason,
      reason: entry.reason,
      timeZone: entry["time-zone"],
    };
    if (entry.weekly) {
      const from = parseWeeklyMoment(entry.weekly.from);
      const to = parseWeeklyMoment(entry.weekly.to);
      if (!from || !to) throw new Error(`freeze window ${index}: weekly times not checked`);
      const span = `every ${entry.weekly.from} to ${entry.weekly.to}`;
      return { ...common, span, rule: { kind: "weekly" as const, from, to } };
    }
    const from = entry.from === undefined ? undefined : parseLocalMoment(entry.from);
    const to = entry.to === undefined ? undefined : parseLocalMoment(entry.to);
    if (!from || !to) throw new Error(`freeze window ${index}: dates not checked`);
    const span = entry.from === entry.to ? `${entry.from}` : `${entry.from} to ${entry.to}`;
    return { ...common, span, rule: { kind: "dated" as const, from, to } };
  });
}

/** Every window holding at `nowMs`, in the order declared. */
export function freezesInForce(windows: readonly FreezeWindow[], nowMs: number): FreezeInForce[] {
  return windows.flatMap((window) => {
    const occurrence = occurrenceAt(window, nowMs);
    return occurrence ? [{ window, ...occurrence }] : [];
  });
}

function occurrenceAt(
  window: FreezeWindow,
  nowMs: number,
): { startMs: number; endMs: number } | undefined {
  const zone = window.timeZone;
  const { rule } = window;
  const holds = (startMs: number, endMs: number) => startMs <= nowMs && nowMs < endMs;
  if (rule.kind === "dated") {
    const startMs = instantOf(zone, rule.from);
    // A date alone as the end takes in that whole day: the window closes at the next midnight.
    const endMs = instantOf(zone, rule.to.dateOnly ? addDays(rule.to, 1) : rule.to);
    return holds(startMs, endMs) ? { startMs, endMs } : undefined;
  }
  const { from, to } = rule;
  const days = (to.weekday - from.weekday + 7) % 7 || (to.minute <= from.minute ? 7 : 0);
  const today = wallClock(zone, nowMs);
  // The occurrence holding now opened on one of the last eight local days (a window is at most a week).
  for (let back = 0; back <= 7; back++) {
    const opening = addDays(today, -back);
    if (weekdayOf(opening) !== from.weekday) continue;
    const startMs = instantOf(zone, { ...opening, minute: from.minute });
    const endMs = instantOf(zone, { ...addDays(opening, days), minute: to.minute });
    if (holds(startMs, endMs)) return { startMs, endMs };
  }
  return undefined;
}

type LocalDate = Pick<LocalMoment, "year" | "month" | "day">;
type LocalTime = LocalDate & { minute: number };

function addDays<T extends LocalDate>(date: T, days: number): T {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return {
    ...date,
    year: moved.getUTCFullYear(),
    month: moved.getUTCMonth() + 1,
    day: moved.getUTCDate(),
  };
}

function weekdayOf(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  return format;
}

/** The wall clock in `zone` at an instant, to the second. */
function wallClock(zone: string, ms: number): LocalTime & { second: number } {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(ms))
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    minute: (parts.hour ?? 0) * 60 + (parts.minute ?? 0),
    second: parts.second ?? 0,
  };
}

/** How far `zone`'s wall clock is ahead of UTC at an instant, in milliseconds. */
function offsetAt(zone: string, ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const wall = wallClock(zone, whole);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, 0, wall.minute, wall.second);
  return asUtc - whole;
}

/**
 * The first instant the wall clock of `zone` shows a local time or a later one: when a window opens
 * or closes. A time the clocks pass twice (autumn) is its first pass; a time they skip (spring) is
 * the moment they skip it, so 02:30 on the day Berlin goes from 02:00 to 03:00 is 03:00 CEST.
 */
export function instantOf(zone: string, local: LocalTime): number {
  const naive = Date.UTC(local.year, local.month - 1, local.day, 0, local.minute);
  const offsets = new Set([-DAY_MS, 0, DAY_MS].map((shift) => offsetAt(zone, naive + shift)));
  const fitting = [...offsets]
    .map((offset) => naive - offset)
    .filter((instant) => offsetAt(zone, instant) === naive - instant)
    .sort((a, b) => a - b);
  if (fitting[0] !== undefined) return fitting[0];
  // Skipped: the change lies between the instant read with the offset after it (still before the
  // change) and the one read with the offset before it (already after); find it to the second.
  const before = offsetAt(zone, naive - DAY_MS);
  let [early, late] = [naive - offsetAt(zone, naive + DAY_MS), naive - before];
  while (late - early > 1000) {
    const middle = early + Math.floor((late - early) / 2000) * 1000;
    if (offsetAt(zone, middle) === before) early = middle;
    else late = middle;
  }
  return late;
}

/** An instant as `Monday 2026-12-28 06:00` on the wall clock of `zone`. */
export function formatWallClock(zone: string, ms: number): string {
  const wall = wallClock(zone, ms);
  const pad = (value: number) => String(value).padStart(2, "0");
  const date = `${wall.year}-${pad(wall.month)}-${pad(wall.day)}`;
  const time = `${pad(Math.floor(wall.minute / 60))}:${pad(wall.minute % 60)}`;
  return `${WEEKDAYS[weekdayOf(wall)] ?? ""} ${date} ${time}`;
}

/** One line naming a window in force: `"weekend" (every Friday 18:00 to Monday 06:00, ...)`. */
export function describeFreeze(freeze: FreezeInForce): string {
  const { window } = freeze;
  const until = `${formatWallClock(window.timeZone, freeze.endMs)} ${window.timeZone}`;
  const reason = window.name === window.reason ? "" : `: ${window.reason}`;
  return `freeze window "${window.name}" (${window.span}, ${window.timeZone}) until ${until}${reason}`;
}
