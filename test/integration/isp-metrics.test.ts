import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { ispMetrics } from "../../src/db/schema";
import { healthScoreFromCounts } from "../../src/domain/reputation/health-score";
import { type DeliveryOutcome, ispScores, MIN_ISP_SENDS, recordDeliveryOutcomes } from "../../src/domain/reputation/isp-metrics";
import { newId } from "../../src/lib/ids";
import { createWorkspace } from "../factories/api";

const db = createDb(env.DB);

type Counts = Partial<Record<DeliveryOutcome["event"], number>>;

/** `counts` outcomes of each event for one target and recipient domain, at one moment. */
function outcomes(
  workspaceId: string,
  target: Pick<DeliveryOutcome, "target_type" | "target_id">,
  recipientDomain: string,
  occurredAt: string,
  counts: Counts,
) {
  return Object.entries(counts).flatMap(([event, n]) =>
    Array.from(
      { length: n },
      (_, i): DeliveryOutcome => ({
        workspace_id: workspaceId,
        ...target,
        recipient_email: `r${i}@${recipientDomain}`,
        event: event as DeliveryOutcome["event"],
        occurred_at: occurredAt,
      }),
    ),
  );
}

const rowsOf = (targetId: string) =>
  db
    .select({
      workspace_id: ispMetrics.workspace_id,
      isp: ispMetrics.isp,
      date: ispMetrics.date,
      sent: ispMetrics.sent_count,
      delivered: ispMetrics.delivered_count,
      bounced: ispMetrics.bounce_count,
      complained: ispMetrics.complaint_count,
      opened: ispMetrics.open_count,
      clicked: ispMetrics.click_count,
    })
    .from(ispMetrics)
    .where(eq(ispMetrics.target_id, targetId))
    .orderBy(ispMetrics.date, ispMetrics.isp);

describe("recordDeliveryOutcomes", () => {
  it("keeps one row per target × ISP × UTC date and adds to it on every call", async () => {
    const { workspace } = await createWorkspace();
    const target = { target_type: "domain" as const, target_id: newId("dom") };
    await recordDeliveryOutcomes(db, [
      ...outcomes(workspace.id, target, "gmail.com", "2026-11-28T10:00:00Z", { send: 3, delivery: 2, bounce: 1, open: 2, click: 1 }),
      ...outcomes(workspace.id, target, "GoogleMail.com", "2026-11-28T23:59:59.999Z", { send: 1, complaint: 1 }),
      // 23:30 in New York on the 28th is the 29th in UTC.
      ...outcomes(workspace.id, target, "hotmail.co.uk", "2026-11-28T23:30:00-05:00", { send: 2 }),
    ]);
    await recordDeliveryOutcomes(db, outcomes(workspace.id, target, "gmail.com", "2026-11-28T12:00:00Z", { send: 5, delivery: 5 }));

    const base = { workspace_id: workspace.id, bounced: 0, complained: 0, opened: 0, clicked: 0 };
    expect(await rowsOf(target.target_id)).toEqual([
      { ...base, isp: "gmail", date: "2026-11-28", sent: 9, delivered: 7, bounced: 1, complained: 1, opened: 2, clicked: 1 },
      { ...base, isp: "microsoft", date: "2026-11-29", sent: 2, delivered: 0 },
    ]);
  });

  it("writes hundreds of rows in one call, under D1's 100 bound parameters per statement", async () => {
    const { workspace } = await createWorkspace();
    const targets = Array.from({ length: 40 }, (_, i) => ({
      target_type: (i % 2 ? "ip" : "domain") as "ip" | "domain",
      target_id: newId(i % 2 ? "ip" : "dom"),
    }));
    const domains = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "example.com"];
    const all = targets.flatMap((t) =>
      domains.flatMap((d) => outcomes(workspace.id, t, d, "2026-11-28T08:00:00Z", { send: 2, delivery: 1 })),
    );
    await recordDeliveryOutcomes(db, all);
    const rows = await db
      .select({ isp: ispMetrics.isp, sent: ispMetrics.sent_count, delivered: ispMetrics.delivered_count })
      .from(ispMetrics)
      .where(eq(ispMetrics.workspace_id, workspace.id));
    expect(rows).toHaveLength(200);
    expect(rows.every((r) => r.sent === 2 && r.delivered === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.isp))).toEqual(new Set(["gmail", "microsoft", "yahoo", "apple", "other"]));
  });

  it("does not add one workspace's outcomes to another workspace's row", async () => {
    const first = await createWorkspace();
    const second = await createWorkspace();
    const target = { target_type: "domain" as const, target_id: newId("dom") };
    await recordDeliveryOutcomes(db, outcomes(first.workspace.id, target, "gmail.com", "2026-11-28T08:00:00Z", { send: 4 }));
    await recordDeliveryOutcomes(db, outcomes(second.workspace.id, target, "gmail.com", "2026-11-28T09:00:00Z", { send: 7 }));
    expect(await rowsOf(target.target_id)).toMatchObject([{ workspace_id: first.workspace.id, sent: 4 }]);
  });

  it("accepts an empty list, and refuses a timestamp it cannot read", async () => {
    await expect(recordDeliveryOutcomes(db, [])).resolves.toBeUndefined();
    const { workspace } = await createWorkspace();
    const bad = outcomes(workspace.id, { target_type: "domain", target_id: "dom_bad" }, "gmail.com", "yesterday", { send: 1 });
    await expect(recordDeliveryOutcomes(db, bad)).rejects.toThrow(/RFC 3339/);
  });
});

describe("ispScores", () => {
  it("scores each ISP with enough volume in the window, per target", async () => {
    const { workspace } = await createWorkspace();
    const domain = { target_type: "domain" as const, target_id: newId("dom") };
    const ip = { target_type: "ip" as const, target_id: newId("ip") };
    const quiet = { target_type: "domain" as const, target_id: newId("dom") };
    await recordDeliveryOutcomes(db, [
      // Split over two days in the window: the score is over the sum.
      ...outcomes(workspace.id, domain, "gmail.com", "2026-11-27T10:00:00Z", { send: 100, delivery: 98, bounce: 2, open: 20 }),
      ...outcomes(workspace.id, domain, "gmail.com", "2026-11-28T10:00:00Z", { send: 50, delivery: 49, bounce: 1, open: 5, click: 5 }),
      // Too little volume to score.
      ...outcomes(workspace.id, domain, "yahoo.com", "2026-11-28T10:00:00Z", { send: MIN_ISP_SENDS - 1, delivery: MIN_ISP_SENDS - 1 }),
      // Outside the window.
      ...outcomes(workspace.id, domain, "outlook.com", "2026-11-20T10:00:00Z", { send: 300, delivery: 300 }),
      ...outcomes(workspace.id, ip, "icloud.com", "2026-11-28T10:00:00Z", { send: MIN_ISP_SENDS, delivery: 99, complaint: 1, open: 40 }),
      // Volume, but every send still in flight: no data.
      ...outcomes(workspace.id, ip, "example.com", "2026-11-28T10:00:00Z", { send: 200 }),
    ]);

    const scores = await ispScores(db, workspace.id, [domain, ip, quiet], "2026-11-26T15:00:00Z");
    // gmail: bounce 2 % → 60, no complaint, delivery 98 % → 80, engagement 20 % → 100. apple: a complaint
    // in 99 deliveries → 0, delivery 99 % → 90, no bounce, engagement 40 % → 100.
    const expectedGmail = healthScoreFromCounts({ sent: 150, delivered: 147, bounced: 3, complained: 0, opened: 25, clicked: 5 });
    expect(expectedGmail?.score).toBe(83);
    expect(scores).toEqual(
      new Map([
        [domain.target_id, { gmail: 83 }],
        [ip.target_id, { apple: 63.5 }],
        [quiet.target_id, {}],
      ]),
    );
    expect((await ispScores(db, workspace.id, [domain], "2026-11-20")).get(domain.target_id)).toEqual({ gmail: 83, microsoft: 85 });
  });

  it("reads only the asking workspace's rows, and copes with many targets", async () => {
    const { workspace } = await createWorkspace();
    const other = await createWorkspace();
    const target = { target_type: "domain" as const, target_id: newId("dom") };
    await recordDeliveryOutcomes(
      db,
      outcomes(workspace.id, target, "gmail.com", "2026-11-28T10:00:00Z", { send: 100, delivery: 100, open: 20 }),
    );
    expect((await ispScores(db, other.workspace.id, [target], "2026-11-01")).get(target.target_id)).toEqual({});

    const many = [target, ...Array.from({ length: 250 }, () => ({ target_type: "ip" as const, target_id: newId("ip") }))];
    const scores = await ispScores(db, workspace.id, many, "2026-11-01");
    expect(scores.size).toBe(251);
    expect(scores.get(target.target_id)).toEqual({ gmail: 100 });
    const stored = await db
      .select()
      .from(ispMetrics)
      .where(and(eq(ispMetrics.workspace_id, workspace.id), eq(ispMetrics.isp, "gmail")));
    expect(stored).toHaveLength(1);
  });
});
