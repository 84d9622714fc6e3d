import { sql } from "drizzle-orm";
import type { Database } from "../../db/client";

/**
 * What sends through a campaign besides its own runs: onboarding flows whose current version, or a version users are
 * still running, has an email step on it, and automation rules with a `send_campaign` action for it. Deleting the
 * campaign, or making it something other than a triggered campaign, would make those steps and actions fail.
 */
export async function campaignUsers(db: Database, workspaceId: string, campaignId: string): Promise<string[]> {
  const rows = await db.all<{ kind: string; name: string }>(sql`
    select distinct 'onboarding flow' as kind, f.slug as name
    from onboarding_flows f
    join onboarding_flow_versions v on v.flow_id = f.id
    join json_each(v.steps) step
    where f.workspace_id = ${workspaceId}
      and json_extract(step.value, '$.campaign_id') = ${campaignId}
      and (v.version = f.version or exists (
        select 1 from user_onboarding_progress p where p.flow_id = f.id and p.flow_version = v.version and p.status = 'active'
      ))
    union
    select distinct 'rule' as kind, r.name
    from automation_rules r
    join json_each(r.actions) action
    where r.workspace_id = ${workspaceId} and json_extract(action.value, '$.campaign_id') = ${campaignId}
    order by kind, name`);
  return rows.map((row) => `${row.kind} ${row.name}`);
}

export const usedBy = (users: string[]) => `it is sent by ${users.join(", ")}; take it out of them first`;
