import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EventMessageSchema, type ProviderEvent } from "../../src/domain/events/event-messages";
import { api, createWorkspace } from "../factories/api";
import { mailgunSignature, selfSignedCertificate, sendgridKeyPair, signedSnsMessage } from "../factories/provider-webhooks-signing";
import sendgridEvents from "../fixtures/providers/fixture-sendgrid-events.json";
import sesBounce from "../fixtures/providers/fixture-ses-event-bounce.json";
import { STAND_IN_CREDENTIALS as CREDS } from "../stand-ins/provider-credentials";

const standIn = (provider: string) => `${env.TEST_PROVIDER_HTTP_URL}/${provider}`;
const CERT_HOST = "sns-stand-in.flarecast.test";

let queued: ProviderEvent[] = [];
let sendBatch: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  queued = [];
  sendBatch = vi.spyOn(env.EVENT_QUEUE, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages) {
      expect(m.contentType).toBe("json");
      // What the event consumer will parse: every message must be a valid EVENT_QUEUE message.
      queued.push(EventMessageSchema.parse(structuredClone(m.body)) as ProviderEvent);
    }
    return { metadata: { metrics: { backlogCount: queued.length, backlogBytes: 0 } } };
  });
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

async function createProvider(type: "ses" | "sendgrid" | "mailgun" | "postmark", signingKey: string | null) {
  const { workspace, key } = await createWorkspace();
  const res = await api(`/workspaces/${workspace.id}/email-infrastructure/providers`, {
    method: "POST",
    token: key,
    body: {
      name: `${type} webhooks`,
      provider_type: type,
      credentials: CREDS[type],
      settings: { base_url: standIn(type), ...(signingKey ? { webhook_signing_key: signingKey } : {}) },
    },
  });
  if (res.status !== 201) throw new Error(`provider creation failed: ${res.status} ${res.text}`);
  return { workspaceId: workspace.id as string, providerId: res.json.id as string, webhookUrl: res.json.webhook_url as string };
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  api(path, { method: "POST", rawBody: body, headers: { "content-type": "application/json", ...headers } });

/** An SNS notification carrying the SES bounce fixture with these message tags. */
function sesBounceNotification(tags: Record<string, string[]>) {
  const tagged = structuredClone(sesBounce);
  Object.assign(tagged.mail.tags, tags);
  return {
    Type: "Notification",
    MessageId: crypto.randomUUID(),
    TopicArn: "arn:aws:sns:us-east-1:123456789012:ses-events",
    Message: JSON.stringify(tagged),
    Timestamp: new Date().toISOString(),
  };
}

describe("provider webhooks, end to end", () => {
  it("SendGrid: a signed batch is queued with the provider's workspace; unsigned, tampered or foreign-keyed is 401 and queues nothing", async () => {
    const signer = await sendgridKeyPair();
    const { workspaceId, providerId, webhookUrl } = await createProvider("sendgrid", signer.publicKey);
    const path = `/webhooks/email/sendgrid/${providerId}`;
    expect(new URL(webhookUrl).pathname).toBe(path);
    const body = JSON.stringify([
      { ...sendgridEvents[2], campaign_id: "cmp_1", recipient_id: "rcp_1", workspace_id: workspaceId },
      { ...sendgridEvents[5], campaign_id: "cmp_2", recipient_id: "rcp_2", workspace_id: "ws_someone_else" },
      { ...sendgridEvents[0], event: "group_resubscribe" },
    ]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = await signer.sign(timestamp, body);
    const signed = {
      "x-twilio-email-event-webhook-signature": signature,
      "x-twilio-email-event-webhook-timestamp": timestamp,
    };

    for (const headers of [{}, { ...signed, "x-twilio-email-event-webhook-timestamp": String(Number(timestamp) + 1) }]) {
      const refused = await post(path, body, headers);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await post(path, body.replace("250 OK", "251 OK"), signed)).status).toBe(401);
    const otherSigner = await sendgridKeyPair();
    expect(
      (await post(path, body, { ...signed, "x-twilio-email-event-webhook-signature": await otherSigner.sign(timestamp, body) })).status,
    ).toBe(401);
    expect(sendBatch).not.toHaveBeenCalled();

    const accepted = await post(path, body, signed);
    expect(accepted.status).toBe(200);
    expect(accepted.json).toEqual({ received: 2, ignored: 1 });
    expect(
      queued.map((e) => [e.kind, e.workspace_id, e.provider_id, e.provider_type, e.event_type, e.campaign_id, e.recipient_id]),
    ).toEqual([
      ["provider_event", workspaceId, providerId, "sendgrid", "delivery", "cmp_1", "rcp_1"],
      // Tagged with another workspace: its ids are not trusted, the cascade matches by message id instead.
      ["provider_event", workspaceId, providerId, "sendgrid", "bounce", null, null],
    ]);
    expect(queued[1].provider_message_id).toBe("14c5d75ce93.dfd.64b469");
  });

  it("SendGrid: a signed body that is not an event array is 400", async () => {
    const signer = await sendgridKeyPair();
    const { providerId } = await createProvider("sendgrid", signer.publicKey);
    const body = '{"not":"an array"}';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await post(`/webhooks/email/sendgrid/${providerId}`, body, {
      "x-twilio-email-event-webhook-signature": await signer.sign(timestamp, body),
      "x-twilio-email-event-webhook-timestamp": timestamp,
    });
    expect(res.status).toBe(400);
    expect(sendBatch).not.toHaveBeenCalled();
  });

  it("Mailgun: a fresh signed event is queued once; its replay and a stale one are 401", async () => {
    const signingKey = "mailgun-http-webhook-signing-key";
    const { providerId } = await createProvider("mailgun", signingKey);
    const path = `/webhooks/email/mailgun/${providerId}`;
    const signedBody = async (timestamp: string, token: string) =>
      JSON.stringify({
        signature: { timestamp, token, signature: await mailgunSignature(signingKey, timestamp, token) },
        "event-data": {
          event: "delivered",
          id: `ev-${token}`,
          timestamp: Number(timestamp),
          recipient: "joan@example.com",
          message: { headers: { "message-id": "20180622211249.1.2A6098970A380E12@example.org" } },
          "user-variables": { campaign_id: "cmp_1", recipient_id: "rcp_1" },
        },
      });
    const now = String(Math.floor(Date.now() / 1000));
    const body = await signedBody(now, crypto.randomUUID().replaceAll("-", ""));
    expect((await post(path, body)).json).toEqual({ received: 1, ignored: 0 });
    expect((await post(path, body)).status).toBe(401);
    const stale = await signedBody(String(Number(now) - 16 * 60), crypto.randomUUID().replaceAll("-", ""));
    expect((await post(path, stale)).status).toBe(401);
    expect((await post(path, body.replace("cmp_1", "cmp_9"))).status).toBe(401);
    expect(queued.map((e) => [e.event_type, e.campaign_id, e.provider_message_id])).toEqual([
      ["delivery", "cmp_1", "20180622211249.1.2A6098970A380E12@example.org"],
    ]);

    // A request whose events could not be queued does not use up its token: Mailgun's retry is accepted.
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const retried = await signedBody(now, crypto.randomUUID().replaceAll("-", ""));
    sendBatch.mockRejectedValueOnce(new Error("queue unavailable"));
    expect((await post(path, retried)).status).toBe(500);
    expect((await post(path, retried)).status).toBe(200);
    expect((await post(path, retried)).status).toBe(401);
  });

  it("Postmark: Basic credentials or the secret header; wrong credentials are 401", async () => {
    const { providerId } = await createProvider("postmark", "hooks:correct-horse");
    const path = `/webhooks/email/postmark/${providerId}`;
    const record = JSON.stringify({
      RecordType: "Delivery",
      ServerID: 23,
      MessageID: "883953f4-6105-42a2-a16a-77a8eac79483",
      Recipient: "recipient@example.com",
      Metadata: { campaign_id: "cmp_1", recipient_id: "rcp_1" },
      DeliveredAt: "2014-08-01T13:28:10.2735393-04:00",
    });
    expect((await post(path, record, { authorization: `Basic ${btoa("hooks:wrong")}` })).status).toBe(401);
    expect((await post(path, record)).status).toBe(401);
    expect((await post(path, record, { authorization: `Basic ${btoa("hooks:correct-horse")}` })).status).toBe(200);
    expect((await post(path, record, { "x-flarecast-webhook-secret": "hooks:correct-horse" })).status).toBe(200);
    expect((await post(path, "{not json", { "x-flarecast-webhook-secret": "hooks:correct-horse" })).status).toBe(400);
    expect(queued.map((e) => [e.event_type, e.recipient_id])).toEqual([
      ["delivery", "rcp_1"],
      ["delivery", "rcp_1"],
    ]);
  });

  it("SES: an SNS notification posted as text/plain, signed with a certificate on the trusted stand-in host, is queued", async () => {
    const { workspaceId, providerId } = await createProvider("ses", null);
    const certificate = await selfSignedCertificate();
    const certUrl = `https://${CERT_HOST}/SimpleNotificationService-${crypto.randomUUID()}.pem`;
    const realFetch = globalThis.fetch;
    const fetchSpy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async (input, init) => (String(input) === certUrl ? new Response(certificate.pem) : realFetch(input, init)));
    const fields = sesBounceNotification({ campaign_id: ["cmp_1"], recipient_id: ["rcp_1"], workspace_id: [workspaceId] });
    const path = `/webhooks/email/ses/${providerId}`;
    const asText = { "content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification" };

    const foreign = await signedSnsMessage(certificate, "https://sns.evil.example/cert.pem", fields);
    expect((await post(path, JSON.stringify(foreign), asText)).status).toBe(401);
    const signed = await signedSnsMessage(certificate, certUrl, fields);
    expect(
      (await post(path, JSON.stringify({ ...signed, Message: signed.Message.replace("Permanent", "Transient") }), asText)).status,
    ).toBe(401);
    expect(sendBatch).not.toHaveBeenCalled();

    const res = await post(path, JSON.stringify(signed), asText);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ received: 1, ignored: 0 });
    expect(queued.map((e) => [e.provider_type, e.workspace_id, e.event_type, e.bounce_type, e.campaign_id, e.recipient_id])).toEqual([
      ["ses", workspaceId, "bounce", "hard_bounce", "cmp_1", "rcp_1"],
    ]);
    expect(fetchSpy.mock.calls.filter(([input]) => String(input) === certUrl)).toHaveLength(1);
  });

  it("SES: a certificate host that does not answer gets a 503, so SNS delivers again, and nothing is queued", async () => {
    const { workspaceId, providerId } = await createProvider("ses", null);
    const certificate = await selfSignedCertificate();
    const certUrl = `https://${CERT_HOST}/SimpleNotificationService-${crypto.randomUUID()}.pem`;
    const realFetch = globalThis.fetch;
    let hostUp = false;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (String(input) !== certUrl) return realFetch(input, init);
      return hostUp ? new Response(certificate.pem) : new Response("", { status: 502 });
    });
    const signed = await signedSnsMessage(certificate, certUrl, sesBounceNotification({ workspace_id: [workspaceId] }));
    const path = `/webhooks/email/ses/${providerId}`;
    const down = await post(path, JSON.stringify(signed), { "content-type": "text/plain; charset=UTF-8" });
    expect(down.status).toBe(503);
    expect(down.json).toMatchObject({ type: "urn:flarecast:problem:unavailable", detail: expect.stringMatching(/again later/) });
    expect(sendBatch).not.toHaveBeenCalled();
    hostUp = true;
    expect((await post(path, JSON.stringify(signed), { "content-type": "text/plain; charset=UTF-8" })).status).toBe(200);
    expect(queued).toHaveLength(1);
  });

  it("an unknown provider id, another type's id or a provider that sends no events is 404", async () => {
    const { providerId } = await createProvider("postmark", "hooks:correct-horse");
    const headers = { "x-flarecast-webhook-secret": "hooks:correct-horse" };
    for (const path of [
      "/webhooks/email/postmark/prv_does_not_exist",
      `/webhooks/email/mailgun/${providerId}`,
      `/webhooks/email/smtp/${providerId}`,
    ]) {
      const res = await post(path, "{}", headers);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    expect(sendBatch).not.toHaveBeenCalled();
  });

  it("a megabyte-scale body is refused with 413 problem+json, never a 5xx", async () => {
    const { providerId } = await createProvider("postmark", "hooks:correct-horse");
    const huge = `[${"1,".repeat(1024 * 1024)}1]`;
    const res = await post(`/webhooks/email/postmark/${providerId}`, huge, { "x-flarecast-webhook-secret": "hooks:correct-horse" });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const nested = await post(`/webhooks/email/postmark/${providerId}`, deep, { "x-flarecast-webhook-secret": "hooks:correct-horse" });
    expect(nested.status).toBe(400);
    expect(sendBatch).not.toHaveBeenCalled();
  });
});
