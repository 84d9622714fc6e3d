import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { ProviderSettings } from "../../src/db/schema/infrastructure";
import { SendError, type SendFailureKind } from "../../src/domain/errors";
import type { OutgoingMessage, SendContext, SendReceipt } from "../../src/provider-clients/contract";
import type { ProviderCredentials } from "../../src/provider-clients/credentials";
import { clientContext } from "../../src/provider-clients/http";
import { clientFor } from "../../src/provider-clients/registry";
import { outgoingMessage } from "../fixtures/outgoing-message";
import { STAND_IN_CREDENTIALS as CREDS } from "../stand-ins/provider-credentials";
import type { AcceptedMessage } from "../stand-ins/provider-http";

type HttpProvider = "ses" | "sendgrid" | "mailgun" | "postmark";

const WRONG = {
  awsSecret: "wrongSesSecret/0000000000000000000000000000",
  sendgridKey: "SG.wrong-key.0000000000000000000000000000",
  mailgunKey: "fc-mailgun-wrong-0000000000000000000000000",
  postmarkToken: "00000000-0000-0000-0000-wrongwrong00",
};

/** Every secret a test hands to a client; none may ever appear in a failure's reason. */
const SECRETS = [
  CREDS.ses.secret_access_key,
  CREDS.sendgrid.api_key,
  CREDS.sendgridReadOnly.api_key,
  CREDS.mailgun.api_key,
  CREDS.postmark.server_token,
  ...Object.values(WRONG),
];

const standIn = (provider: string): ProviderSettings => ({ base_url: `${env.TEST_PROVIDER_HTTP_URL}/${provider}` });

function sendContext(settings: ProviderSettings, timeoutMs = 5_000, fetcher?: typeof fetch): SendContext {
  return { ...clientContext(settings, timeoutMs, fetcher), dkim: null, captureStore: null };
}

function send<T extends HttpProvider>(
  type: T,
  message: OutgoingMessage,
  credentials: ProviderCredentials<T>,
  settings: ProviderSettings = standIn(type),
  timeoutMs?: number,
): Promise<SendReceipt> {
  return clientFor(type).send(message, credentials, sendContext(settings, timeoutMs));
}

/** The SendError a send rejected with, after checking that its reason holds no secret. */
async function failure(sending: Promise<SendReceipt>): Promise<SendError> {
  const error = await sending.then(
    (receipt) => {
      throw new Error(`expected the send to fail, it was accepted as ${receipt.providerMessageId}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SendError);
  const sendError = error as SendError;
  for (const secret of SECRETS) expect(sendError.reason).not.toContain(secret);
  return sendError;
}

/** What the stand-in of `provider` accepted for `to`. */
async function accepted(provider: HttpProvider, to: string): Promise<AcceptedMessage[]> {
  const response = await fetch(`${env.TEST_PROVIDER_HTTP_URL}/${provider}/_sent?to=${encodeURIComponent(to)}`);
  return response.json();
}

/** A recipient address no other test uses; the local part picks the stand-in's scripted answer. */
const recipient = (local: string) => `${local}+${crypto.randomUUID().slice(0, 8)}@example.com`;

/** A fetch that records requests and answers with a canned response: no request leaves the Worker. */
function recordingFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const requests: Request[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push(new Request(input, init));
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers });
  }) as typeof fetch;
  return { fetcher, requests };
}

interface ProviderCase<T extends HttpProvider = HttpProvider> {
  type: T;
  credentials: ProviderCredentials<T>;
  wrongCredentials: ProviderCredentials<T>;
  /** The provider's own words for a refused recipient, as the stand-in answers them. */
  rejection: RegExp;
}

const providers: ProviderCase[] = [
  {
    type: "ses",
    credentials: CREDS.ses,
    wrongCredentials: { ...CREDS.ses, secret_access_key: WRONG.awsSecret },
    rejection: /^HTTP 400: MessageRejected: Email address is not verified\./,
  },
  {
    type: "sendgrid",
    credentials: CREDS.sendgrid,
    wrongCredentials: { api_key: WRONG.sendgridKey },
    rejection: /^HTTP 400: Does not contain a valid address\.$/,
  },
  {
    type: "mailgun",
    credentials: CREDS.mailgun,
    wrongCredentials: { ...CREDS.mailgun, api_key: WRONG.mailgunKey },
    rejection: /^HTTP 400: to parameter is not a valid address\. please check documentation$/,
  },
  {
    type: "postmark",
    credentials: CREDS.postmark,
    wrongCredentials: { ...CREDS.postmark, server_token: WRONG.postmarkToken },
    rejection: /^HTTP 422: You tried to send to recipient\(s\) that have been marked as inactive\..* \(Postmark error 406\)$/,
  },
];

describe.each(providers)("$type send", ({ type, credentials, wrongCredentials, rejection }) => {
  const sendAs = (message: OutgoingMessage, creds = credentials, settings?: ProviderSettings, timeoutMs?: number) =>
    send(type, message, creds as never, settings, timeoutMs);

  it("is accepted, and the receipt carries the id the provider answered with", async () => {
    const message = outgoingMessage({ to: recipient("ok") });
    const receipt = await sendAs(message);
    const kept = await accepted(type, message.to.email);
    expect(kept).toHaveLength(1);
    expect(receipt).toEqual({ providerMessageId: kept[0]!.id });
  });

  it("is retried after the wait a throttling provider asks for", async () => {
    const error = await failure(sendAs(outgoingMessage({ to: "throttle+3@example.com" })));
    expect(error.kind).toBe<SendFailureKind>("retryable");
    expect(error.reason).toMatch(/^HTTP 429/);
    if (type === "sendgrid") {
      // SendGrid names the second its window reopens, so the wait is what is left of three seconds.
      expect(error.retryAfterMs).toBeGreaterThan(1_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(3_000);
    } else {
      expect(error.retryAfterMs).toBe(3_000);
    }
  });

  it.each([
    ["flaky", 503],
    ["broken", 500],
  ])("is retried when the provider fails (%s → %i)", async (local, status) => {
    const error = await failure(sendAs(outgoingMessage({ to: recipient(local) })));
    expect(error.kind).toBe<SendFailureKind>("retryable");
    expect(error.reason).toMatch(new RegExp(`^HTTP ${status}`));
  });

  it("fails the recipient with the provider's reason when it refuses the recipient", async () => {
    const to = recipient("reject");
    const error = await failure(sendAs(outgoingMessage({ to })));
    expect(error.kind).toBe<SendFailureKind>("permanent");
    expect(error.reason).toMatch(rejection);
    expect(await accepted(type, to)).toEqual([]);
  });

  it("marks the account unusable when the credentials are rejected", async () => {
    const error = await failure(sendAs(outgoingMessage({ to: recipient("ok") }), wrongCredentials));
    expect(error.kind).toBe<SendFailureKind>("config");
    expect(error.reason).toMatch(/^HTTP 40[13]/);
  });

  it("leaves the outcome unknown when the provider does not answer in time", async () => {
    const error = await failure(sendAs(outgoingMessage({ to: recipient("hang") }), credentials, undefined, 300));
    expect(error).toMatchObject({ kind: "unknown", reason: `no answer from ${new URL(env.TEST_PROVIDER_HTTP_URL).host} within 300 ms` });
  });

  it("is retried when the provider cannot be reached at all", async () => {
    const port = inject("smtpStandInPorts").closed;
    const error = await failure(sendAs(outgoingMessage({ to: recipient("ok") }), credentials, { base_url: `http://127.0.0.1:${port}` }));
    expect(error.kind).toBe<SendFailureKind>("retryable");
    expect(error.reason).toMatch(new RegExp(`^could not reach 127\\.0\\.0\\.1:${port}: `));
  });
});

describe("any HTTP provider's failure", () => {
  it("never carries a credential, even when the provider echoes one", async () => {
    const { fetcher } = recordingFetch(401, { errors: [{ field: null, message: `key ${CREDS.sendgrid.api_key} was revoked` }] });
    const error = await failure(
      clientFor("sendgrid").send(outgoingMessage({ to: "a@example.com" }), CREDS.sendgrid, sendContext({}, 5_000, fetcher)),
    );
    expect(error).toMatchObject({ kind: "config", reason: "HTTP 401: key [redacted] was revoked" });
  });

  it("routes around a base_url that redirects, without following it", async () => {
    const { fetcher, requests } = recordingFetch(301, "", { location: "https://elsewhere.example/email" });
    const error = await failure(
      clientFor("postmark").send(outgoingMessage({ to: "a@example.com" }), CREDS.postmark, sendContext({}, 5_000, fetcher)),
    );
    expect(error).toMatchObject({ kind: "config", reason: "HTTP 301" });
    expect(requests).toHaveLength(1);
  });

  it("leaves the outcome unknown when the provider answers a success it does not document", async () => {
    const { fetcher } = recordingFetch(200, "");
    const error = await failure(
      clientFor("sendgrid").send(outgoingMessage({ to: "a@example.com" }), CREDS.sendgrid, sendContext({}, 5_000, fetcher)),
    );
    expect(error).toMatchObject({ kind: "unknown", reason: "HTTP 200" });
  });
});

describe("SES v2 SendEmail", () => {
  it("sends the raw MIME, the envelope addresses and the ids as EmailTags, signed with SigV4", async () => {
    const message = outgoingMessage({ to: recipient("ok"), tags: { workspace_id: "ws_1", campaign_id: "cmp_2", recipient_id: "rcp.3@x" } });
    await send("ses", message, CREDS.ses);
    const [kept] = await accepted("ses", message.to.email);
    expect(kept!.raw).toBe(message.raw);
    expect(kept!.request).toEqual({
      FromEmailAddress: "news@news.flarecast.test",
      Destination: { ToAddresses: [message.to.email] },
      Content: { Raw: { Data: expect.any(String) } },
      // Tag values allow only letters, digits, _ and -.
      EmailTags: [
        { Name: "campaign_id", Value: "cmp_2" },
        { Name: "recipient_id", Value: "rcp_3_x" },
        { Name: "workspace_id", Value: "ws_1" },
      ],
    });
    expect(kept!.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it("names the configuration set from the credentials", async () => {
    const message = outgoingMessage({ to: recipient("ok") });
    await send("ses", message, { ...CREDS.ses, configuration_set: CREDS.sesConfigurationSet });
    const [kept] = await accepted("ses", message.to.email);
    expect(kept!.request.ConfigurationSetName).toBe(CREDS.sesConfigurationSet);
  });

  it("routes around an account whose configuration set does not exist", async () => {
    const error = await failure(send("ses", outgoingMessage({ to: recipient("ok") }), { ...CREDS.ses, configuration_set: "gone" }));
    expect(error).toMatchObject({ kind: "config", reason: "HTTP 404: NotFoundException: Configuration set <gone> does not exist." });
  });

  it("routes around an account whose sending is paused", async () => {
    const error = await failure(send("ses", outgoingMessage({ to: recipient("paused") }), CREDS.ses));
    expect(error).toMatchObject({ kind: "config", reason: "HTTP 400: SendingPausedException: Sending is paused for this account." });
  });

  it("calls the regional endpoint when no base_url is set", async () => {
    const { fetcher, requests } = recordingFetch(200, { MessageId: "0100abc" });
    const receipt = await clientFor("ses").send(outgoingMessage({ to: "a@example.com" }), CREDS.ses, sendContext({}, 5_000, fetcher));
    expect(receipt).toEqual({ providerMessageId: "0100abc" });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(["POST https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails"]);
  });

  it("leaves the outcome unknown when SES answers 200 without a MessageId", async () => {
    const { fetcher } = recordingFetch(200, {});
    const error = await failure(
      clientFor("ses").send(outgoingMessage({ to: "a@example.com" }), CREDS.ses, sendContext({}, 5_000, fetcher)),
    );
    expect(error.kind).toBe<SendFailureKind>("unknown");
  });
});

describe("SendGrid v3 mail/send", () => {
  it("sends the parts, the ids as custom_args and the unsubscribe, feedback and Message-ID headers", async () => {
    const message = outgoingMessage({ to: recipient("ok"), toName: "Ada Lovelace" });
    await send("sendgrid", message, CREDS.sendgrid);
    const [kept] = await accepted("sendgrid", message.to.email);
    expect(kept!.request).toEqual({
      personalizations: [{ to: [{ email: message.to.email, name: "Ada Lovelace" }], custom_args: message.tags }],
      from: { email: "news@news.flarecast.test", name: "Flarecast News" },
      reply_to: { email: "replies@flarecast.test" },
      subject: "Winter news",
      content: [
        { type: "text/plain", value: message.text },
        { type: "text/html", value: message.html },
      ],
      headers: { ...message.headers, "Message-ID": `<${message.messageId}>` },
    });
  });

  it("leaves out an empty part, which SendGrid refuses", async () => {
    const message = { ...outgoingMessage({ to: recipient("ok") }), text: "" };
    await send("sendgrid", message, CREDS.sendgrid);
    const [kept] = await accepted("sendgrid", message.to.email);
    expect(kept!.request.content).toEqual([{ type: "text/html", value: message.html }]);
  });

  it("routes around a key that may not send", async () => {
    const error = await failure(send("sendgrid", outgoingMessage({ to: recipient("ok") }), CREDS.sendgridReadOnly));
    expect(error).toMatchObject({ kind: "config", reason: "HTTP 403: access forbidden" });
  });

  it("asks for sandbox mode when the provider's settings do", async () => {
    const message = outgoingMessage({ to: recipient("ok") });
    await send("sendgrid", message, CREDS.sendgrid, { ...standIn("sendgrid"), sandbox_mode: true });
    const [kept] = await accepted("sendgrid", message.to.email);
    expect(kept!.request.mail_settings).toEqual({ sandbox_mode: { enable: true } });
  });

  it("turns SendGrid's own tracking off when the provider's settings do", async () => {
    const message = outgoingMessage({ to: recipient("ok") });
    await send("sendgrid", message, CREDS.sendgrid, { ...standIn("sendgrid"), tracking_enabled: false });
    const [kept] = await accepted("sendgrid", message.to.email);
    expect(kept!.request.tracking_settings).toEqual({ click_tracking: { enable: false }, open_tracking: { enable: false } });
  });

  it("calls api.sendgrid.com when no base_url is set", async () => {
    const { fetcher, requests } = recordingFetch(202, "", { "x-message-id": "sg-id-1" });
    const receipt = await clientFor("sendgrid").send(
      outgoingMessage({ to: "a@example.com" }),
      CREDS.sendgrid,
      sendContext({}, 5_000, fetcher),
    );
    expect(receipt).toEqual({ providerMessageId: "sg-id-1" });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(["POST https://api.sendgrid.com/v3/mail/send"]);
  });
});

describe("Mailgun messages.mime", () => {
  it("sends the raw MIME as the message file with the recipient and the ids as v: variables", async () => {
    const message = outgoingMessage({ to: recipient("ok") });
    const receipt = await send("mailgun", message, CREDS.mailgun);
    const [kept] = await accepted("mailgun", message.to.email);
    expect(kept!.raw).toBe(message.raw);
    expect(kept!.request).toEqual({
      to: message.to.email,
      "v:workspace_id": message.tags.workspace_id,
      "v:campaign_id": message.tags.campaign_id,
      "v:recipient_id": message.tags.recipient_id,
    });
    // Mailgun answers "<id>"; its events name the id without the brackets.
    expect(receipt.providerMessageId).toMatch(/^\d{14}\.[0-9a-f]{16}@mg\.flarecast\.test$/);
  });

  it("asks for test mode when the provider's settings ask for sandbox mode", async () => {
    const message = outgoingMessage({ to: recipient("ok") });
    await send("mailgun", message, CREDS.mailgun, { ...standIn("mailgun"), sandbox_mode: true });
    const [kept] = await accepted("mailgun", message.to.email);
    expect(kept!.request["o:testmode"]).toBe("yes");
  });

  it("routes around a domain the account does not have", async () => {
    const error = await failure(
      send("mailgun", outgoingMessage({ to: recipient("ok") }), { ...CREDS.mailgun, domain: "other.flarecast.test" }),
    );
    expect(error).toMatchObject({ kind: "config", reason: "HTTP 404: Domain not found: other.flarecast.test" });
  });

  it.each([
    ["us", "https://api.mailgun.net"],
    ["eu", "https://api.eu.mailgun.net"],
  ] as const)("calls the %s base when no base_url is set", async (region, origin) => {
    const { fetcher, requests } = recordingFetch(200, { id: "<m1@mg.flarecast.test>", message: "Queued. Thank you." });
    const receipt = await clientFor("mailgun").send(
      outgoingMessage({ to: "a@example.com" }),
      { ...CREDS.mailgun, region },
      sendContext({}, 5_000, fetcher),
    );
    expect(receipt).toEqual({ providerMessageId: "m1@mg.flarecast.test" });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${origin}/v3/mg.flarecast.test/messages.mime`]);
  });
});

describe("Postmark /email", () => {
  it("sends the parts, the ids as Metadata and the headers, through the broadcasts stream for campaign mail", async () => {
    const message = outgoingMessage({ to: recipient("ok"), toName: 'Ada "the Countess" Lovelace' });
    await send("postmark", message, CREDS.postmark);
    const [kept] = await accepted("postmark", message.to.email);
    expect(kept!.request).toEqual({
      From: '"Flarecast News" <news@news.flarecast.test>',
      To: `"Ada \\"the Countess\\" Lovelace" <${message.to.email}>`,
      ReplyTo: "replies@flarecast.test",
      Subject: "Winter news",
      HtmlBody: message.html,
      TextBody: message.text,
      Headers: [
        ...Object.entries(message.headers).map(([Name, Value]) => ({ Name, Value })),
        { Name: "Message-ID", Value: `<${message.messageId}>` },
      ],
      Metadata: message.tags,
      MessageStream: "broadcast",
    });
  });

  it("uses the broadcasts stream the credentials name", async () => {
    const message = outgoingMessage({ to: recipient("ok") });
    await send("postmark", message, { ...CREDS.postmark, broadcast_stream: CREDS.postmarkBroadcastStream });
    const [kept] = await accepted("postmark", message.to.email);
    expect(kept!.request.MessageStream).toBe(CREDS.postmarkBroadcastStream);
  });

  it("sends transactional mail through the message stream of the credentials", async () => {
    const message = outgoingMessage({ to: recipient("ok"), stream: "transactional" });
    await send("postmark", message, { ...CREDS.postmark, broadcast_stream: CREDS.postmarkBroadcastStream });
    const [kept] = await accepted("postmark", message.to.email);
    expect(kept!.request.MessageStream).toBe(CREDS.postmark.message_stream);
  });

  it("turns Postmark's own tracking off when the provider's settings do", async () => {
    const message = outgoingMessage({ to: recipient("ok") });
    await send("postmark", message, CREDS.postmark, { ...standIn("postmark"), tracking_enabled: false });
    const [kept] = await accepted("postmark", message.to.email);
    expect(kept!.request).toMatchObject({ TrackOpens: false, TrackLinks: "None" });
  });

  it("routes around a server without the stream", async () => {
    const error = await failure(
      send("postmark", outgoingMessage({ to: recipient("ok") }), { ...CREDS.postmark, broadcast_stream: "missing" }),
    );
    expect(error.kind).toBe<SendFailureKind>("config");
    expect(error.reason).toBe("HTTP 422: The 'MessageStream' provided does not exist on this server. (Postmark error 1235)");
  });

  it("fails an invalid address for good (error 300)", async () => {
    const { fetcher } = recordingFetch(422, { ErrorCode: 300, Message: "Invalid 'To' address: 'x'." });
    const error = await failure(
      clientFor("postmark").send(outgoingMessage({ to: "a@example.com" }), CREDS.postmark, sendContext({}, 5_000, fetcher)),
    );
    expect(error).toMatchObject({ kind: "permanent", reason: "HTTP 422: Invalid 'To' address: 'x'. (Postmark error 300)" });
  });

  it("calls api.postmarkapp.com when no base_url is set", async () => {
    const { fetcher, requests } = recordingFetch(200, { MessageID: "pm-1", ErrorCode: 0, Message: "OK" });
    const receipt = await clientFor("postmark").send(
      outgoingMessage({ to: "a@example.com" }),
      CREDS.postmark,
      sendContext({}, 5_000, fetcher),
    );
    expect(receipt).toEqual({ providerMessageId: "pm-1" });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(["POST https://api.postmarkapp.com/email"]);
  });
});
