// Freeze windows without a network or a clock: the schema's errors at their file and line, and which
// window holds at an instant, weekly and dated, across midnight, the week's end and DST changes.
import { describe, expect, it } from "@jest/globals";
import { layerEnvironment } from "../../src/config/layering.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";
import { declaredProtection } from "../../src/protection/declared.js";
import {
  describeFreeze,
  freezesInForce,
  instantOf,
  readFreezeWindows,
  type FreezeWindow,
} from "../../src/protection/freeze.js";
import type { FreezeWindowEntry } from "../../src/schema/freeze.js";
import { problemsOf } from "../support/configuration-error.js";

function environment(text: string) {
  const layers = [parseYamlSource("environments/production.yml", text)];
  return layerEnvironment({ name: "production", layers });
}

function windowsOf(...entries: Partial<FreezeWindowEntry>[]): FreezeWindow[] {
  return readFreezeWindows(
    entries.map((entry) => ({ reason: "frozen", ...entry }) as FreezeWindowEntry),
  );
}

const weekly = (from: string, to: string, zone = "UTC") =>
  windowsOf({ "time-zone": zone, weekly: { from, to } });
const dated = (from: string, to: string, zone = "UTC") =>
  windowsOf({ "time-zone": zone, from, to });

/** The window's occurrence holding at `at`, as ISO instants, or "open". */
function verdict(windows: FreezeWindow[], at: string): string {
  const [held] = freezesInForce(windows, Date.parse(at));
  return held
    ? `${new Date(held.startMs).toISOString()} -> ${new Date(held.endMs).toISOString()}`
    : "open";
}

describe("weekly windows", () => {
  const weekend = weekly("Friday 18:00", "Monday 06:00");
  const night = weekly("wed 22:00", "thu 02:00");
  const turn = weekly("Saturday 20:00", "Sunday 04:00");
  const allButAnHour = weekly("Monday 06:00", "Monday 05:00");
  const workday = weekly("Tuesday 09:00", "Tuesday 17:00");
  // 2026-01-02 is a Friday.
  const WEEKEND = "2026-01-02T18:00:00.000Z -> 2026-01-05T06:00:00.000Z";
  it.each([
    ["Friday 17:59:59, before it opens", weekend, "2026-01-02T17:59:59Z", "open"],
    ["Friday 18:00, as it opens", weekend, "2026-01-02T18:00:00Z", WEEKEND],
    ["Saturday noon", weekend, "2026-01-03T12:00:00Z", WEEKEND],
    ["Sunday, across the week's end", weekend, "2026-01-04T23:59:00Z", WEEKEND],
    ["Monday 05:59", weekend, "2026-01-05T05:59:59Z", WEEKEND],
    ["Monday 06:00, as it closes", weekend, "2026-01-05T06:00:00Z", "open"],
    ["Wednesday", weekend, "2026-01-07T12:00:00Z", "open"],
    [
      "Wednesday 22:30, across midnight",
      night,
      "2026-01-07T22:30:00Z",
      "2026-01-07T22:00:00.000Z -> 2026-01-08T02:00:00.000Z",
    ],
    [
      "Thursday 01:59, across midnight",
      night,
      "2026-01-08T01:59:00Z",
      "2026-01-07T22:00:00.000Z -> 2026-01-08T02:00:00.000Z",
    ],
    ["Thursday 02:00", night, "2026-01-08T02:00:00Z", "open"],
    ["Wednesday 21:59", night, "2026-01-07T21:59:00Z", "open"],
    [
      "Saturday to Sunday",
      turn,
      "2026-01-04T03:00:00Z",
      "2026-01-03T20:00:00.000Z -> 2026-01-04T04:00:00.000Z",
    ],
    ["Sunday 04:00", turn, "2026-01-04T04:00:00Z", "open"],
    ["a week less an hour: Monday 05:30", allButAnHour, "2026-01-05T05:30:00Z", "open"],
    ["a week less an hour: Monday 05:00", allButAnHour, "2026-01-05T05:00:00Z", "open"],
    [
      "a week less an hour: Monday 04:59",
      allButAnHour,
      "2026-01-05T04:59:00Z",
      "2025-12-29T06:00:00.000Z -> 2026-01-05T05:00:00.000Z",
    ],
    [
      "a week less an hour: Monday 06:00",
      allButAnHour,
      "2026-01-05T06:00:00Z",
      "2026-01-05T06:00:00.000Z -> 2026-01-12T05:00:00.000Z",
    ],
    [
      "within one day",
      workday,
      "2026-01-06T16:59:00Z",
      "2026-01-06T09:00:00.000Z -> 2026-01-06T17:00:00.000Z",
    ],
    ["within one day, after it", workday, "2026-01-06T17:00:00Z", "open"],
    ["within one day, another day", workday, "2026-01-07T10:00:00Z", "open"],
  ])("%s", (_name, windows, at, expected) => {
    expect(verdict(windows, at)).toBe(expected);
  });
});

describe("weekly windows in a time zone, across DST changes", () => {
  const berlin = weekly("Friday 18:00", "Monday 06:00", "Europe/Berlin");
  const newYork = weekly("Friday 18:00", "Monday 06:00", "America/New_York");
  // Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
  const BERLIN_SPRING = "2026-03-27T17:00:00.000Z -> 2026-03-30T04:00:00.000Z";
  const BERLIN_AUTUMN = "2026-10-23T16:00:00.000Z -> 2026-10-26T05:00:00.000Z";
  // New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
  const NEW_YORK_SPRING = "2026-03-06T23:00:00.000Z -> 2026-03-09T10:00:00.000Z";
  const NEW_YORK_AUTUMN = "2026-10-30T22:00:00.000Z -> 2026-11-02T11:00:00.000Z";
  it.each([
    ["Berlin, Friday 17:59 CET", berlin, "2026-03-27T16:59:00Z", "open"],
    ["Berlin, Friday 18:00 CET opens", berlin, "2026-03-27T17:00:00Z", BERLIN_SPRING],
    ["Berlin, as the clocks go forward", berlin, "2026-03-29T01:00:00Z", BERLIN_SPRING],
    ["Berlin, Monday 05:59 CEST", berlin, "2026-03-30T03:59:00Z", BERLIN_SPRING],
    [
      "Berlin, Monday 06:00 CEST closes (an hour earlier in UTC)",
      berlin,
      "2026-03-30T04:00:00Z",
      "open",
    ],
    ["Berlin, Friday 18:00 CEST opens", berlin, "2026-10-23T16:00:00Z", BERLIN_AUTUMN],
    ["Berlin, the repeated hour's second pass", berlin, "2026-10-25T01:30:00Z", BERLIN_AUTUMN],
    ["Berlin, Monday 05:59 CET", berlin, "2026-10-26T04:59:00Z", BERLIN_AUTUMN],
    ["Berlin, Monday 06:00 CET closes", berlin, "2026-10-26T05:00:00Z", "open"],
    ["New York, Friday 18:00 EST opens", newYork, "2026-03-06T23:00:00Z", NEW_YORK_SPRING],
    ["New York, Friday 17:59 EST", newYork, "2026-03-06T22:59:00Z", "open"],
    ["New York, Monday 05:59 EDT", newYork, "2026-03-09T09:59:00Z", NEW_YORK_SPRING],
    ["New York, Monday 06:00 EDT closes", newYork, "2026-03-09T10:00:00Z", "open"],
    ["New York, Friday 18:00 EDT opens", newYork, "2026-10-30T22:00:00Z", NEW_YORK_AUTUMN],
    ["New York, Monday 05:59 EST", newYork, "2026-11-02T10:59:00Z", NEW_YORK_AUTUMN],
    ["New York, Monday 06:00 EST closes", newYork, "2026-11-02T11:00:00Z", "open"],
  ])("%s", (_name, windows, at, expected) => {
    expect(verdict(windows, at)).toBe(expected);
  });

  it("opens at the moment the clocks skip its start, and closes at the first pass of a repeated time", () => {
    const skipped = weekly("Sunday 02:30", "Sunday 05:00", "Europe/Berlin");
    expect(verdict(skipped, "2026-03-29T00:59:59Z")).toBe("open");
    expect(verdict(skipped, "2026-03-29T01:00:00Z")).toBe(
      "2026-03-29T01:00:00.000Z -> 2026-03-29T03:00:00.000Z",
    );
    const repeated = weekly("Saturday 22:00", "Sunday 01:30", "America/New_York");
    expect(verdict(repeated, "2026-11-01T05:29:00Z")).toBe(
      "2026-11-01T02:00:00.000Z -> 2026-11-01T05:30:00.000Z",
    );
    // 01:15 EST, the second pass of 01:15: the window closed at the first pass of 01:30 (EDT).
    expect(verdict(repeated, "2026-11-01T06:15:00Z")).toBe("open");
  });
});

describe("dated windows", () => {
  const holidays = dated("2026-12-24", "2026-12-26", "Europe/Berlin");
  const newYearsEve = dated("2026-12-31T18:00", "2027-01-01T06:00", "America/New_York");
  const oneDay = dated("2026-07-04", "2026-07-04", "America/New_York");
  const HOLIDAYS = "2026-12-23T23:00:00.000Z -> 2026-12-26T23:00:00.000Z";
  it.each([
    ["the evening before", holidays, "2026-12-23T22:59:59Z", "open"],
    ["midnight of its first day, local", holidays, "2026-12-23T23:00:00Z", HOLIDAYS],
    [
      "the last second of its last day (a date as to takes in the day)",
      holidays,
      "2026-12-26T22:59:59Z",
      HOLIDAYS,
    ],
    ["the day after", holidays, "2026-12-26T23:00:00Z", "open"],
    [
      "a date and time",
      newYearsEve,
      "2026-12-31T23:00:00Z",
      "2026-12-31T23:00:00.000Z -> 2027-01-01T11:00:00.000Z",
    ],
    ["a date and time, up to the moment", newYearsEve, "2027-01-01T11:00:00Z", "open"],
    [
      "one day (from and to the same date)",
      oneDay,
      "2026-07-05T03:59:00Z",
      "2026-07-04T04:00:00.000Z -> 2026-07-05T04:00:00.000Z",
    ],
    [
      "a DST change inside (Berlin, spring)",
      dated("2026-03-28", "2026-03-29", "Europe/Berlin"),
      "2026-03-29T21:59:00Z",
      "2026-03-27T23:00:00.000Z -> 2026-03-29T22:00:00.000Z",
    ],
    [
      "a DST change inside (New York, autumn)",
      dated("2026-10-31", "2026-11-01", "America/New_York"),
      "2026-11-02T04:59:00Z",
      "2026-10-31T04:00:00.000Z -> 2026-11-02T05:00:00.000Z",
    ],
  ])("%s", (_name, windows, at, expected) => {
    expect(verdict(windows, at)).toBe(expected);
  });

  it("names every window in force, in the order declared", () => {
    const windows = windowsOf(
      { name: "weekend", "time-zone": "UTC", weekly: { from: "Fri 18:00", to: "Mon 06:00" } },
      {
        name: "holidays",
        reason: "Year-end holidays",
        "time-zone": "UTC",
        from: "2026-12-24",
        to: "2027-01-01",
      },
    );
    const held = freezesInForce(windows, Date.parse("2026-12-26T10:00:00Z"));
    expect(held.map((freeze) => freeze.window.name)).toEqual(["weekend", "holidays"]);
    expect(describeFreeze(held[1]!)).toBe(
      'freeze window "holidays" (2026-12-24 to 2027-01-01, UTC) until Saturday 2027-01-02 00:00 UTC: Year-end holidays',
    );
  });
});

describe("wall-clock times to instants", () => {
  it.each([
    ["Berlin in winter", "Europe/Berlin", [2026, 1, 15, 12 * 60], "2026-01-15T11:00:00.000Z"],
    ["Berlin in summer", "Europe/Berlin", [2026, 7, 15, 12 * 60], "2026-07-15T10:00:00.000Z"],
    ["Berlin, skipped 02:30", "Europe/Berlin", [2026, 3, 29, 150], "2026-03-29T01:00:00.000Z"],
    [
      "Berlin, repeated 02:30 (first pass)",
      "Europe/Berlin",
      [2026, 10, 25, 150],
      "2026-10-25T00:30:00.000Z",
    ],
    ["New York, skipped 02:00", "America/New_York", [2026, 3, 8, 120], "2026-03-08T07:00:00.000Z"],
    [
      "New York, repeated 01:30 (first pass)",
      "America/New_York",
      [2026, 11, 1, 90],
      "2026-11-01T05:30:00.000Z",
    ],
    ["Kolkata (a half-hour offset)", "Asia/Kolkata", [2026, 1, 1, 0], "2025-12-31T18:30:00.000Z"],
    ["UTC", "UTC", [2028, 2, 29, 23 * 60 + 59], "2028-02-29T23:59:00.000Z"],
  ] as const)("%s", (_name, zone, [year, month, day, minute], expected) => {
    expect(new Date(instantOf(zone, { year, month, day, minute })).toISOString()).toBe(expected);
  });
});

const ZONE = "expected an IANA time zone such as Europe/Berlin, America/New_York or UTC";
const WEEKLY = "expected a weekday and a 24-hour time such as Friday 18:00 or fri 18:00";
const DATE = "expected a date such as 2026-12-24 or a date and time such as 2026-12-24T18:00";
const KIND = "expected either from and to (a dated window) or weekly: {from, to}, not both";
const at = (line: number, key: string) =>
  `environments/production.yml:${line} protection.freeze[0]${key}: `;

describe("the schema of protection.freeze", () => {
  it("reads a valid section, and a section holding only freeze manages no GitHub rule", () => {
    const env = environment(`protection:
  freeze:
    - name: weekend
      reason: No deploys over the weekend
      time-zone: Europe/Berlin
      weekly: { from: Friday 18:00, to: Monday 06:00 }
    - reason: Year-end holidays
      time-zone: America/New_York
      from: 2026-12-24
      to: 2027-01-01T09:00
`);
    expect(env.document.protection?.freeze).toHaveLength(2);
    expect(readFreezeWindows(env.document.protection?.freeze ?? []).map((w) => w.span)).toEqual([
      "every Friday 18:00 to Monday 06:00",
      "2026-12-24 to 2027-01-01T09:00",
    ]);
    expect(declaredProtection(env)).toBeUndefined();
    const managed = environment("protection:\n  wait-timer: 5\n  freeze: []\n");
    expect(declaredProtection(managed)?.waitTimer).toBe(5);
  });

  it.each([
    [
      "an unknown time zone",
      "    - reason: r\n      time-zone: Europe/Berlim\n      from: 2026-12-24\n      to: 2026-12-25\n",
      at(4, ".time-zone") + ZONE,
    ],
    [
      "an offset as a time zone",
      "    - reason: r\n      time-zone: +01:00\n      from: 2026-12-24\n      to: 2026-12-25\n",
      at(4, ".time-zone") + ZONE,
    ],
    [
      "no time zone",
      "    - reason: r\n      from: 2026-12-24\n      to: 2026-12-25\n",
      at(3, ".time-zone") + "expected an IANA time zone such as Europe/Berlin or UTC",
    ],
    [
      "24:00",
      "    - reason: r\n      time-zone: UTC\n      weekly:\n        from: Friday 24:00\n        to: Monday 06:00\n",
      at(6, ".weekly.from") + WEEKLY,
    ],
    [
      "a time of day with am/pm",
      "    - reason: r\n      time-zone: UTC\n      weekly: { from: Friday 18:00, to: Mon 6am }\n",
      at(5, ".weekly.to") + WEEKLY,
    ],
    [
      "a day that is not a weekday",
      "    - reason: r\n      time-zone: UTC\n      weekly: { from: Funday 18:00, to: Mon 06:00 }\n",
      at(5, ".weekly.from") + WEEKLY,
    ],
    [
      "the same moment twice",
      "    - reason: r\n      time-zone: UTC\n      weekly: { from: Fri 18:00, to: friday 18:00 }\n",
      at(5, ".weekly.to") + "from and to are the same moment: a window must open and close",
    ],
    [
      "a date that does not exist",
      "    - reason: r\n      time-zone: UTC\n      from: 2026-02-30\n      to: 2026-03-02\n",
      at(5, ".from") + DATE,
    ],
    [
      "an end before the start",
      "    - reason: r\n      time-zone: UTC\n      from: 2026-12-24T18:00\n      to: 2026-12-24T06:00\n",
      at(6, ".to") + "ends before it starts: to must come after from",
    ],
    [
      "a dated window and a weekly one at once",
      "    - reason: r\n      time-zone: UTC\n      from: 2026-12-24\n      to: 2026-12-25\n" +
        "      weekly: { from: Fri 18:00, to: Mon 06:00 }\n",
      at(3, "") + KIND,
    ],
    [
      "from without to",
      "    - reason: r\n      time-zone: UTC\n      from: 2026-12-24\n",
      at(3, "") + KIND,
    ],
    [
      "no reason",
      "    - time-zone: UTC\n      from: 2026-12-24\n      to: 2026-12-25\n",
      at(3, ".reason") + "expected why deploys stop, such as Year-end holidays",
    ],
    [
      "a misspelt key",
      "    - reason: r\n      timezone: UTC\n      from: 2026-12-24\n      to: 2026-12-25\n",
      at(4, ".timezone") + "unknown key (check its spelling and indentation)",
    ],
  ])("refuses %s at its file and line", (_name, body, expected) => {
    expect(problemsOf(() => environment(`protection:\n  freeze:\n${body}`))).toContain(expected);
  });
});
