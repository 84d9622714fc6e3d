import { describe, expect, it, vi } from "vitest";
import type { ProviderEvent } from "../../src/domain/events/event-messages";
import { ecdsaDerToRaw, pemCertificateToDer, readCertificate } from "../../src/domain/webhooks-in/der";
import { normalizeMailgunEvent, receiveMailgunWebhook, verifyMailgunSignature } from "../../src/domain/webhooks-in/mailgun";
import { normalizePostmarkRecord, verifyPostmarkCredentials } from "../../src/domain/webhooks-in/postmark";
import { enqueueProviderEvents, toProviderEvents } from "../../src/domain/webhooks-in/receive";
import { WebhookRejected } from "../../src/domain/webhooks-in/rejection";
import { normalizeSendgridEvents, verifySendgridSignature } from "../../src/domain/webhooks-in/sendgrid";
import { normalizeSesEvent } from "../../src/domain/webhooks-in/ses";
import { receiveSesWebhook, snsStringToSign, verifySnsEnvelope } from "../../src/domain/webhooks-in/sns";
import type { WebhookContext } from "../../src/provider-clients/contract";
import { mailgunSignature, selfSignedCertificate, sendgridKeyPair, signedSnsMessage } from "../factories/provider-webhooks-signing";
import sendgridEvents from "../fixtures/providers/fixture-sendgrid-events.json";
import sesBounce from "../fixtures/providers/fixture-ses-event-bounce.json";
import sesClick from "../fixtures/providers/fixture-ses-event-click.json";
import sesComplaint from "../fixtures/providers/fixture-ses-event-complaint.json";
import sesDelay from "../fixtures/providers/fixture-ses-event-delayed-delivery.json";
import sesDelivery from "../fixtures/providers/fixture-ses-event-delivery.json";
import sesFailure from "../fixtures/providers/fixture-ses-event-failure.json";
import sesOpen from "../fixtures/providers/fixture-ses-event-open.json";
import sesReject from "../fixtures/providers/fixture-ses-event-reject.json";
import sesSend from "../fixtures/providers/fixture-ses-event-send.json";
import sesSubscription from "../fixtures/providers/fixture-ses-event-subscription.json";
import notifBounceNoDsn from "../fixtures/providers/fixture-ses-notif-bounce-no-dsn.json";
import notifBounceDsn from "../fixtures/providers/fixture-ses-notif-bounce-with-dsn.json";
import notifComplaintNoFeedback from "../fixtures/providers/fixture-ses-notif-complaint-no-feedback.json";
import notifComplaintFeedback from "../fixtures/providers/fixture-ses-notif-complaint-with-feedback.json";
import notifDelivery from "../fixtures/providers/fixture-ses-notif-delivery.json";
import snsUnsigned from "../fixtures/providers/fixture-sns-notification-unsigned.json";

const SES_ID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000";
const pick = (events: { event_type: string; bounce_type: string | null; recipient_email: string | null; reason: string | null }[]) =>
  events.map(({ event_type, bounce_type, recipient_email, reason }) => ({ event_type, bounce_type, recipient_email, reason }));

const rejection = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WebhookRejected);
  return err as WebhookRejected;
};

describe("SES normalization (both shapes)", () => {
  it.each([
    [sesSend, "send", null, "recipient@example.com", null, `send:${SES_ID}`],
    [sesReject, "reject", null, "sender@example.com", "Bad content", `reject:${SES_ID}`],
    [
      sesBounce,
      "bounce",
      "hard_bounce",
      "recipient@example.com",
      "smtp; 550 5.1.1 user unknown",
      `bounce:01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000:recipient@example.com`,
    ],
    [
      sesComplaint,
      "complaint",
      null,
      "recipient@example.com",
      "abuse",
      "complaint:01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000:recipient@example.com",
    ],
    [sesDelivery, "delivery", null, "recipient@example.com", null, `delivery:${SES_ID}:recipient@example.com`],
    [
      sesFailure,
      "rendering_failure",
      null,
      "recipient@example.com",
      "Attribute 'attributeName' is not present in the rendering data.",
      `rendering_failure:${SES_ID}`,
    ],
    [
      sesDelay,
      "delivery_delay",
      null,
      "recipient@example.com",
      "smtp; 421 4.4.1 Unable to connect to remote host",
      `delivery_delay:${SES_ID}:2020-06-16T00:25:40.095Z:recipient@example.com`,
    ],
    [sesOpen, "open", null, "recipient@example.com", null, `open:${SES_ID}:2017-08-09T22:00:19.652Z`],
    [
      sesClick,
      "click",
      null,
      "recipient@example.com",
      null,
      `click:${SES_ID}:2017-08-09T23:51:25.570Z:http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html`,
    ],
    [
      sesSubscription,
      "unsubscribe",
      null,
      "recipient@example.com",
      "UnsubscribeHeader",
      "unsubscribe:EXAMPLEe4bccb684-777bc8de-afa7-4970-92b0-f515137b1497-000000:2022-01-12T01:00:17.910Z",
    ],
    [
      notifDelivery,
      "delivery",
      null,
      "jane@example.com",
      null,
      "delivery:0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000:jane@example.com",
    ],
    [
      notifBounceDsn,
      "bounce",
      "hard_bounce",
      "jane@example.com",
      "smtp; 550 5.1.1 <jane@example.com>... User",
      "bounce:00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000:jane@example.com",
    ],
    [
      notifComplaintFeedback,
      "complaint",
      null,
      "richard@example.com",
      "abuse",
      "complaint:000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000:richard@example.com",
    ],
    [
      notifComplaintNoFeedback,
      "complaint",
      null,
      "richard@example.com",
      null,
      "complaint:0000013786031775-fea503bc-7497-49e1-881b-a0379bb037d3-000000:richard@example.com",
    ],
  ])("%#: %s → %s", (fixture, eventType, bounceType, email, reason, eventId) => {
    const { events, ignored } = normalizeSesEvent(fixture);
    expect(ignored).toEqual([]);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect({ ...pick(events)[0], provider_event_id: event.provider_event_id }).toEqual({
      event_type: eventType,
      bounce_type: bounceType,
      recipient_email: email,
      reason,
      provider_event_id: eventId,
    });
    expect(event.provider_message_id).toBe(fixture.mail.messageId);
    expect(event.payload).toBe(fixture);
    expect(Number.isNaN(Date.parse(event.occurred_at))).toBe(false);
  });

  it("a bounce naming two recipients is two events, each with its own id", () => {
    const { events } = normalizeSesEvent(notifBounceNoDsn);
    expect(pick(events)).toEqual([
      { event_type: "bounce", bounce_type: "hard_bounce", recipient_email: "jane@example.com", reason: "Permanent/General" },
      { event_type: "bounce", bounce_type: "hard_bounce", recipient_email: "richard@example.com", reason: "Permanent/General" },
    ]);
    expect(new Set(events.map((e) => e.provider_event_id)).size).toBe(2);
  });

  it("takes the ids from the EmailTags the send attached; the provider message id otherwise", () => {
    const tagged = structuredClone(sesDelivery);
    Object.assign(tagged.mail.tags, { campaign_id: ["cmp_1"], recipient_id: ["rcp_1"], workspace_id: ["ws_1"] });
    const [event] = normalizeSesEvent(tagged).events;
    expect([event.campaign_id, event.recipient_id, event.tagged_workspace_id]).toEqual(["cmp_1", "rcp_1", "ws_1"]);
    const [untagged] = normalizeSesEvent(sesDelivery).events;
    expect([untagged.campaign_id, untagged.recipient_id, untagged.provider_message_id]).toEqual([null, null, SES_ID]);
  });

  it("an unknown eventType is ignored, not failed; a message without mail is malformed", async () => {
    expect(normalizeSesEvent({ ...sesSend, eventType: "Teleported" })).toEqual({ events: [], ignored: ["Teleported"] });
    expect(() => normalizeSesEvent({ eventType: "Send" })).toThrow(WebhookRejected);
  });
});

describe("SendGrid normalization", () => {
  it("normalizes every event of the fixture", () => {
    const { events, ignored } = normalizeSendgridEvents(sendgridEvents);
    expect(ignored).toEqual([]);
    expect(events.map((e) => [e.event_type, e.bounce_type, e.provider_event_id])).toEqual([
      ["send", null, "rbtnWrG1DVDGGGFHFyun0A=="],
      ["delivery_delay", null, "t7LEShmowp86DTdUW8M-GQ=="],
      ["delivery", null, "rWVYmVk90MjZJ9iohOBa3w=="],
      ["open", null, "FOTFFO0ecsBE-zxFXfs6WA=="],
      ["click", null, "kCAi1KttyQdEKHhdC-nuEA=="],
      ["bounce", "hard_bounce", "6g4ZI7SA-xmRDv57GoPIPw=="],
      ["bounce", "soft_bounce", "6g4ZI7SA-xmRDv57GoPIPw=="],
      ["reject", null, "zmzJhfJgAfUSOW80yEbPyw=="],
      ["complaint", null, "37nvH5QBz858KGVYCM4uOA=="],
      ["unsubscribe", null, "zz_BjPgU_5pS-J8vlfB1sg=="],
      ["unsubscribe", null, "ahSCB7xYcXFb-hEaawsPRw=="],
    ]);
    expect(events.every((e) => e.provider_message_id === "14c5d75ce93.dfd.64b469" && e.recipient_email === "example@test.com")).toBe(true);
    expect(events[4].url).toBe("http://www.sendgrid.com/");
    expect(events[1].reason).toBe("400 try again later");
    expect(events[0].occurred_at).toBe("2017-12-15T00:59:29.000Z");
  });

  it("reads custom_args from the event's top-level keys and ignores unknown kinds", () => {
    const { events, ignored } = normalizeSendgridEvents([
      { ...sendgridEvents[2], campaign_id: "cmp_1", recipient_id: "rcp_1", workspace_id: "ws_1" },
      { ...sendgridEvents[2], event: "group_resubscribe" },
    ]);
    expect([events[0].campaign_id, events[0].recipient_id, events[0].tagged_workspace_id]).toEqual(["cmp_1", "rcp_1", "ws_1"]);
    expect(ignored).toEqual(["group_resubscribe"]);
    expect(() => normalizeSendgridEvents({ event: "delivered" })).toThrow(WebhookRejected);
  });
});

describe("Mailgun normalization", () => {
  const sample = {
    event: "failed",
    id: "pl271FzxTTmGRW8Uj3dUWw",
    timestamp: 1529701969.818328,
    "log-level": "error",
    severity: "permanent",
    reason: "suppress-bounce",
    "delivery-status": {
      "attempt-no": 1,
      message: "",
      code: 605,
      description: "Not delivering to previously bounced address",
      "session-seconds": 0.0,
    },
    message: {
      headers: {
        to: "joan@example.com",
        "message-id": "20180622211249.1.2A6098970A380E12@example.org",
        from: "john@example.org",
        subject: "Test Subject",
      },
    },
    recipient: "joan@example.com",
    "recipient-domain": "example.com",
    "user-variables": {},
  };

  it("normalizes the README sample: a suppressed send is a rejection", () => {
    const [event] = normalizeMailgunEvent(sample).events;
    expect(event).toMatchObject({
      event_type: "reject",
      provider_event_id: "pl271FzxTTmGRW8Uj3dUWw",
      provider_message_id: "20180622211249.1.2A6098970A380E12@example.org",
      recipient_email: "joan@example.com",
      reason: "Not delivering to previously bounced address",
      occurred_at: "2018-06-22T21:12:49.818Z",
    });
  });

  it.each([
    [{ reason: "generic", severity: "permanent" }, "bounce", "hard_bounce"],
    [{ reason: "generic", severity: "temporary" }, "delivery_delay", null],
    [{ event: "delivered" }, "delivery", null],
    [{ event: "opened" }, "open", null],
    [{ event: "clicked", url: "https://example.com/a" }, "click", null],
    [{ event: "unsubscribed" }, "unsubscribe", null],
    [{ event: "complained" }, "complaint", null],
    [{ event: "accepted" }, "send", null],
  ])("%o → %s", (change, eventType, bounceType) => {
    const [event] = normalizeMailgunEvent({
      ...sample,
      ...change,
      "user-variables": { campaign_id: "cmp_1", recipient_id: "rcp_1" },
    }).events;
    expect([event.event_type, event.bounce_type, event.campaign_id, event.recipient_id]).toEqual([eventType, bounceType, "cmp_1", "rcp_1"]);
  });

  it("ignores kinds it does not track", () => {
    expect(normalizeMailgunEvent({ ...sample, event: "stored" })).toEqual({ events: [], ignored: ["stored"] });
  });
});

describe("Postmark normalization", () => {
  const bounce = {
    RecordType: "Bounce",
    ID: 901542550,
    Type: "HardBounce",
    TypeCode: 1,
    ServerID: 23,
    Name: "Hard bounce",
    MessageID: "2706ee8a-737c-4285-b032-ccd317af53ed",
    Description: "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    Details: "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    Email: "bounce@example.com",
    From: "sender@example.com",
    BouncedAt: "2016-04-27T16:28:50.3963933-04:00",
    Inactive: true,
    CanActivate: true,
    Subject: "Postmark event test",
  };
  const delivery = {
    RecordType: "Delivery",
    ServerId: 23,
    MessageID: "883953f4-6105-42a2-a16a-77a8eac79483",
    Recipient: "recipient@example.com",
    Tag: "welcome-email",
    Metadata: { cohort: "2014-08-A", userid: "12345" },
    DeliveredAt: "2014-08-01T13:28:10.2735393-04:00",
    Details: "Test delivery webhook details",
  };
  const change = {
    RecordType: "SubscriptionChange",
    MessageID: "a4909a96-73d7-4c49-b148-a54522d3f7ac",
    ServerID: 23,
    MessageStream: "outbound",
    ChangedAt: "2022-06-05T17:17:32Z",
    Recipient: "john@example.com",
    Origin: "Recipient",
    SuppressSending: true,
    SuppressionReason: "ManualSuppression",
    Tag: "welcome-email",
    Metadata: { example: "value" },
  };

  it("normalizes the README samples", () => {
    expect(normalizePostmarkRecord(bounce).events[0]).toMatchObject({
      event_type: "bounce",
      bounce_type: "hard_bounce",
      provider_event_id: "Bounce:901542550",
      provider_message_id: "2706ee8a-737c-4285-b032-ccd317af53ed",
      recipient_email: "bounce@example.com",
      occurred_at: "2016-04-27T20:28:50.396Z",
    });
    expect(normalizePostmarkRecord(delivery).events[0]).toMatchObject({
      event_type: "delivery",
      provider_event_id: "Delivery:883953f4-6105-42a2-a16a-77a8eac79483",
      recipient_email: "recipient@example.com",
      occurred_at: "2014-08-01T17:28:10.273Z",
    });
    expect(normalizePostmarkRecord(change).events[0]).toMatchObject({
      event_type: "unsubscribe",
      reason: "ManualSuppression",
      provider_event_id: "SubscriptionChange:a4909a96-73d7-4c49-b148-a54522d3f7ac",
    });
  });

  it("reads Metadata ids, maps soft bounces and complaints, ignores reactivations", () => {
    const [event] = normalizePostmarkRecord({
      ...delivery,
      Metadata: { campaign_id: "cmp_1", recipient_id: "rcp_1", workspace_id: "ws_1" },
    }).events;
    expect([event.campaign_id, event.recipient_id, event.tagged_workspace_id]).toEqual(["cmp_1", "rcp_1", "ws_1"]);
    expect(normalizePostmarkRecord({ ...bounce, Type: "SoftBounce" }).events[0].bounce_type).toBe("soft_bounce");
    expect(normalizePostmarkRecord({ ...bounce, RecordType: "SpamComplaint", Type: "SpamComplaint" }).events[0].event_type).toBe(
      "complaint",
    );
    expect(normalizePostmarkRecord({ ...change, SuppressSending: false }).events).toEqual([]);
    expect(normalizePostmarkRecord({ ...delivery, RecordType: "Inbound" }).ignored).toEqual(["Inbound"]);
  });
});

describe("SendGrid signature", () => {
  const PUBLIC_KEY =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
  const SIGNATURE = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
  const PAYLOAD = '{"category":"example_payload","event":"test_event","message_id":"message_id"}';
  const headers = (signature = SIGNATURE, timestamp = "1588788367") =>
    new Headers({ "x-twilio-email-event-webhook-signature": signature, "x-twilio-email-event-webhook-timestamp": timestamp });
  const bytes = (text: string) => new TextEncoder().encode(text);

  it("verifies the published test vector", async () => {
    await expect(verifySendgridSignature(headers(), bytes(PAYLOAD), PUBLIC_KEY)).resolves.toBeUndefined();
  });

  it("refuses a tampered body, another timestamp, another key and no key", async () => {
    await rejection(verifySendgridSignature(headers(), bytes(PAYLOAD.replace("test_event", "best_event")), PUBLIC_KEY));
    await rejection(verifySendgridSignature(headers(SIGNATURE, "1588788368"), bytes(PAYLOAD), PUBLIC_KEY));
    await rejection(verifySendgridSignature(headers(), bytes(PAYLOAD), (await sendgridKeyPair()).publicKey));
    await rejection(verifySendgridSignature(headers(), bytes(PAYLOAD), null));
    await rejection(verifySendgridSignature(headers(), bytes(PAYLOAD), "not a key"));
    await rejection(verifySendgridSignature(headers("AAAA"), bytes(PAYLOAD), PUBLIC_KEY));
  });

  it("converts DER signatures of any integer width to r‖s", () => {
    const der = Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07);
    const raw = ecdsaDerToRaw(der, 32)!;
    expect([raw[31], raw[63], raw.length]).toEqual([5, 7, 64]);
    expect(ecdsaDerToRaw(Uint8Array.of(0x30, 0x09, 0x02, 0x01), 32)).toBeNull();
  });
});

describe("Mailgun signature", () => {
  const vector = {
    timestamp: "1529006854",
    token: "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
    signature: "d715b4facdb68e32a3bf6c28d9f005fa348e252f96db49bdbba95169c391ea69",
  };
  const signedAt = new Date(1529006854 * 1000);

  it("verifies the published test vector within the 15-minute window", async () => {
    expect(await verifyMailgunSignature(vector, "TEST_WEBHOOK_SIGNING_KEY", signedAt)).toBe(vector.token);
    expect(await verifyMailgunSignature(vector, "TEST_WEBHOOK_SIGNING_KEY", new Date(signedAt.getTime() + 14 * 60_000))).toBe(vector.token);
  });

  it("refuses a stale timestamp, a wrong key, a tampered token and no key", async () => {
    await rejection(verifyMailgunSignature(vector, "TEST_WEBHOOK_SIGNING_KEY", new Date(signedAt.getTime() + 16 * 60_000)));
    await rejection(verifyMailgunSignature(vector, "ANOTHER_KEY", signedAt));
    await rejection(verifyMailgunSignature({ ...vector, token: `${vector.token}0` }, "TEST_WEBHOOK_SIGNING_KEY", signedAt));
    await rejection(verifyMailgunSignature(vector, null, signedAt));
  });

  it("refuses a replayed token, and claims a token only once the event is readable", async () => {
    const body = JSON.stringify({ signature: vector, "event-data": { event: "delivered", id: "ev1", timestamp: 1529006854 } });
    const request = { headers: new Headers(), bytes: new TextEncoder().encode(body), text: body };
    const context = (claim: boolean): WebhookContext => ({
      signingKey: "TEST_WEBHOOK_SIGNING_KEY",
      now: signedAt,
      fetch,
      trustedCertHosts: [],
      claimReplayToken: vi.fn(async () => claim),
    });
    expect((await receiveMailgunWebhook(request, context(true))).events).toHaveLength(1);
    await rejection(receiveMailgunWebhook(request, context(false)));
    const unreadable = JSON.stringify({ signature: vector, "event-data": "nope" });
    const claiming = context(true);
    expect((await rejection(receiveMailgunWebhook({ ...request, text: unreadable }, claiming))).kind).toBe("malformed");
    expect(claiming.claimReplayToken).not.toHaveBeenCalled();
    expect(await mailgunSignature("TEST_WEBHOOK_SIGNING_KEY", vector.timestamp, vector.token)).toBe(vector.signature);
  });
});

describe("Postmark credentials", () => {
  it("accepts Basic credentials or the secret header equal to the key, in either form only", async () => {
    const key = "hook:s3cret-pass";
    await expect(verifyPostmarkCredentials(new Headers({ authorization: `Basic ${btoa(key)}` }), key)).resolves.toBeUndefined();
    await expect(verifyPostmarkCredentials(new Headers({ "x-flarecast-webhook-secret": key }), key)).resolves.toBeUndefined();
    await rejection(verifyPostmarkCredentials(new Headers({ authorization: `Basic ${btoa("hook:wrong")}` }), key));
    await rejection(verifyPostmarkCredentials(new Headers({ "x-flarecast-webhook-secret": "hook:s3cret-pas" }), key));
    await rejection(verifyPostmarkCredentials(new Headers(), key));
    await rejection(verifyPostmarkCredentials(new Headers({ "x-flarecast-webhook-secret": key }), null));
  });
});

describe("SNS signature", () => {
  const CERT_HOST = "sns-stand-in.flarecast.test";
  const certUrl = `https://${CERT_HOST}/SimpleNotificationService-test.pem`;

  const contextServing = (pem: string, trusted = [CERT_HOST]) => {
    const fetchSpy = vi.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      if (url.endsWith(".pem")) return new Response(pem);
      return new Response("<ConfirmSubscriptionResponse/>");
    });
    const context: WebhookContext = {
      signingKey: null,
      now: new Date(),
      fetch: fetchSpy as unknown as typeof fetch,
      trustedCertHosts: trusted,
      claimReplayToken: async () => true,
    };
    return { context, fetchSpy };
  };
  const notification = (message: unknown, id = crypto.randomUUID()) => ({
    Type: "Notification",
    MessageId: id,
    TopicArn: "arn:aws:sns:us-east-1:123456789012:ses-events",
    Message: JSON.stringify(message),
    Timestamp: "2024-05-01T10:00:00.000Z",
  });
  const asRequest = (message: unknown) => {
    const text = JSON.stringify(message);
    return { headers: new Headers({ "content-type": "text/plain; charset=UTF-8" }), bytes: new TextEncoder().encode(text), text };
  };

  it("builds the string to sign of the documented fixture, Subject included", () => {
    expect(snsStringToSign(snsUnsigned)).toEqual({
      text:
        "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nMy First Message\n" +
        "Timestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n",
    });
  });

  it("reads the public key and the validity period of a certificate, in UTCTime and GeneralizedTime", async () => {
    const certificate = await selfSignedCertificate({ notBefore: "491231235959Z", notAfter: "20550101000000Z" });
    const facts = readCertificate(pemCertificateToDer(certificate.pem)!);
    expect(facts?.notBefore.toISOString()).toBe("2049-12-31T23:59:59.000Z");
    expect(facts?.notAfter.toISOString()).toBe("2055-01-01T00:00:00.000Z");
    await expect(
      crypto.subtle.importKey("spki", facts!.spki, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]),
    ).resolves.toBeDefined();
    const older = readCertificate(pemCertificateToDer((await selfSignedCertificate({ notBefore: "950101000000Z" })).pem)!);
    expect(older?.notBefore.toISOString()).toBe("1995-01-01T00:00:00.000Z");
  });

  it("refuses a certificate outside its validity period, also when it was cached while valid", async () => {
    const expired = await selfSignedCertificate({ notBefore: "200101000000Z", notAfter: "240101000000Z" });
    const early = await selfSignedCertificate({ notBefore: "20400101000000Z" });
    for (const [certificate, name] of [
      [expired, "expired"],
      [early, "early"],
    ] as const) {
      const { context } = contextServing(certificate.pem);
      const message = await signedSnsMessage(certificate, certUrl.replace(".pem", `-${name}.pem`), notification(sesDelivery));
      const refused = await rejection(verifySnsEnvelope(JSON.stringify(message), context));
      expect(refused.kind).toBe("unauthenticated");
      expect(refused.detail).toMatch(/valid from .* to .*, not now/);
    }
    const current = await selfSignedCertificate({ notBefore: "250101000000Z", notAfter: "270101000000Z" });
    const { context } = contextServing(current.pem);
    const message = await signedSnsMessage(current, certUrl.replace(".pem", "-current.pem"), notification(sesDelivery));
    await verifySnsEnvelope(JSON.stringify(message), { ...context, now: new Date("2026-06-01T00:00:00Z") });
    const later = await rejection(verifySnsEnvelope(JSON.stringify(message), { ...context, now: new Date("2027-06-01T00:00:00Z") }));
    expect(later.kind).toBe("unauthenticated");
  });

  it("asks for a later delivery (unavailable) when the certificate host fails or is busy, and refuses one that is not found", async () => {
    const certificate = await selfSignedCertificate();
    const answers: Array<[string, () => Promise<Response>, string]> = [
      ["network", async () => Promise.reject(new TypeError("fetch failed")), "unavailable"],
      ["down", async () => new Response("", { status: 503 }), "unavailable"],
      ["busy", async () => new Response("", { status: 429 }), "unavailable"],
      ["gone", async () => new Response("", { status: 404 }), "unauthenticated"],
      ["junk", async () => new Response("not a certificate"), "unauthenticated"],
    ];
    for (const [name, answer, kind] of answers) {
      const { context } = contextServing(certificate.pem);
      const url = certUrl.replace(".pem", `-${name}.pem`);
      const message = await signedSnsMessage(certificate, url, notification(sesDelivery));
      const refused = await rejection(verifySnsEnvelope(JSON.stringify(message), { ...context, fetch: answer as unknown as typeof fetch }));
      expect([name, refused.kind]).toEqual([name, kind]);
      // Not remembered: once the host answers, the same message verifies.
      await verifySnsEnvelope(JSON.stringify(message), context);
    }
  });

  it("verifies versions 1 and 2 with a certificate from a trusted host, fetched once, and normalizes the SES event", async () => {
    const certificate = await selfSignedCertificate();
    const { context, fetchSpy } = contextServing(certificate.pem);
    const url = `${certUrl}?v=${crypto.randomUUID()}`.replace("?", "/").concat(".pem");
    for (const version of ["1", "2"] as const) {
      const message = await signedSnsMessage(certificate, url, notification(sesDelivery), version);
      const received = await receiveSesWebhook(asRequest(message), context);
      expect(received.events.map((e) => e.event_type)).toEqual(["delivery"]);
    }
    const subjectMessage = await signedSnsMessage(certificate, url, {
      ...notification(sesBounce),
      Subject: "Amazon SES Email Event Notification",
    });
    expect((await receiveSesWebhook(asRequest(subjectMessage), context)).events[0].event_type).toBe("bounce");
    expect(fetchSpy.mock.calls.filter(([u]) => String(u) === url)).toHaveLength(2);
  });

  it("refuses a tampered message, another key, a foreign certificate host, plain http and a non-.pem path", async () => {
    const certificate = await selfSignedCertificate();
    const impostor = await selfSignedCertificate();
    const { context } = contextServing(certificate.pem, [CERT_HOST, "127.0.0.1:9"]);
    const signed = await signedSnsMessage(certificate, certUrl.replace(".pem", "-a.pem"), notification(sesDelivery));
    await receiveSesWebhook(asRequest(signed), context);
    await rejection(receiveSesWebhook(asRequest({ ...signed, Message: signed.Message.replace("Delivery", "Bounce") }), context));
    await rejection(
      receiveSesWebhook(asRequest(await signedSnsMessage(impostor, certUrl.replace(".pem", "-a.pem"), notification(sesDelivery))), context),
    );
    for (const foreign of [
      "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
      "https://evil.example/SimpleNotificationService.pem",
      `http://${CERT_HOST}/cert.pem`,
      `https://${CERT_HOST}/cert.txt`,
    ]) {
      const message = await signedSnsMessage(certificate, foreign, notification(sesDelivery));
      expect((await rejection(verifySnsEnvelope(JSON.stringify(message), context))).kind).toBe("unauthenticated");
    }
    expect((await rejection(verifySnsEnvelope("not json", context))).kind).toBe("malformed");
    expect((await rejection(verifySnsEnvelope(JSON.stringify({ ...signed, Type: "Other" }), context))).kind).toBe("malformed");
  });

  it("confirms a verified subscription by fetching SubscribeURL, and only on a trusted host", async () => {
    const certificate = await selfSignedCertificate();
    const { context, fetchSpy } = contextServing(certificate.pem);
    const confirmation = (subscribeUrl: string) =>
      signedSnsMessage(certificate, certUrl.replace(".pem", "-c.pem"), {
        Type: "SubscriptionConfirmation",
        MessageId: crypto.randomUUID(),
        Token: "2336412f37",
        TopicArn: "arn:aws:sns:us-east-1:123456789012:ses-events",
        Message: "You have chosen to subscribe to the topic",
        SubscribeURL: subscribeUrl,
        Timestamp: "2024-05-01T10:00:00.000Z",
      });
    const subscribeUrl = `https://${CERT_HOST}/?Action=ConfirmSubscription&Token=2336412f37`;
    expect(await receiveSesWebhook(asRequest(await confirmation(subscribeUrl)), context)).toEqual({ events: [], ignored: [] });
    expect(fetchSpy.mock.calls.map(([u]) => String(u))).toContain(subscribeUrl);
    await rejection(receiveSesWebhook(asRequest(await confirmation("https://evil.example/?Action=ConfirmSubscription")), context));
    expect(fetchSpy.mock.calls.map(([u]) => String(u))).not.toContain("https://evil.example/?Action=ConfirmSubscription");
    const tampered = await confirmation(subscribeUrl);
    fetchSpy.mockClear();
    await rejection(receiveSesWebhook(asRequest({ ...tampered, SubscribeURL: `${subscribeUrl}&x=1` }), context));
    expect(fetchSpy.mock.calls.map(([u]) => String(u))).not.toContain(`${subscribeUrl}&x=1`);
  });
});

describe("queueing", () => {
  const event = (i: number, payload: unknown = { i }): ProviderEvent => ({
    kind: "provider_event",
    workspace_id: "ws_1",
    provider_id: "prv_1",
    provider_type: "sendgrid",
    provider_event_id: `ev${i}`,
    event_type: "delivery",
    bounce_type: null,
    provider_message_id: "m1",
    recipient_email: null,
    campaign_id: null,
    recipient_id: null,
    reason: null,
    url: null,
    user_agent: null,
    occurred_at: "2024-01-01T00:00:00.000Z",
    payload,
  });
  const recordingQueue = () => {
    const batches: MessageSendRequest[][] = [];
    const queue = { sendBatch: vi.fn(async (batch: MessageSendRequest[]) => void batches.push(batch)) } as unknown as Queue;
    return { queue, batches };
  };

  it("sends at most 100 messages and about 200 KB per sendBatch, a huge raw event without its payload", async () => {
    const { queue, batches } = recordingQueue();
    await enqueueProviderEvents(
      queue,
      Array.from({ length: 250 }, (_, i) => event(i)),
    );
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);

    const sized = recordingQueue();
    const big = "x".repeat(30 * 1024);
    await enqueueProviderEvents(sized.queue, [...Array.from({ length: 10 }, (_, i) => event(i, big)), event(99, "y".repeat(200 * 1024))]);
    expect(sized.batches.map((b) => b.length)).toEqual([6, 5]);
    expect((sized.batches[1][4].body as ProviderEvent).payload).toEqual({ truncated: true });
  });

  it("keeps the ids of events tagged with the provider's workspace and drops another workspace's", () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const [own, foreign] = toProviderEvents(
      { id: "prv_1", workspace_id: "ws_1", provider_type: "sendgrid", signingKey: null },
      {
        events: [
          { ...event(1), campaign_id: "cmp_1", recipient_id: "rcp_1", tagged_workspace_id: "ws_1" },
          { ...event(2), campaign_id: "cmp_2", recipient_id: "rcp_2", tagged_workspace_id: "ws_2" },
        ],
        ignored: [],
      },
    );
    expect([own.campaign_id, own.recipient_id, own.workspace_id]).toEqual(["cmp_1", "rcp_1", "ws_1"]);
    expect([foreign.campaign_id, foreign.recipient_id, foreign.workspace_id]).toEqual([null, null, "ws_1"]);
    expect("tagged_workspace_id" in own).toBe(false);
  });
});
