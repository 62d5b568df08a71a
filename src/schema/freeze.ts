// The shape of `protection.freeze`: the windows in which deploy refuses to start, and how their
// times are written (a local date or date and time, a weekday and time, an IANA time zone).
import * as z from "zod/mini";

/** A wall-clock moment in a time zone, as written: a date, and minutes after its midnight. */
export interface LocalMoment {
  year: number;
  /** 1 to 12. */
  month: number;
  day: number;
  /** Minutes after midnight; 0 for a date alone. */
  minute: number;
  /** Written as a date without a time. */
  dateOnly: boolean;
}

/** A weekly moment: a weekday (0 Sunday to 6 Saturday) and minutes after its midnight. */
export interface WeeklyMoment {
  weekday: number;
  minute: number;
}

export const WEEKDAYS = [
  "Sunday",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
] as const;

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/;
const WEEKLY = /^([A-Za-z]+)\s+(\d{1,2}):(\d{2})$/;
const ZONE = /^(?:UTC|[A-Za-z][A-Za-z_-]*(?:\/[A-Za-z0-9_+-]+){1,2})$/;

function minuteOfDay(hours: string | undefined, minutes: string | undefined): number | undefined {
  const h = Number(hours ?? "0");
  const m = Number(minutes ?? "0");
  return h <= 23 && m <= 59 ? h * 60 + m : undefined;
}

/** `2026-12-24` or `2026-12-24T18:00` (also with a space); undefined when it is neither or no date. */
export function parseLocalMoment(text: string): LocalMoment | undefined {
  const match = LOCAL.exec(text.trim());
  if (!match) return undefined;
  const [, y = "", mo = "", d = "", hours, minutes] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const date = new Date(Date.UTC(year, month - 1, day));
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  const minute = minuteOfDay(hours, minutes);
  if (!real || minute === undefined) return undefined;
  return { year, month, day, minute, dateOnly: hours === undefined };
}

/** `Friday 18:00` or `fri 18:00` (any case); undefined when it is not a weekday and a time. */
export function parseWeeklyMoment(text: string): WeeklyMoment | undefined {
  const match = WEEKLY.exec(text.trim());
  if (!match) return undefined;
  const [, name = "", hours, minutes] = match;
  const lower = name.toLowerCase();
  const weekday = WEEKDAYS.findIndex(
    (day) => day.toLowerCase() === lower || day.slice(0, 3).toLowerCase() === lower,
  );
  const minute = minuteOfDay(hours, minutes);
  return weekday >= 0 && minute !== undefined ? { weekday, minute } : undefined;
}

/** An IANA time zone name the runtime knows (Europe/Berlin, America/New_York, UTC). */
export function isTimeZone(name: string): boolean {
  if (!ZONE.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A local moment's order as a number (minutes since 1970-01-01 as if it were UTC). */
export function localOrder(moment: LocalMoment): number {
  return Date.UTC(moment.year, moment.month - 1, moment.day) / 60_000 + moment.minute;
}

const localMoment = (description: string) =>
  z.optional(
    z
      .string({
        error: "expected a date such as 2026-12-24 or a date and time such as 2026-12-24T18:00",
      })
      .check(
        z.refine((text) => parseLocalMoment(text) !== undefined, {
          error: "expected a date such as 2026-12-24 or a date and time such as 2026-12-24T18:00",
        }),
        z.describe(description),
      ),
  );

const weeklyMoment = z
  .string({ error: "expected a weekday and a time such as Friday 18:00" })
  .check(
    z.refine((text) => parseWeeklyMoment(text) !== undefined, {
      error: "expected a weekday and a 24-hour time such as Friday 18:00 or fri 18:00",
    }),
  );

const WeeklySchema = z
  .strictObject({
    from: weeklyMoment.check(z.describe("When the window opens each week, such as Friday 18:00.")),
    to: weeklyMoment.check(
      z.describe("When it closes, such as Monday 06:00 (the next one after from)."),
    ),
  })
  .check(
    z.refine(
      ({ from, to }) => {
        const [start, end] = [parseWeeklyMoment(from), parseWeeklyMoment(to)];
        return !start || !end || start.weekday !== end.weekday || start.minute !== end.minute;
      },
      { error: "from and to are the same moment: a window must open and close", path: ["to"] },
    ),
  );

/** Whether a dated window's end comes after its start (a date alone as `to` takes in that day). */
function datedInOrder(from: string | undefined, to: string | undefined): boolean {
  const [start, end] = [from && parseLocalMoment(from), to && parseLocalMoment(to)];
  if (!start || !end) return true;
  const endOrder = localOrder(end) + (end.dateOnly ? 1440 : 0);
  return endOrder > localOrder(start);
}

export const FreezeWindowSchema = z
  .strictObject({
    name: z.optional(
      z
        .string()
        .check(
          z.minLength(1),
          z.maxLength(100),
          z.describe(
            "A short name for messages and records, such as year-end. Default: the reason.",
          ),
        ),
    ),
    reason: z
      .string({ error: "expected why deploys stop, such as Year-end holidays" })
      .check(
        z.minLength(1, { error: "expected why deploys stop, such as Year-end holidays" }),
        z.maxLength(300),
        z.describe("Why deploys stop in this window: shown when deploy refuses to start."),
      ),
    "time-zone": z
      .string({ error: "expected an IANA time zone such as Europe/Berlin or UTC" })
      .check(
        z.refine(isTimeZone, {
          error: "expected an IANA time zone such as Europe/Berlin, America/New_York or UTC",
        }),
        z.describe("The IANA time zone the window's times are read in (Europe/Berlin, UTC)."),
      ),
    from: localMoment(
      "A dated window's start: a date (its midnight) or a date and time, such as 2026-12-24T18:00.",
    ),
    to: localMoment(
      "A dated window's end: a date (to the end of that day) or a date and time (up to that moment).",
    ),
    weekly: z.optional(
      WeeklySchema.check(
        z.describe(
          "A window every week, from a weekday and time to the next given weekday and time.",
        ),
      ),
    ),
  })
  .check(
    z.refine(
      (window) =>
        (window.weekly === undefined) === (window.from !== undefined && window.to !== undefined) &&
        (window.weekly === undefined || (window.from === undefined && window.to === undefined)),
      { error: "expected either from and to (a dated window) or weekly: {from, to}, not both" },
    ),
    z.refine((window) => datedInOrder(window.from, window.to), {
      error: "ends before it starts: to must come after from",
      path: ["to"],
    }),
  );

export const FreezeSchema = z
  .array(FreezeWindowSchema)
  .check(
    z.describe(
      "Windows in which deploy refuses to start a fresh rollout (holidays, weekends), each with a " +
        "reason; the override-freeze input deploys anyway, recorded. Rollbacks are never blocked.",
    ),
  );

export type FreezeWindowEntry = z.infer<typeof FreezeWindowSchema>;
