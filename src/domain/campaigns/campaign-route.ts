import type { EmailCampaign } from "../../db/schema";
import type { RoutingState } from "../routing/route-loader";
import { chooseRoute } from "../routing/router";
import type { RoutingDecision } from "../routing/types";

export interface CampaignRouteRequest {
  email: string;
  /** The recipient's ordinal in its batch: drives round robin. */
  sequence: number;
  excludeProviderIds?: string[];
  /** A campaign run's recipient (not a triggered send): marketing-paused domains are skipped. */
  marketing?: boolean;
  /** Pretend no domain, IP or provider is at its cap: tells "full for now" apart from "cannot be routed". */
  ignoreCaps?: boolean;
}

/**
 * The route of one recipient of a campaign: the campaign's own routing_config over its pool's, its pinned
 * identity if any. When every usable provider is the local capture provider, domains need not be verified:
 * nothing leaves the machine.
 */
export function routeForCampaign(
  state: RoutingState,
  campaign: Pick<EmailCampaign, "routing_config" | "sending_identity_id">,
  request: CampaignRouteRequest,
): RoutingDecision {
  const config = campaign.routing_config ?? state.config;
  const providers = request.ignoreCaps
    ? state.providers.map((p) => ({ ...p, remaining_today: null, remaining_this_second: null }))
    : state.providers;
  const domains = request.ignoreCaps
    ? state.domains.map((d) => ({
        ...d,
        remaining_today: null,
        dedicated_ip: d.dedicated_ip ? { ...d.dedicated_ip, remaining_today: null } : d.dedicated_ip,
      }))
    : state.domains;
  const usable = providers.filter((p) => p.healthy);
  return chooseRoute(domains, providers, {
    recipient_email: request.email,
    strategy: config.strategy,
    preferred_providers: config.preferred_providers,
    fallback_enabled: config.fallback_enabled ?? true,
    sending_identity_id: campaign.sending_identity_id,
    sequence: request.sequence,
    exclude_provider_ids: request.excludeProviderIds,
    marketing: request.marketing,
    verification_not_required: usable.length > 0 && usable.every((p) => p.provider_type === "capture"),
  });
}
