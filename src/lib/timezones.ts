const IANA_NAME = /^(?:UTC|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+)$/;

/**
 * True for IANA zone names the runtime's ICU data knows, such as "Europe/Berlin" or "UTC". Raw offsets
 * ("+02:00") are refused: they do not follow daylight-saving changes, so local midnight would drift.
 */
export function isValidTimeZone(zone: string): boolean {
  if (!IANA_NAME.test(zone)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
