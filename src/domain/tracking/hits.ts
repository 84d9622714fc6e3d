import type { TrackingHit } from "../events/event-messages";
import { classifyHit } from "./classify";
import { type ClickClaims, type PixelClaims, TRAP_LINK_INDEX } from "./tokens";

/** What the request tells about its sender; the IP is only compared with ranges, never put in the hit. */
export interface HitRequest {
  userAgent: string | null;
  ip: string | null;
  /** The CF-IPCountry header. */
  country: string | null;
  now: Date;
}

/**
 * A country code as Cloudflare writes it (ISO 3166-1 alpha-2, or T1 for Tor); its XX (unknown) and anything else,
 * such as a value a client made up where the zone adds no header of its own, is no country.
 */
const COUNTRY_CODE = /^(?:[A-Z]{2}|T1)$/;
const countryOf = (header: string | null) => (header && header !== "XX" && COUNTRY_CODE.test(header) ? header : null);

const USER_AGENT_LIMIT = 1024;

/** The queue message for one open or click, classified by what the edge can tell alone. */
export function trackingHit(claims: PixelClaims | ClickClaims, request: HitRequest): TrackingHit {
  const click = "linkIndex" in claims;
  const trapLink = click && claims.linkIndex === TRAP_LINK_INDEX;
  const eventType = click ? "click" : "open";
  const { traffic_class, traffic_reason } = classifyHit({
    eventType,
    userAgent: request.userAgent,
    ip: request.ip,
    occurredAt: request.now,
    sentAt: claims.sentAt,
    trapLink,
  });
  return {
    kind: "tracking_hit",
    id: crypto.randomUUID(),
    workspace_id: claims.workspaceId,
    campaign_id: claims.campaignId,
    recipient_id: claims.recipientId,
    event_type: eventType,
    url: click && !trapLink ? claims.url : null,
    link_index: click ? claims.linkIndex : null,
    occurred_at: request.now.toISOString(),
    sent_at: claims.sentAt.toISOString(),
    user_agent: request.userAgent ? request.userAgent.slice(0, USER_AGENT_LIMIT) : null,
    ip_country: countryOf(request.country),
    traffic_class,
    traffic_reason,
  };
}
