// Weekly schedules ("weekdays 08-20", "24/7") parsed into running minutes per week, and hours per month.

/** Hours in a billing month by the cloud providers' convention (8,760 hours a year / 12). */
export const HOURS_PER_MONTH = 730n;
export const MINUTES_PER_WEEK = 7 * 24 * 60;

/** A quantity as an exact fraction: monthly hours of a weekly schedule are rarely whole. */
export interface Ratio {
  numerator: bigint;
  denominator: bigint;
}

export interface Schedule {
  /** The text as written, for reports. */
  text: string;
  /** Minutes per week the resource runs (10,080 for 24/7). */
  minutesPerWeek: number;
}

export class ScheduleError extends Error {}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const DAY_GROUPS: Record<string, readonly number[]> = {
  daily: [0, 1, 2, 3, 4, 5, 6],
  everyday: [0, 1, 2, 3, 4, 5, 6],
  weekdays: [0, 1, 2, 3, 4],
  weekends: [5, 6],
};
const ALWAYS = new Set(["24/7", "always"]);

/**
 * Parses a schedule: `24/7` (or `always`), or one or more `;`-separated windows of
 * `<days> <HH[:MM]>-<HH[:MM]>`, where days are `daily`, `weekdays`, `weekends`, a day (`sat`), a
 * range (`mon-fri`) or a list (`mon,wed,fri`). Times are UTC; `24` ends a day; a window whose end
 * is not after its start runs past midnight (`22-06`). Overlapping windows count once.
 */
export function parseSchedule(text: string): Schedule {
  const normalized = text.trim().toLowerCase();
  if (ALWAYS.has(normalized)) return { text: text.trim(), minutesPerWeek: MINUTES_PER_WEEK };
  const running = new Uint8Array(MINUTES_PER_WEEK);
  const windows = normalized
    .split(";")
    .map((part) => part.trim())
    .filter(Boolean);
  if (windows.length === 0)
    throw new ScheduleError("is empty; write 24/7 or windows such as weekdays 08-20");
  for (const window of windows) {
    const match = /^([a-z,\s-]+?)\s+(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?$/.exec(
      window,
    );
    if (!match)
      throw new ScheduleError(
        `cannot read "${window}": expected days and hours such as weekdays 08-20`,
      );
    const days = parseDays(match[1]!.trim());
    const start = minuteOfDay(match[2]!, match[3]);
    const end = minuteOfDay(match[4]!, match[5]);
    if (start === end) throw new ScheduleError(`"${window}" starts and ends at the same time`);
    for (const day of days) {
      const length = end > start ? end - start : 24 * 60 - start + end;
      for (let minute = 0; minute < length; minute++)
        running[(day * 24 * 60 + start + minute) % MINUTES_PER_WEEK] = 1;
    }
  }
  return { text: text.trim(), minutesPerWeek: running.reduce((sum, value) => sum + value, 0) };
}

function parseDays(text: string): number[] {
  const group = DAY_GROUPS[text];
  if (group) return [...group];
  const days = new Set<number>();
  for (const part of text.split(",").map((item) => item.trim())) {
    const range = /^([a-z]{3})\s*-\s*([a-z]{3})$/.exec(part);
    if (range) {
      const from = dayIndex(range[1]!);
      const to = dayIndex(range[2]!);
      for (let day = from; ; day = (day + 1) % 7) {
        days.add(day);
        if (day === to) break;
      }
    } else {
      days.add(dayIndex(part));
    }
  }
  return [...days];
}

function dayIndex(text: string): number {
  const index = DAYS.indexOf(text.slice(0, 3) as (typeof DAYS)[number]);
  if (
    index < 0 ||
    !"monday tuesday wednesday thursday friday saturday sunday".split(" ")[index]!.startsWith(text)
  ) {
    throw new ScheduleError(`unknown day "${text}" (use mon..sun, weekdays, weekends or daily)`);
  }
  return index;
}

function minuteOfDay(hours: string, minutes: string | undefined): number {
  const h = Number(hours);
  const m = minutes === undefined ? 0 : Number(minutes);
  if (h > 24 || m > 59 || (h === 24 && m > 0))
    throw new ScheduleError(`${hours}:${minutes ?? "00"} is not a time of day`);
  return h * 60 + m;
}

/**
 * Hours per month a schedule runs, exactly: minutes per week × 730 / 10,080, so 24/7 is 730 hours
 * and weekdays 08-20 (3,600 minutes a week) is 260 5/7 hours.
 */
export function monthlyHours(schedule: Schedule): Ratio {
  return {
    numerator: BigInt(schedule.minutesPerWeek) * HOURS_PER_MONTH,
    denominator: BigInt(MINUTES_PER_WEEK),
  };
}

/** The share of the week a schedule is off, as a fraction: what scheduling would save. */
export function offShare(schedule: Schedule): Ratio {
  return {
    numerator: BigInt(MINUTES_PER_WEEK - schedule.minutesPerWeek),
    denominator: BigInt(MINUTES_PER_WEEK),
  };
}
