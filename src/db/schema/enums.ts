// Enum values are the spec's names in lowercase snake_case; zod schemas and the OpenAPI document reuse these arrays.

export const templateCategories = ["general", "marketing", "onboarding", "release", "transactional", "newsletter"] as const;
export const templateTypes = ["code", "visual"] as const;

export const campaignTypes = ["one_time", "recurring", "triggered"] as const;
export const campaignStatuses = ["draft", "scheduled", "sending", "sent", "paused", "cancelled"] as const;
export const campaignRunStatuses = ["sending", "paused", "sent", "cancelled"] as const;
export const recipientStatuses = [
  "pending",
  "sending",
  "sent",
  "delivered",
  "opened",
  "clicked",
  "bounced",
  "complained",
  "unsubscribed",
  "failed",
  // The provider may have accepted the message but its answer was lost: never resent automatically.
  "unknown",
] as const;

export const subscriberStatuses = ["active", "unsubscribed", "bounced", "complained"] as const;
export const subscriptionFrequencies = ["immediate", "daily", "weekly", "monthly"] as const;
export const unsubscribeSources = ["link", "preference_center", "api", "complaint", "bounce"] as const;
export const subscriptionChangeActions = ["unsubscribed", "resubscribed", "preferences_updated"] as const;
export const suppressionReasons = ["manual", "unsubscribed", "bounced", "complained", "erased"] as const;

export const providerTypes = ["ses", "sendgrid", "mailgun", "postmark", "smtp", "capture"] as const;
export const providerCheckStatuses = ["ok", "failed"] as const;
export const domainStatuses = ["pending", "verifying", "verified", "failed", "paused", "warming", "active"] as const;
export const warmingStatuses = ["not_started", "warming", "paused", "completed"] as const;
export const healthStatuses = ["excellent", "good", "fair", "poor", "critical"] as const;
export const routingStrategies = ["round_robin", "weighted", "priority"] as const;
export const poolMemberTypes = ["domain", "ip"] as const;
export const warmingTargetTypes = ["domain", "ip"] as const;

export const eventTypes = [
  "send",
  "delivery",
  "bounce",
  "complaint",
  "reject",
  "open",
  "click",
  "unsubscribe",
  "rendering_failure",
  "delivery_delay",
] as const;
export const bounceTypes = ["hard_bounce", "soft_bounce", "undetermined"] as const;
/** Who opened or clicked: a person, a mail provider's image proxy (Apple MPP, Gmail, Yahoo, Outlook), or a machine. */
export const trafficClasses = ["human", "proxy", "bot"] as const;
export const webhookDeliveryStatuses = ["pending", "succeeded", "failed"] as const;

/** `stopped`: the flow itself ended it early (a milestone timed out with `stop`, the user unsubscribed). */
export const onboardingProgressStatuses = ["active", "completed", "stopped", "cancelled"] as const;
export const onboardingStepOutcomes = ["sent", "skipped", "failed", "waited", "reached", "timed_out", "branched"] as const;
/** The CRM triggers the spec names; rules and events also accept custom types. */
export const automationTriggers = [
  "user.first_login",
  "user.profile_completed",
  "user.integration_connected",
  "user.milestone_reached",
  "release.published",
] as const;

export const automationEventStatuses = ["received", "processed", "failed"] as const;
export const automationRuleRunOutcomes = ["fired", "skipped", "failed"] as const;

export const alertSeverities = ["info", "warning", "critical"] as const;
export const jobRunStatuses = ["running", "succeeded", "failed"] as const;
export const jobTriggers = ["cron", "manual"] as const;
