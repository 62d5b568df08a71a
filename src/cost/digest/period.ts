// Digest periods as UTC day numbers: last week, last month, a named month or explicit dates.

export interface Period {
  /** First day, days since 1970-01-01 (UTC). */
  start: number;
  /** Day after the last day. */
  end: number;
  label: string;
  kind: "week" | "month" | "range";
}

export class PeriodError extends Error {}

const DAY_MS = 86_400_000;

export function dayNumber(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

export function dayText(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

function monthPeriod(year: number, month: number): Period {
  const start = dayNumber(year, month, 1);
  const end = dayNumber(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1);
  return { start, end, label: `${year}-${String(month).padStart(2, "0")}`, kind: "month" };
}

/**
 * `week`: the last whole Monday-to-Sunday week before `now`; `month`: the last whole calendar
 * month; `YYYY-MM`; or `YYYY-MM-DD..YYYY-MM-DD` (both days included).
 */
export function resolvePeriod(spec: string, now: Date): Period {
  const today = Math.floor(now.getTime() / DAY_MS);
  if (spec === "week") {
    const start = today - weekday(today) - 7;
    return { start, end: start + 7, label: `week of ${dayText(start)}`, kind: "week" };
  }
  if (spec === "month") {
    const year = now.getUTCFullYear();
    const month = now.getUTCMonth() + 1;
    return month === 1 ? monthPeriod(year - 1, 12) : monthPeriod(year, month - 1);
  }
  const named = /^(\d{4})-(\d{2})$/.exec(spec);
  if (named) {
    const month = Number(named[2]);
    if (month < 1 || month > 12) throw new PeriodError(`${spec} has no month ${month}`);
    return monthPeriod(Number(named[1]), month);
  }
  const range = /^(\d{4})-(\d{2})-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2})$/.exec(spec);
  if (range) {
    const [from, to] = [range.slice(1, 4), range.slice(4, 7)].map(([y, m, d]) => {
      const day = dayNumber(Number(y), Number(m), Number(d));
      if (dayText(day) !== `${y}-${m}-${d}`) throw new PeriodError(`${y}-${m}-${d} is not a date`);
      return day;
    }) as [number, number];
    if (to < from) throw new PeriodError(`${spec} ends before it starts`);
    return { start: from, end: to + 1, label: `${dayText(from)}..${dayText(to)}`, kind: "range" };
  }
  throw new PeriodError("expected week, month, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD");
}

/** The period of the same length just before (the previous calendar month for a month). */
export function previousPeriod(period: Period): Period {
  if (period.kind === "month") {
    const [year, month] = dayText(period.start).split("-").map(Number) as [number, number];
    return month === 1 ? monthPeriod(year - 1, 12) : monthPeriod(year, month - 1);
  }
  const length = period.end - period.start;
  return {
    start: period.start - length,
    end: period.start,
    label: `${dayText(period.start - length)}..${dayText(period.start - 1)}`,
    kind: period.kind,
  };
}

export function periodText(period: Period): string {
  return `${dayText(period.start)}..${dayText(period.end - 1)}`;
}
