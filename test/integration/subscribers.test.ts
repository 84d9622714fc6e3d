import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createWorkspace } from "../factories/api";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

async function workspace() {
  const { workspace, key } = await createWorkspace();
  const call = (path: string, method = "GET", body?: unknown) =>
    api(`/workspaces/${workspace.id}/email-marketing${path}`, { method, token: key, body });
  return { workspace, key, call };
}

async function subscriberIn(w: Awaited<ReturnType<typeof workspace>>, email: string) {
  const { json: list } = await w.call("/lists", "POST", { name: "Newsletter" });
  await w.call(`/lists/${list.id}/subscribers`, "POST", { subscribers: [{ email, name: "Ada" }] });
  return (await w.call(`/subscribers?email=${encodeURIComponent(email)}`)).json.data[0];
}

/** The link's path, checked to be on the public base URL. */
function pathOf(link: string) {
  expect(link.startsWith(`${env.PUBLIC_BASE_URL.replace(/\/+$/, "")}/preferences/`)).toBe(true);
  return new URL(link).pathname;
}

describe("subscriber links", () => {
  it("carries a preference page link that opens the page and a one-click link that unsubscribes", async () => {
    const w = await workspace();
    const listed = await subscriberIn(w, "ada@example.com");
    const got = (await w.call(`/subscribers/${listed.id}`)).json;
    const patched = (await w.call(`/subscribers/${listed.id}`, "PATCH", { name: "Ada L." })).json;
    for (const s of [listed, got, patched]) {
      expect(s.preferences_url).toBe(got.preferences_url);
      expect(s.unsubscribe_url).toBe(got.unsubscribe_url);
    }
    expect(got.unsubscribe_url).toBe(`${got.preferences_url}/unsubscribe`);

    const page = await api(pathOf(got.preferences_url), { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.text).toContain("Email preferences");
    expect(page.text).toContain(`action="${pathOf(got.unsubscribe_url)}"`);
    expect((await w.call(`/subscribers/${listed.id}`)).json.status).toBe("active");

    const unsubscribed = await api(pathOf(got.unsubscribe_url), { method: "POST", headers: FORM, rawBody: "List-Unsubscribe=One-Click" });
    expect(unsubscribed.status).toBe(200);
    expect((await w.call(`/subscribers/${listed.id}`)).json).toMatchObject({ status: "unsubscribed", unsubscribe_source: "link" });
  });
});
