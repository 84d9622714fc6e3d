/** What the router weighs and what it answers: shared by the router, its strategies and the loader that feeds it. */
import type { Isp } from "../reputation/isp";

export interface SendingIdentityCandidate {
  identity_id: string;
  email: string;
  is_default: boolean;
}

export interface DomainCandidate {
  domain_id: string;
  domain: string;
  status: "pending" | "verifying" | "verified" | "failed" | "paused" | "warming" | "active";
  warming_status: "not_started" | "warming" | "paused" | "completed";
  health_score: number | null;
  /** Sends left today under DomainThrottle; null = uncapped. */
  remaining_today: number | null;
  weight: number;
  priority: number;
  identities: SendingIdentityCandidate[];
  isp_scores: Partial<Record<Isp, number>>;
  /** The complaint-rate guard paused marketing from this domain: campaign runs skip it, triggered sends do not. */
  marketing_paused?: boolean;
  dedicated_ip?: { ip_id: string; remaining_today: number | null; paused: boolean } | null;
}

export interface ProviderCandidate {
  provider_id: string;
  provider_type: string;
  priority: number;
  is_default: boolean;
  /** False when the last probe failed or sends failed recently. */
  healthy: boolean;
  remaining_today: number | null;
  remaining_this_second: number | null;
}

export interface RoutingRequest {
  recipient_email: string;
  strategy: "round_robin" | "weighted" | "priority";
  /** Provider ids or provider types, most preferred first. */
  preferred_providers?: string[];
  fallback_enabled: boolean;
  sending_identity_id?: string | null;
  /** The recipient's ordinal within the send: drives round robin deterministically. */
  sequence: number;
  /** [0,1) source for the weighted draw; Math.random when absent. */
  random?: () => number;
  /** Providers and domains that already failed for this recipient (failover). */
  exclude_provider_ids?: string[];
  exclude_domain_ids?: string[];
  /** A campaign run's send (marketing), which marketing-paused domains do not carry; triggered sends are not. */
  marketing?: boolean;
  /**
   * True when every provider that could carry the mail is the local capture provider: nothing leaves the
   * machine, so a domain need not be verified to be chosen.
   */
  verification_not_required?: boolean;
}

export interface RouteChoice {
  domain_id: string;
  identity_id: string;
  provider_id: string;
}

export type RoutingDecision =
  | {
      ok: true;
      domain_id: string;
      identity_id: string;
      provider_id: string;
      ip_id: string | null;
      isp: Isp;
      reasons: string[];
      /** The next choices, in order, for failover; empty with fallback disabled. */
      fallbacks: RouteChoice[];
    }
  | { ok: false; reasons: string[] };
