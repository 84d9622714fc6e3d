import { describe, expect, it } from "vitest";
import { cronProblem, nextOccurrence, timezoneProblem } from "../../src/domain/campaigns/schedule";

describe("nextOccurrence", () => {
  it("reads the cron in the campaign's timezone", () => {
    // 09:00 on Mondays in New York is 14:00 UTC in winter (EST, UTC-5).
    expect(nextOccurrence("0 9 * * 1", "America/New_York", new Date("2026-02-04T00:00:00Z"))).toEqual(new Date("2026-02-09T14:00:00Z"));
    expect(nextOccurrence("0 9 * * 1", "Asia/Tokyo", new Date("2026-02-04T00:00:00Z"))).toEqual(new Date("2026-02-09T00:00:00Z"));
    expect(nextOccurrence("0 9 * * 1", "UTC", new Date("2026-02-04T00:00:00Z"))).toEqual(new Date("2026-02-09T09:00:00Z"));
  });

  it("follows daylight saving time: the same local time is another UTC time after the change", () => {
    // New York moves to EDT (UTC-4) on 2026-03-08: the Monday after, 09:00 local is 13:00 UTC.
    expect(nextOccurrence("0 9 * * 1", "America/New_York", new Date("2026-03-02T14:00:00Z"))).toEqual(new Date("2026-03-09T13:00:00Z"));
    expect(nextOccurrence("0 9 * * *", "Europe/Berlin", new Date("2026-03-28T12:00:00Z"))).toEqual(new Date("2026-03-29T07:00:00Z"));
  });

  it("fires once at a wall-clock time that does not exist or exists twice on the day of the change", () => {
    // Berlin skips 02:00–03:00 on 2026-03-29: a 02:30 run happens at the first instant after the gap (03:00 CEST).
    expect(nextOccurrence("30 2 * * *", "Europe/Berlin", new Date("2026-03-28T12:00:00Z"))).toEqual(new Date("2026-03-29T01:00:00Z"));
    // Berlin repeats 02:00–03:00 on 2026-10-25: 02:30 fires at its first occurrence (CEST) and not again that day.
    const first = nextOccurrence("30 2 * * *", "Europe/Berlin", new Date("2026-10-24T12:00:00Z"));
    expect(first).toEqual(new Date("2026-10-25T00:30:00Z"));
    expect(nextOccurrence("30 2 * * *", "Europe/Berlin", first as Date)).toEqual(new Date("2026-10-26T01:30:00Z"));
  });

  it("is strictly after the given time", () => {
    const at = new Date("2026-05-01T08:00:00Z");
    expect(nextOccurrence("0 8 * * *", "UTC", at)).toEqual(new Date("2026-05-02T08:00:00Z"));
  });

  it("is null for a cron that never fires", () => {
    expect(nextOccurrence("0 0 30 2 *", "UTC", new Date("2026-01-01T00:00:00Z"))).toBeNull();
  });
});

describe("schedule validation", () => {
  it("accepts five-field crons and nicknames", () => {
    for (const cron of ["0 9 * * 1", "*/15 8-18 * * 1-5", "@daily", "0 0 1 * *"]) expect(cronProblem(cron), cron).toBeNull();
  });

  it("refuses what is not a five-field cron, and a cron that never fires", () => {
    for (const cron of ["", "every monday", "* * * * * *", "61 * * * *", "0 25 * * *"])
      expect(cronProblem(cron), cron).toMatch(/five-field/);
    expect(cronProblem("0 0 30 2 *")).toMatch(/never occurs/);
  });

  it("accepts IANA timezones only", () => {
    expect(timezoneProblem("Europe/Berlin")).toBeNull();
    expect(timezoneProblem("UTC")).toBeNull();
    for (const zone of ["Mars/Base", "+02:00", "CEST", ""]) expect(timezoneProblem(zone), zone).not.toBeNull();
  });
});
