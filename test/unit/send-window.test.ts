import { describe, expect, it } from "vitest";
import { isWithinWindow, nextWindowOpen, recipientTimeZone } from "../../src/domain/campaigns/send-window";

const at = (iso: string) => new Date(iso);

describe("send windows", () => {
  const office = { start: "09:00", end: "17:00", timezone: "Asia/Tokyo" };

  it("reads the window in its own timezone", () => {
    expect(isWithinWindow(office, "Asia/Tokyo", at("2026-12-04T01:00:00Z")), "10:00 in Tokyo").toBe(true);
    expect(isWithinWindow(office, "Asia/Tokyo", at("2026-12-04T08:00:00Z")), "17:00 in Tokyo: the end is excluded").toBe(false);
    expect(isWithinWindow(office, "Asia/Tokyo", at("2026-12-04T10:00:00Z")), "19:00 in Tokyo").toBe(false);
  });

  it("opens next at the local start: later today or tomorrow", () => {
    expect(nextWindowOpen(office, "Asia/Tokyo", at("2026-12-04T10:00:00Z")).toISOString()).toBe("2026-12-05T00:00:00.000Z");
    expect(nextWindowOpen(office, "Asia/Tokyo", at("2026-12-03T23:00:00Z")).toISOString()).toBe("2026-12-04T00:00:00.000Z");
    const now = at("2026-12-04T02:00:00Z");
    expect(nextWindowOpen(office, "Asia/Tokyo", now)).toBe(now);
  });

  it("crosses midnight when the end is before the start", () => {
    const night = { start: "22:00", end: "06:00", timezone: "UTC" };
    expect(isWithinWindow(night, "UTC", at("2026-12-04T23:30:00Z"))).toBe(true);
    expect(isWithinWindow(night, "UTC", at("2026-12-04T05:59:00Z"))).toBe(true);
    expect(isWithinWindow(night, "UTC", at("2026-12-04T06:00:00Z"))).toBe(false);
    expect(nextWindowOpen(night, "UTC", at("2026-12-04T12:00:00Z")).toISOString()).toBe("2026-12-04T22:00:00.000Z");
  });

  it("follows daylight saving: 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer", () => {
    const ny = { start: "09:00", end: "10:00", timezone: "America/New_York" };
    expect(nextWindowOpen(ny, "America/New_York", at("2026-01-10T00:00:00Z")).toISOString()).toBe("2026-01-10T14:00:00.000Z");
    expect(nextWindowOpen(ny, "America/New_York", at("2026-07-10T00:00:00Z")).toISOString()).toBe("2026-07-10T13:00:00.000Z");
  });

  it("uses each subscriber's own timezone when the window says subscriber, else the workspace's", () => {
    const perSubscriber = { start: "09:00", end: "17:00", timezone: "subscriber" };
    expect(recipientTimeZone(perSubscriber, "Europe/Berlin", "UTC")).toBe("Europe/Berlin");
    expect(recipientTimeZone(perSubscriber, null, "America/Chicago")).toBe("America/Chicago");
    expect(recipientTimeZone(office, "Europe/Berlin", "UTC")).toBe("Asia/Tokyo");
    expect(recipientTimeZone(null, "Europe/Berlin", "UTC")).toBeNull();
  });
});
