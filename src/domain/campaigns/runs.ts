import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type CampaignRun, campaignRuns } from "../../db/schema";
import { findInWorkspace } from "../../lib/lookups";
import { keysetPage, type Page } from "../../lib/pagination";
import { getCampaign } from "./campaigns";

/** A campaign's runs, newest first: a one-time campaign has at most one, a recurring one one per occurrence. */
export async function listRuns(
  db: Database,
  workspaceId: string,
  campaignId: string,
  limit: number,
  cursor?: string,
): Promise<Page<CampaignRun>> {
  await getCampaign(db, workspaceId, campaignId);
  return keysetPage(
    (after) =>
      db
        .select()
        .from(campaignRuns)
        .where(and(eq(campaignRuns.campaign_id, campaignId), after)),
    { key: campaignRuns.id, order: "desc", limit, cursor },
  );
}

export const getRun = (db: Database, workspaceId: string, campaignId: string, runId: string): Promise<CampaignRun> =>
  findInWorkspace(db, campaignRuns, workspaceId, runId, "Campaign run", eq(campaignRuns.campaign_id, campaignId));
