import UAParser from "ua-parser-js";

export interface DeviceDescription {
  /** desktop, mobile, tablet, proxy (a mail provider fetched it) or unknown. */
  device_type: string;
  os: string | null;
  /** The mail program (or, for clicks, the browser) that made the request. */
  email_client: string | null;
}

const MAIL_CLIENTS: [RegExp, string][] = [
  [/googleimageproxy/i, "Gmail"],
  [/yahoomailproxy/i, "Yahoo Mail"],
  [/microsoft outlook|ms-office|outlook-(ios|android)|outlook/i, "Outlook"],
  [/thunderbird/i, "Thunderbird"],
  [/airmail/i, "Airmail"],
  [/spark/i, "Spark"],
];

const PROXIES = /googleimageproxy|yahoomailproxy|image ?proxy/i;

/**
 * Device type, OS and client of a tracking hit's user agent, for the device report. Mail programs that embed a
 * browser engine (Apple Mail, Outlook) are told apart by the rest of the agent; the image proxies of Gmail and
 * Yahoo are their own device type, since they say nothing of the reader's device.
 */
export function describeUserAgent(ua: string | null | undefined): DeviceDescription {
  if (!ua?.trim()) return { device_type: "unknown", os: null, email_client: null };
  const parsed = new UAParser(ua).getResult();
  const named = MAIL_CLIENTS.find(([pattern]) => pattern.test(ua))?.[1];
  const os = parsed.os.name ?? null;
  if (PROXIES.test(ua)) return { device_type: "proxy", os: null, email_client: named ?? null };
  const type = parsed.device.type;
  const deviceType = type === "mobile" || type === "tablet" ? type : os ? (type ? "other" : "desktop") : "unknown";
  // Apple Mail loads images with WebKit's agent and no browser token: AppleWebKit without Safari/Chrome.
  const appleMail = !named && /AppleWebKit/.test(ua) && !/Safari|Chrome|CriOS|FxiOS/.test(ua) && /Mac OS X|iPhone|iPad/.test(ua);
  return { device_type: deviceType, os, email_client: named ?? (appleMail ? "Apple Mail" : (parsed.browser.name ?? null)) };
}
