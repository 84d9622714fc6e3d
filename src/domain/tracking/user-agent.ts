export interface UserAgentDescription {
  device_type: string;
  os: string;
  email_client: string;
}

/** Device, OS and mail client of a tracking hit (the edge-tracking work parses the agent; until then all unknown). */
export function describeUserAgent(_ua: string | null): UserAgentDescription {
  return { device_type: "unknown", os: "unknown", email_client: "unknown" };
}
