import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { SendError } from "../../src/domain/errors";
import { captureStoreFor } from "../../src/domain/provider-accounts/captured-messages";
import type { CaptureStore, OutgoingMessage } from "../../src/provider-clients/contract";
import { clientContext } from "../../src/provider-clients/http";
import { clientFor } from "../../src/provider-clients/registry";
import { api, createWorkspace } from "../factories/api";
import { type OutgoingMessageOptions, outgoingMessage } from "../fixtures/outgoing-message";
import { STAND_IN_CREDENTIALS as CREDS } from "../stand-ins/provider-credentials";

const db = createDb(env.DB);
const providersPath = (ws: string) => `/workspaces/${ws}/email-infrastructure/providers`;

/** A workspace with a capture provider, and a way to send through it as the engine will. */
async function captureWorkspace() {
  const { workspace, key } = await createWorkspace();
  const created = await api(providersPath(workspace.id), {
    method: "POST",
    token: key,
    body: { name: "Capture", provider_type: "capture", credentials: {} },
  });
  expect(created.status).toBe(201);
  const providerId: string = created.json.id;
  const store = captureStoreFor(db, workspace.id, providerId);
  const messagesPath = `${providersPath(workspace.id)}/${providerId}/messages`;
  return {
    workspaceId: workspace.id as string,
    key,
    providerId,
    messagesPath,
    send: (options: OutgoingMessageOptions | OutgoingMessage) =>
      sendThroughCapture("raw" in options ? options : outgoingMessage(options), store),
    get: (path = "") => api(`${messagesPath}${path}`, { token: key }),
  };
}

/** Ids sort by their millisecond; messages stored within one would list in either order. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function sendThroughCapture(message: OutgoingMessage, store: CaptureStore | null) {
  const receipt = await clientFor("capture").send(message, {}, { ...clientContext({}, 1_000), dkim: null, captureStore: store });
  return { message, receipt };
}

describe("capture provider", () => {
  it("stores the whole message and reads it back with its parts", async () => {
    const capture = await captureWorkspace();
    const { message, receipt } = await capture.send({ to: "ada@example.com", toName: "Ada Lovelace", subject: "Winter news" });
    expect(receipt).toEqual({ providerMessageId: message.messageId });

    const listed = await capture.get();
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual({
      data: [
        {
          id: expect.stringMatching(/^cmsg_/),
          provider_id: capture.providerId,
          message_id: message.messageId,
          campaign_id: message.tags.campaign_id,
          recipient_id: message.tags.recipient_id,
          from_email: "news@news.flarecast.test",
          to_email: "ada@example.com",
          subject: "Winter news",
          size_bytes: new TextEncoder().encode(message.raw).byteLength,
          created_at: expect.any(String),
        },
      ],
      next_cursor: null,
    });

    const detail = await capture.get(`/${encodeURIComponent(message.messageId)}`);
    expect(detail.status).toBe(200);
    expect(detail.json.raw).toBe(message.raw);
    expect(detail.json.parsed).toMatchObject({
      subject: "Winter news",
      from: { email: "news@news.flarecast.test", name: "Flarecast News" },
      to: [{ email: "ada@example.com", name: "Ada Lovelace" }],
      date: "2026-12-04T10:00:00.000Z",
      text: message.text,
      html: message.html,
    });
    expect(detail.json.parsed.headers).toEqual(
      expect.arrayContaining([
        { name: "List-Unsubscribe", value: message.headers["List-Unsubscribe"] },
        { name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click" },
        { name: "Message-ID", value: `<${message.messageId}>` },
      ]),
    );

    const byId = await capture.get(`/${listed.json.data[0].id}`);
    expect(byId.json).toEqual(detail.json);
  });

  it("stores a message sent twice with the same Message-ID once", async () => {
    const capture = await captureWorkspace();
    const { message } = await capture.send({ to: "twice@example.com" });
    const again = await capture.send({ ...message, subject: "a second attempt" });
    expect(again.receipt).toEqual({ providerMessageId: message.messageId });
    const listed = await capture.get();
    expect(listed.json.data.map((m: { message_id: string; subject: string }) => [m.message_id, m.subject])).toEqual([
      [message.messageId, "Winter news"],
    ]);
  });

  it("lists newest first in cursor pages, filtered by recipient or campaign", async () => {
    const capture = await captureWorkspace();
    const first = await capture.send({ to: "one@example.com", tags: { campaign_id: "cmp_a" } });
    await nextMillisecond();
    const second = await capture.send({ to: "two@example.com", tags: { campaign_id: "cmp_b" } });
    await nextMillisecond();
    const third = await capture.send({ to: "One@Example.com", tags: { campaign_id: "cmp_a" } });

    const pageOne = await capture.get("?limit=2");
    expect(pageOne.json.data.map((m: { message_id: string }) => m.message_id)).toEqual([third.message.messageId, second.message.messageId]);
    const pageTwo = await capture.get(`?limit=2&cursor=${pageOne.json.next_cursor}`);
    expect(pageTwo.json).toEqual({ data: [expect.objectContaining({ message_id: first.message.messageId })], next_cursor: null });

    const toOne = await capture.get("?to=ONE@example.com");
    expect(toOne.json.data.map((m: { message_id: string }) => m.message_id)).toEqual([third.message.messageId, first.message.messageId]);
    const campaignB = await capture.get("?campaign_id=cmp_b");
    expect(campaignB.json.data.map((m: { message_id: string }) => m.message_id)).toEqual([second.message.messageId]);

    const tampered = await capture.get("?cursor=not-a-cursor!");
    expect(tampered.status).toBe(422);
    expect(tampered.json.errors[0].path).toBe("cursor");
  });

  it("shows nothing of another workspace's messages", async () => {
    const capture = await captureWorkspace();
    const other = await captureWorkspace();
    const { message } = await capture.send({ to: "private@example.com" });
    const messagePath = `/${encodeURIComponent(message.messageId)}`;

    // The other workspace's key on this workspace's path, and this message id under the other's provider.
    const foreignKey = await api(`${capture.messagesPath}${messagePath}`, { token: other.key });
    expect(foreignKey.status).toBe(404);
    const foreignProvider = await api(`${providersPath(other.workspaceId)}/${capture.providerId}/messages`, { token: other.key });
    expect(foreignProvider.status).toBe(404);
    const foreignMessage = await other.get(messagePath);
    expect(foreignMessage.status).toBe(404);
    expect((await other.get()).json.data).toEqual([]);

    expect((await capture.get("/cmsg_00000000000000000000000000")).status).toBe(404);
  });

  it("refuses to list messages of a provider that does not store them", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(providersPath(workspace.id), {
      method: "POST",
      token: key,
      body: { name: "SendGrid", provider_type: "sendgrid", credentials: CREDS.sendgrid },
    });
    const listed = await api(`${providersPath(workspace.id)}/${created.json.id}/messages`, { token: key });
    expect(listed.status).toBe(409);
    expect(listed.json.detail).toBe("only capture providers store messages; this provider is sendgrid");
  });

  it("refuses to send without a store rather than lose the message", async () => {
    const error = await sendThroughCapture(outgoingMessage({ to: "nowhere@example.com" }), null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendError);
    expect(error).toMatchObject({ kind: "config" });
  });
});
