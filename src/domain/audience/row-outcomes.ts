/**
 * Why a row of a bulk upsert or CSV import was not imported is a reason: a code, then `: ` and details when
 * there are any. A row is either skipped on purpose (these codes) or invalid (any other code).
 */
export const SKIPPED_REASONS = ["duplicate", "suppressed", "erased", "status_unsubscribed", "status_bounced", "status_complained"] as const;

export const suppressionReason = (reason: string) => (reason === "erased" ? "erased" : `suppressed: ${reason}`);

export const duplicateOf = (first: number) => `duplicate: same address as row ${first}`;
