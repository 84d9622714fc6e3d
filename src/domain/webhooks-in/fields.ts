import { malformed } from "./rejection";

/** Small readers for untrusted provider JSON: a wrong type reads as absent instead of throwing. */
export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

export const objectAt = (value: unknown, key: string): Json | undefined => {
  const found = isObject(value) ? value[key] : undefined;
  return isObject(found) ? found : undefined;
};

export const stringAt = (value: unknown, key: string): string | null => {
  const found = isObject(value) ? value[key] : undefined;
  if (typeof found === "string") return found;
  return typeof found === "number" && Number.isFinite(found) ? String(found) : null;
};

export const arrayAt = (value: unknown, key: string): unknown[] => {
  const found = isObject(value) ? value[key] : undefined;
  return Array.isArray(found) ? found : [];
};

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformed("The body is not JSON");
  }
}

/** An RFC 3339 UTC time from an ISO string with any offset, or from seconds since the epoch. */
export function isoTime(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  if (typeof value !== "string" || value === "") return null;
  const asNumber = Number(value);
  const time = Number.isFinite(asNumber) && /^\d+(\.\d+)?$/.test(value) ? asNumber * 1000 : Date.parse(value);
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

/** Message ids are compared without the angle brackets some providers keep. */
export const bareMessageId = (value: string | null) => (value ? value.trim().replace(/^<|>$/g, "") || null : null);
