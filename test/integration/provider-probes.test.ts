import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { ProviderSettings } from "../../src/db/schema/infrastructure";
import type { ProbeResult } from "../../src/provider-clients/contract";
import type { ProviderCredentials, ProviderType } from "../../src/provider-clients/credentials";
import { type ProbeOptions, probeProvider } from "../../src/provider-clients/probe";
import { signAwsRequest } from "../../src/provider-clients/ses.provider";
import { STAND_IN_CREDENTIALS as CREDS } from "../stand-ins/provider-credentials";

const WRONG = {
  awsSecret: "wrongSesSecret/0000000000000000000000000000",
  sendgridKey: "SG.wrong-key.0000000000000000000000000000",
  mailgunKey: "fc-mailgun-wrong-0000000000000000000000000",
  postmarkToken: "00000000-0000-0000-0000-wrongwrong00",
  smtpPassword: "not the password 0000",
};

/** Every secret a test hands to a probe; none may ever appear in what a probe reports. */
const SECRETS = [
  CREDS.ses.secret_access_key,
  CREDS.sendgrid.api_key,
  CREDS.sendgridReadOnly.api_key,
  CREDS.mailgun.api_key,
  CREDS.postmark.server_token,
  CREDS.smtp.password,
  ...Object.values(WRONG),
];

const standIn = (provider: string): ProviderSettings => ({ base_url: `${env.TEST_PROVIDER_HTTP_URL}/${provider}` });

async function probe<T extends ProviderType>(
  type: T,
  credentials: ProviderCredentials<T>,
  settings: ProviderSettings = {},
  options?: ProbeOptions,
): Promise<ProbeResult> {
  const result = await probeProvider(type, credentials, settings, options);
  for (const secret of SECRETS) expect(result.detail).not.toContain(secret);
  return result;
}

/** A fetch that records where it was sent and answers with a canned response: no request leaves the Worker. */
function recordingFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const requests: Request[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push(new Request(input, init));
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers });
  }) as typeof fetch;
  return { fetcher, requests };
}

describe("SES probe (GetAccount, SigV4)", () => {
  it("accepts good keys and reports the account's sending status and quota", async () => {
    const result = await probe("ses", CREDS.ses, standIn("ses"));
    expect(result).toEqual({
      ok: true,
      detail:
        "sending enabled in eu-west-1; production access; quota 50000 per 24 h at 14/s, 120 sent in the last 24 h; enforcement status HEALTHY",
    });
  });

  it("reports a wrong secret as the signature mismatch AWS answers with", async () => {
    const result = await probe("ses", { ...CREDS.ses, secret_access_key: WRONG.awsSecret }, standIn("ses"));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^credentials rejected \(HTTP 403\): SignatureDoesNotMatch: The request signature we calculated/);
  });

  it("reports an unknown access key id", async () => {
    const result = await probe("ses", { ...CREDS.ses, access_key_id: "AKIAUNKNOWNKEY000001" }, standIn("ses"));
    expect(result).toEqual({
      ok: false,
      detail: "credentials rejected (HTTP 403): UnrecognizedClientException: The security token included in the request is invalid.",
    });
  });

  it("signs for the region in the credentials", async () => {
    const result = await probe("ses", { ...CREDS.ses, region: "us-east-1" }, standIn("ses"));
    expect(result.ok).toBe(false);
    expect(result.detail).toContain("Credential should be scoped to a valid region");
  });

  it("calls the regional SES v2 endpoint when no base_url is set", async () => {
    const { fetcher, requests } = recordingFetch(200, { SendingEnabled: true, ProductionAccessEnabled: false });
    const result = await probe("ses", CREDS.ses, {}, { fetch: fetcher });
    expect(result).toEqual({ ok: true, detail: "sending enabled in eu-west-1; sandbox (verified recipients only)" });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(["GET https://email.eu-west-1.amazonaws.com/v2/email/account"]);
    expect(requests[0]!.headers.get("authorization")).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAFLARECASTTEST01\/\d{8}\/eu-west-1\/ses\/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
  });

  it("fails an account whose sending AWS has paused", async () => {
    const { fetcher } = recordingFetch(200, { SendingEnabled: false, ProductionAccessEnabled: true, EnforcementStatus: "SHUTDOWN" });
    const result = await probe("ses", CREDS.ses, {}, { fetch: fetcher });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^sending is disabled for this account; .*enforcement status SHUTDOWN$/);
  });
});

describe("SigV4 signer", () => {
  // AWS's published SigV4 test suite: credentials, date and the expected Authorization headers.
  const key = {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    region: "us-east-1",
    service: "service",
  };
  const at = new Date("2015-08-30T12:36:00Z");
  const prefix =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=";

  it("matches get-vanilla", async () => {
    const headers = await signAwsRequest({ method: "GET", url: "https://example.amazonaws.com/" }, key, at);
    expect(headers).toEqual({
      "x-amz-date": "20150830T123600Z",
      authorization: `${prefix}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    });
  });

  it("matches get-vanilla-query-order-key-case (the query is sorted before signing)", async () => {
    const url = "https://example.amazonaws.com/?Param2=value2&Param1=value1";
    const headers = await signAwsRequest({ method: "GET", url }, key, at);
    expect(headers.authorization).toBe(`${prefix}b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`);
  });
});

describe("SendGrid probe (GET /v3/scopes)", () => {
  it("accepts a key with the mail.send scope", async () => {
    expect(await probe("sendgrid", CREDS.sendgrid, standIn("sendgrid"))).toEqual({
      ok: true,
      detail: "the API key has the mail.send scope (5 scopes in all)",
    });
  });

  it("fails a valid key that may not send", async () => {
    expect(await probe("sendgrid", CREDS.sendgridReadOnly, standIn("sendgrid"))).toEqual({
      ok: false,
      detail: "the API key lacks the mail.send scope (it has 1); give it Mail Send access",
    });
  });

  it("reports a wrong key with SendGrid's reason", async () => {
    expect(await probe("sendgrid", { api_key: WRONG.sendgridKey }, standIn("sendgrid"))).toEqual({
      ok: false,
      detail: "credentials rejected (HTTP 401): The provided authorization grant is invalid, expired, or revoked",
    });
  });

  it("calls api.sendgrid.com with a bearer token when no base_url is set", async () => {
    const { fetcher, requests } = recordingFetch(200, { scopes: ["mail.send"] });
    expect((await probe("sendgrid", CREDS.sendgrid, {}, { fetch: fetcher })).ok).toBe(true);
    expect(requests.map((r) => r.url)).toEqual(["https://api.sendgrid.com/v3/scopes"]);
    expect(requests[0]!.headers.get("authorization")).toBe(`Bearer ${CREDS.sendgrid.api_key}`);
  });

  it("blanks out a secret that a provider echoes back", async () => {
    const { fetcher } = recordingFetch(401, { errors: [{ field: null, message: `key ${WRONG.sendgridKey} is revoked` }] });
    const result = await probe("sendgrid", { api_key: WRONG.sendgridKey }, {}, { fetch: fetcher });
    expect(result).toEqual({ ok: false, detail: "credentials rejected (HTTP 401): key [redacted] is revoked" });
  });
});

describe("Mailgun probe (GET /v3/domains/{domain})", () => {
  it("accepts a good key for an active domain", async () => {
    expect(await probe("mailgun", CREDS.mailgun, standIn("mailgun"))).toEqual({ ok: true, detail: "domain mg.flarecast.test is active" });
  });

  it("reports a wrong key", async () => {
    expect(await probe("mailgun", { ...CREDS.mailgun, api_key: WRONG.mailgunKey }, standIn("mailgun"))).toEqual({
      ok: false,
      detail: "credentials rejected (HTTP 401): Forbidden",
    });
  });

  it("reports a domain the account does not have, hinting at the other region", async () => {
    const result = await probe("mailgun", { ...CREDS.mailgun, domain: "other.example.com" }, standIn("mailgun"));
    expect(result).toEqual({
      ok: false,
      detail: "domain other.example.com not found in this Mailgun account's US region (HTTP 404); is it in the EU region?",
    });
  });

  it("fails a domain that is not active yet, naming its state", async () => {
    const result = await probe("mailgun", { ...CREDS.mailgun, domain: CREDS.mailgunUnverifiedDomain }, standIn("mailgun"));
    expect(result).toEqual({ ok: false, detail: "domain pending.flarecast.test is unverified; Mailgun sends only from active domains" });
  });

  it("calls the EU host for an EU domain, with basic auth as user api", async () => {
    const { fetcher, requests } = recordingFetch(200, { domain: { name: "mg.flarecast.test", state: "active" } });
    expect((await probe("mailgun", { ...CREDS.mailgun, region: "eu" }, {}, { fetch: fetcher })).ok).toBe(true);
    expect(requests.map((r) => r.url)).toEqual(["https://api.eu.mailgun.net/v3/domains/mg.flarecast.test"]);
    expect(requests[0]!.headers.get("authorization")).toBe(`Basic ${btoa(`api:${CREDS.mailgun.api_key}`)}`);
  });
});

describe("Postmark probe (GET /server, GET /message-streams/{id})", () => {
  it("accepts a good token and an existing stream", async () => {
    expect(await probe("postmark", CREDS.postmark, standIn("postmark"))).toEqual({
      ok: true,
      detail: 'server "Flarecast stand-in", message stream "outbound" (Transactional)',
    });
  });

  it("accepts a broadcasts stream and says so", async () => {
    const result = await probe("postmark", { ...CREDS.postmark, message_stream: CREDS.postmarkBroadcastStream }, standIn("postmark"));
    expect(result).toEqual({ ok: true, detail: 'server "Flarecast stand-in", message stream "newsletters" (Broadcasts)' });
  });

  it("checks the broadcasts stream too when the credentials name one", async () => {
    const both = await probe("postmark", { ...CREDS.postmark, broadcast_stream: CREDS.postmarkBroadcastStream }, standIn("postmark"));
    expect(both).toEqual({
      ok: true,
      detail: 'server "Flarecast stand-in", message stream "outbound" (Transactional), broadcasts stream "newsletters" (Broadcasts)',
    });
    const archived = await probe("postmark", { ...CREDS.postmark, broadcast_stream: CREDS.postmarkArchivedStream }, standIn("postmark"));
    expect(archived).toEqual({ ok: false, detail: 'server "Flarecast stand-in", but broadcasts stream "old-stream" is archived' });
  });

  it("reports a wrong token with Postmark's error code", async () => {
    expect(await probe("postmark", { ...CREDS.postmark, server_token: WRONG.postmarkToken }, standIn("postmark"))).toEqual({
      ok: false,
      detail: "credentials rejected (HTTP 401): Request does not contain a valid Server token. (Postmark error 10)",
    });
  });

  it("fails a stream the server does not have", async () => {
    const result = await probe("postmark", { ...CREDS.postmark, message_stream: "nope" }, standIn("postmark"));
    expect(result).toEqual({
      ok: false,
      detail:
        'server "Flarecast stand-in", but message stream "nope": unexpected answer (HTTP 422): The message stream for the provided \'ID\' was not found. (Postmark error 1226)',
    });
  });

  it("fails archived and inbound streams", async () => {
    const archived = await probe("postmark", { ...CREDS.postmark, message_stream: CREDS.postmarkArchivedStream }, standIn("postmark"));
    expect(archived).toEqual({ ok: false, detail: 'server "Flarecast stand-in", but message stream "old-stream" is archived' });
    const inbound = await probe("postmark", { ...CREDS.postmark, message_stream: "inbound" }, standIn("postmark"));
    expect(inbound.ok).toBe(false);
    expect(inbound.detail).toContain("is an inbound stream and cannot send");
  });

  it("calls api.postmarkapp.com with the token header and asks for JSON", async () => {
    const { fetcher, requests } = recordingFetch(200, { Name: "Main", MessageStreamType: "Transactional" });
    expect((await probe("postmark", CREDS.postmark, {}, { fetch: fetcher })).ok).toBe(true);
    expect(requests.map((r) => r.url)).toEqual([
      "https://api.postmarkapp.com/server",
      "https://api.postmarkapp.com/message-streams/outbound",
    ]);
    for (const request of requests) {
      expect(request.headers.get("x-postmark-server-token")).toBe(CREDS.postmark.server_token);
      expect(request.headers.get("accept")).toBe("application/json");
    }
  });
});

describe("SMTP probe (EHLO, AUTH, QUIT over cloudflare:sockets)", () => {
  const ports = inject("smtpStandInPorts");
  const smtp = (overrides: Partial<ProviderCredentials<"smtp">> = {}): ProviderCredentials<"smtp"> => ({
    host: "127.0.0.1",
    port: Number(env.TEST_SMTP_PORT),
    username: CREDS.smtp.username,
    password: CREDS.smtp.password,
    tls: "none",
    ...overrides,
  });

  it("logs in with AUTH PLAIN", async () => {
    expect(await probe("smtp", smtp())).toEqual({
      ok: true,
      detail: `authenticated as ${CREDS.smtp.username} at 127.0.0.1:${env.TEST_SMTP_PORT} with AUTH PLAIN over an unencrypted connection`,
    });
  });

  it("falls back to AUTH LOGIN where PLAIN is not offered", async () => {
    const result = await probe("smtp", smtp({ port: ports.loginOnly }));
    expect(result).toEqual({
      ok: true,
      detail: `authenticated as ${CREDS.smtp.username} at 127.0.0.1:${ports.loginOnly} with AUTH LOGIN over an unencrypted connection`,
    });
  });

  it.each([
    ["PLAIN", () => Number(env.TEST_SMTP_PORT)],
    ["LOGIN", () => ports.loginOnly],
  ])("reports the server's 535 for a wrong password (AUTH %s)", async (_mechanism, port) => {
    const result = await probe("smtp", smtp({ port: port(), password: WRONG.smtpPassword }));
    expect(result).toEqual({
      ok: false,
      detail: `127.0.0.1:${port()}: authentication rejected: 535 Authentication credentials invalid`,
    });
  });

  it("refuses to log in over plain text when tls is starttls and the server does not offer it", async () => {
    const result = await probe("smtp", smtp({ port: ports.loginOnly, tls: "starttls" }));
    expect(result).toEqual({ ok: false, detail: `127.0.0.1:${ports.loginOnly}: the server does not offer STARTTLS` });
  });

  // workerd checks a server's certificate against the public roots and NODE_EXTRA_CA_CERTS, where
  // vitest.config.ts adds the test CA that signed the trusted stand-ins' certificate. smtp-server's built-in
  // certificate is refused with "TLS handshake failed: invalid peer certificate:
  // Other(OtherError(UnsupportedCertVersion))"; workerd hands the Worker only "internal error" (STARTTLS) or
  // "proxy request failed, cannot connect to the specified address" (implicit TLS). These tests pin that a
  // refusal is a clean failure, and that a trusted certificate completes the login.
  it.each([
    ["STARTTLS", "starttls", () => ports.trustedStartTls],
    ["implicit TLS", "implicit", () => ports.trustedImplicitTls],
  ] as const)("logs in over %s with a trusted certificate", async (transport, tls, port) => {
    expect(await probe("smtp", smtp({ port: port(), tls }))).toEqual({
      ok: true,
      detail: `authenticated as ${CREDS.smtp.username} at 127.0.0.1:${port()} with AUTH PLAIN over ${transport}`,
    });
  });

  it("upgrades with STARTTLS and fails cleanly on a certificate the runtime does not trust", async () => {
    const result = await probe("smtp", smtp({ tls: "starttls" }));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      new RegExp(
        `^127\\.0\\.0\\.1:${env.TEST_SMTP_PORT}: the TLS handshake after STARTTLS failed; the certificate must be valid for 127\\.0\\.0\\.1 and publicly trusted \\(.+\\)$`,
      ),
    );
  });

  it("fails cleanly on an implicit-TLS server whose certificate the runtime does not trust", async () => {
    const result = await probe("smtp", smtp({ port: ports.implicitTls, tls: "implicit" }));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(new RegExp(`^127\\.0\\.0\\.1:${ports.implicitTls}: failed while connecting and negotiating TLS: .+`));
  });

  it("fails cleanly when nothing listens", async () => {
    const result = await probe("smtp", smtp({ port: ports.closed }));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(new RegExp(`^127\\.0\\.0\\.1:${ports.closed}: failed while connecting: .+`));
  });

  it("times out on a server that never greets", async () => {
    const result = await probe("smtp", smtp({ port: ports.silent }), {}, { timeoutMs: 300 });
    expect(result).toEqual({ ok: false, detail: `127.0.0.1:${ports.silent}: timed out after 300 ms while waiting for the greeting` });
  });
});

describe("capture probe", () => {
  it("is always ready: it only stores messages", async () => {
    expect(await probe("capture", {})).toEqual({ ok: true, detail: "stores messages locally; nothing is delivered" });
  });
});

describe("unreachable providers", () => {
  it("fails cleanly when nothing listens at base_url", async () => {
    const port = inject("smtpStandInPorts").closed;
    const result = await probe("sendgrid", CREDS.sendgrid, { base_url: `http://127.0.0.1:${port}` });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(new RegExp(`^could not reach 127\\.0\\.0\\.1:${port}: .+`));
  });

  it("gives up after the timeout when the provider does not answer", async () => {
    const result = await probe("postmark", CREDS.postmark, standIn("hang"), { timeoutMs: 300 });
    const host = new URL(env.TEST_PROVIDER_HTTP_URL).host;
    expect(result).toEqual({ ok: false, detail: `no answer from ${host} within 300 ms` });
  });
});
