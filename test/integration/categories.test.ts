import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { emailCampaigns } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { api, createWorkspace } from "../factories/api";

const marketing = (ws: string, path: string) => `/workspaces/${ws}/email-marketing/${path}`;

async function workspaceWithOptOut() {
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) => api(marketing(workspace.id, path), { method, token: key, body });
  const category = await call("categories", "POST", { slug: "tips", name: "Tips" });
  const list = await call("lists", "POST", { name: "All" });
  await call(`lists/${list.json.id}/subscribers`, "POST", { subscribers: [{ email: "ada@example.com", preferences: { tips: false } }] });
  return { workspace, key, call, category: category.json };
}

const preferenceRows = async (categoryId: string) =>
  (
    await env.DB.prepare("select count(*) as n from subscriber_category_preferences where category_id = ?")
      .bind(categoryId)
      .first<{ n: number }>()
  )?.n;

describe("categories: change and remove", () => {
  it("renames and describes a category, but its slug stays", async () => {
    const { call, category } = await workspaceWithOptOut();
    const patched = await call(`categories/${category.id}`, "PATCH", { name: "Tips & tricks", description: "Weekly" });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ id: category.id, slug: "tips", name: "Tips & tricks", description: "Weekly" });
    const reslug = await call(`categories/${category.id}`, "PATCH", { slug: "hints" });
    expect(reslug.status).toBe(422);
    const empty = await call(`categories/${category.id}`, "PATCH", { name: " " });
    expect(empty.status).toBe(422);
    expect(empty.json.errors[0].path).toBe("name");
    expect((await call(`categories/cat_nope`, "PATCH", { name: "x" })).status).toBe(404);
  });

  it("deletes a category with its subscribers' preferences, unless an unfinished campaign names it (409)", async () => {
    const { workspace, call, category } = await workspaceWithOptOut();
    expect(await preferenceRows(category.id)).toBe(1);
    const campaign = newId("cmp");
    await createDb(env.DB)
      .insert(emailCampaigns)
      .values({ id: campaign, workspace_id: workspace.id, name: "Tips #1", status: "scheduled", category_slug: "tips" });
    const refused = await call(`categories/${category.id}`, "DELETE");
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain(campaign);
    expect(await preferenceRows(category.id)).toBe(1);

    const other = await createWorkspace();
    expect((await api(marketing(other.workspace.id, `categories/${category.id}`), { method: "DELETE", token: other.key })).status).toBe(
      404,
    );
    expect(
      (await api(marketing(other.workspace.id, `categories/${category.id}`), { method: "PATCH", token: other.key, body: { name: "x" } }))
        .status,
    ).toBe(404);

    await env.DB.prepare("update email_campaigns set status = 'sent' where id = ?").bind(campaign).run();
    expect((await call(`categories/${category.id}`, "DELETE")).status).toBe(204);
    expect(await preferenceRows(category.id)).toBe(0);
    expect((await call("categories")).json.data).toEqual([]);
    expect((await call("categories", "POST", { slug: "tips", name: "Tips again" })).status).toBe(201);
  });

  it("the category list is a cursor page like every other list", async () => {
    const { workspace, key } = await createWorkspace();
    await api(marketing(workspace.id, "categories"), { method: "POST", token: key, body: { name: "News", slug: "news" } });
    const res = await api(marketing(workspace.id, "categories"), { token: key });
    expect(res.status).toBe(200);
    expect(res.json).toHaveProperty("next_cursor");

    await api(marketing(workspace.id, "categories"), { method: "POST", token: key, body: { name: "Alerts", slug: "alerts" } });
    const first = await api(marketing(workspace.id, "categories?limit=1"), { token: key });
    expect(first.json.data.map((c: { slug: string }) => c.slug)).toEqual(["alerts"]);
    const second = await api(marketing(workspace.id, `categories?limit=1&cursor=${first.json.next_cursor}`), { token: key });
    expect(second.json).toMatchObject({ data: [{ slug: "news" }], next_cursor: null });
  });
});
