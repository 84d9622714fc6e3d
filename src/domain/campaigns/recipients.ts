import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type CampaignRecipient, campaignRecipients } from "../../db/schema";
import type { recipientStatuses } from "../../db/schema/enums";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { getCampaign } from "./campaigns";

export type RecipientStatus = (typeof recipientStatuses)[number];

export interface RecipientFilter {
  status?: RecipientStatus;
  /** One run of a recurring campaign. */
  run_id?: string;
}

/** A campaign's recipients in the order they were written (fan-out order), each with how its send went. */
export async function listRecipients(
  db: Database,
  workspaceId: string,
  campaignId: string,
  filter: RecipientFilter,
  limit: number,
  cursor?: string,
): Promise<Page<CampaignRecipient>> {
  await getCampaign(db, workspaceId, campaignId);
  return keysetPage(
    (after) =>
      db
        .select()
        .from(campaignRecipients)
        .where(
          and(
            eq(campaignRecipients.campaign_id, campaignId),
            filter.status ? eq(campaignRecipients.status, filter.status) : undefined,
            filter.run_id ? eq(campaignRecipients.run_id, filter.run_id) : undefined,
            after,
          ),
        ),
    { key: campaignRecipients.id, limit, cursor },
  );
}

export const getRecipient = (db: Database, workspaceId: string, campaignId: string, recipientId: string): Promise<CampaignRecipient> =>
  findInWorkspace(db, campaignRecipients, workspaceId, recipientId, "Campaign recipient", eq(campaignRecipients.campaign_id, campaignId));
