import { packFields, type SigningKeys, signToken, unpackFields, verifyToken, verifyTokenNow } from "../../lib/signing";

/**
 * What a tracking token binds: whose message it is and when it was composed. Ids only, no address or name, so a
 * token read by anyone (it is signed, not encrypted) reveals nothing personal and cannot be made for another id.
 */
export interface TrackedMessage {
  workspaceId: string;
  campaignId: string;
  recipientId: string;
  sentAt: Date;
}

export type PixelClaims = TrackedMessage;

export interface ClickClaims extends TrackedMessage {
  linkIndex: number;
  /** The original URL; empty for the trap link. */
  url: string;
}

/** The hidden trap link's index: no real link has it, so a click on it can only be a machine following every link. */
export const TRAP_LINK_INDEX = -1;

const messageFields = (m: TrackedMessage) => [m.workspaceId, m.campaignId, m.recipientId, String(Math.floor(m.sentAt.getTime() / 1000))];

export function signPixelToken(keys: SigningKeys, message: TrackedMessage): Promise<string> {
  return signToken(keys, "open-pixel", packFields(messageFields(message)));
}

export function signClickToken(keys: SigningKeys, message: TrackedMessage, linkIndex: number, url: string): Promise<string> {
  return signToken(keys, "click-link", packFields([...messageFields(message), String(linkIndex), url]));
}

const INTEGER = /^-?\d{1,15}$/;

function readMessage(fields: string[]): TrackedMessage | null {
  const [workspaceId, campaignId, recipientId, sentAtSeconds] = fields;
  if (!workspaceId || !campaignId || !recipientId || !INTEGER.test(sentAtSeconds)) return null;
  return { workspaceId, campaignId, recipientId, sentAt: new Date(Number(sentAtSeconds) * 1000) };
}

function pixelClaims(payload: Uint8Array | null): PixelClaims | null {
  const fields = payload && unpackFields(payload, 4);
  return fields ? readMessage(fields) : null;
}

/** The claims of a pixel token, or null for anything `signPixelToken` did not make with a known key. */
export async function readPixelToken(keys: SigningKeys, token: string): Promise<PixelClaims | null> {
  return pixelClaims(await verifyToken(keys, "open-pixel", token));
}

/** `readPixelToken` without waiting, once the keys are loaded; undefined until then (see `verifyTokenNow`). */
export function readPixelTokenNow(keys: SigningKeys, token: string): PixelClaims | null | undefined {
  const payload = verifyTokenNow(keys, "open-pixel", token);
  return payload === undefined ? undefined : pixelClaims(payload);
}

/** The claims of a click token, or null for anything `signClickToken` did not make with a known key. */
export async function readClickToken(keys: SigningKeys, token: string): Promise<ClickClaims | null> {
  const payload = await verifyToken(keys, "click-link", token);
  const fields = payload && unpackFields(payload, 6);
  if (!fields || !INTEGER.test(fields[4])) return null;
  const message = readMessage(fields);
  return message && { ...message, linkIndex: Number(fields[4]), url: fields[5] };
}
