import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Server } from "node:net";
import { STAND_IN_CREDENTIALS as CREDS } from "./provider-credentials.ts";

/**
 * One HTTP server standing in for the APIs of SES, SendGrid, Mailgun and Postmark, each under its own path
 * prefix (/ses, /sendgrid, /mailgun, /postmark). Each checks a request the way its provider does and answers
 * with the provider's shapes, so the probes and sends are tested against the protocol rather than against
 * themselves. /hang accepts a request and never answers.
 *
 * Sends: each provider keeps what it accepted, readable at GET /<provider>/_sent?to=<address>. The recipient's
 * local part scripts a failure once the request passed the provider's checks: `throttle+N` → 429 asking to wait
 * N seconds, `flaky` → 503, `broken` → 500, `reject` → the provider's permanent refusal, `paused` → SES's
 * SendingPausedException (a refusal like `reject` elsewhere), `hang` → no answer at all. Wrong credentials get
 * the provider's 401/403.
 */
export async function startProviderHttpStandIn(port: number): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => route(req, res, Buffer.concat(chunks)));
  });
  await listen(server, port);
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

const PROVIDERS = ["ses", "sendgrid", "mailgun", "postmark"] as const;
type Provider = (typeof PROVIDERS)[number];

/** One message a provider accepted: the recipient, the id it answered with, the request as the provider read it. */
export interface AcceptedMessage {
  to: string;
  id: string;
  /** The whole MIME message, for the providers that take one (SES raw, Mailgun messages.mime). */
  raw: string | null;
  /** The JSON body (SES, SendGrid, Postmark) or the form fields other than the message file (Mailgun). */
  request: Record<string, unknown>;
  /** Request headers, lower-case names, credentials left out. */
  headers: Record<string, string>;
}

const accepted: Record<Provider, AcceptedMessage[]> = { ses: [], sendgrid: [], mailgun: [], postmark: [] };

function route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? "/", "http://stand-in");
  const [, provider = "", ...rest] = url.pathname.split("/");
  const subpath = `/${rest.join("/")}`;
  if (provider === "hang") return;
  if (!PROVIDERS.includes(provider as Provider)) return json(res, 404, { message: `no stand-in at ${url.pathname}` });
  if (req.method === "GET" && subpath === "/_sent") {
    const to = url.searchParams.get("to");
    return json(
      res,
      200,
      accepted[provider as Provider].filter((m) => to === null || m.to === to),
    );
  }
  if (req.method !== "GET" && req.method !== "POST") return json(res, 405, { message: "method not allowed" });
  const handled = (() => {
    switch (provider as Provider) {
      case "ses":
        return ses(req, res, body, subpath);
      case "sendgrid":
        return sendgrid(req, res, body, subpath);
      case "mailgun":
        return mailgun(req, res, body, subpath);
      case "postmark":
        return postmark(req, res, body, subpath);
    }
  })();
  Promise.resolve(handled).catch((error: unknown) => {
    if (!res.headersSent) json(res, 500, { message: `stand-in failure: ${error instanceof Error ? error.message : String(error)}` });
  });
}

type Script =
  | { kind: "throttle"; seconds: number }
  | { kind: "unavailable"; status: 500 | 503 }
  | { kind: "reject" }
  | { kind: "paused" }
  | { kind: "hang" };

/** The failure a recipient address asks for, by its local part (see the comment at the top). */
function scriptFor(address: string): Script | undefined {
  const [base = "", argument] = (address.split("@")[0] ?? "").toLowerCase().split("+");
  switch (base) {
    case "throttle":
      return { kind: "throttle", seconds: Number(argument) > 0 ? Number(argument) : 1 };
    case "flaky":
      return { kind: "unavailable", status: 503 };
    case "broken":
      return { kind: "unavailable", status: 500 };
    case "reject":
      return { kind: "reject" };
    case "paused":
      return { kind: "paused" };
    case "hang":
      return { kind: "hang" };
    default:
      return undefined;
  }
}

function keep(provider: Provider, req: IncomingMessage, message: Omit<AcceptedMessage, "headers">): void {
  const secretHeaders = new Set(["authorization", "x-postmark-server-token"]);
  const headers = Object.fromEntries(
    Object.entries(req.headers)
      .filter(([name]) => !secretHeaders.has(name))
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]),
  );
  accepted[provider].push({ ...message, headers });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The bare address of "Name <a@b>" or "a@b". */
function bareAddress(value: string): string {
  return (/<([^>]+)>\s*$/.exec(value)?.[1] ?? value).trim();
}

const randomHex = (bytes: number) => randomBytes(bytes).toString("hex");

function ses(req: IncomingMessage, res: ServerResponse, body: Buffer, subpath: string): void {
  const failure = verifySigV4(req, body);
  if (failure) return awsError(res, 403, failure.type, failure.message);
  if (req.method === "POST" && subpath === "/v2/email/outbound-emails") return sesSendEmail(req, res, body);
  if (req.method !== "GET" || subpath !== "/v2/email/account") return json(res, 404, { message: "Not Found" });
  return json(res, 200, {
    DedicatedIpAutoWarmupEnabled: false,
    EnforcementStatus: "HEALTHY",
    ProductionAccessEnabled: true,
    SendQuota: { Max24HourSend: 50000.0, MaxSendRate: 14.0, SentLast24Hours: 120.0 },
    SendingEnabled: true,
    SuppressionAttributes: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
  });
}

function awsError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  res.setHeader("x-amzn-errortype", `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/`);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  json(res, status, { message });
}

const SES_CONFIGURATION_SETS = new Set<string>([CREDS.sesConfigurationSet]);
const SES_TAG = /^[A-Za-z0-9_-]{1,256}$/;

/** SES v2 SendEmail with raw content, checked the way SES reads it. */
function sesSendEmail(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const request = parseJson(body);
  if (!isObject(request)) return awsError(res, 400, "BadRequestException", "Could not parse request body into json.");
  const raw = (request.Content as { Raw?: { Data?: unknown } } | undefined)?.Raw?.Data;
  if (typeof raw !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(raw)) {
    return awsError(res, 400, "BadRequestException", "Content.Raw.Data must be base64-encoded MIME.");
  }
  const mime = Buffer.from(raw, "base64").toString("utf8");
  if (!/^From:/im.test(mime.split("\r\n\r\n")[0] ?? "")) {
    return awsError(res, 400, "MessageRejected", "Illegal header: the message has no From header.");
  }
  const to = (request.Destination as { ToAddresses?: unknown } | undefined)?.ToAddresses;
  if (!Array.isArray(to) || to.length === 0 || !to.every((a) => typeof a === "string")) {
    return awsError(res, 400, "BadRequestException", "Destination.ToAddresses must list at least one address.");
  }
  const tags = request.EmailTags ?? [];
  if (
    !Array.isArray(tags) ||
    !tags.every(
      (t) => isObject(t) && typeof t.Name === "string" && SES_TAG.test(t.Name) && typeof t.Value === "string" && SES_TAG.test(t.Value),
    )
  ) {
    return awsError(
      res,
      400,
      "BadRequestException",
      "Tag names and values may only contain ASCII letters, digits, underscores and dashes.",
    );
  }
  const configurationSet = request.ConfigurationSetName;
  if (configurationSet !== undefined && !SES_CONFIGURATION_SETS.has(configurationSet as string)) {
    return awsError(res, 404, "NotFoundException", `Configuration set <${String(configurationSet)}> does not exist.`);
  }
  const recipient = to[0] as string;
  const script = scriptFor(recipient);
  switch (script?.kind) {
    case "hang":
      return;
    case "throttle":
      return awsError(res, 429, "TooManyRequestsException", "Maximum sending rate exceeded.", { "retry-after": String(script.seconds) });
    case "unavailable":
      return script.status === 503
        ? awsError(res, 503, "ServiceUnavailable", "Service is unavailable. Please try again later.")
        : awsError(res, 500, "InternalFailure", "The request processing has failed because of an unknown error.");
    case "reject":
      return awsError(
        res,
        400,
        "MessageRejected",
        `Email address is not verified. The following identities failed the check in region ${CREDS.ses.region.toUpperCase()}: ${recipient}`,
      );
    case "paused":
      return awsError(res, 400, "SendingPausedException", "Sending is paused for this account.");
  }
  const id = `0102019${randomHex(8)}-${randomUUID()}-000000`;
  keep("ses", req, { to: recipient, id, raw: mime, request });
  return json(res, 200, { MessageId: id });
}

interface SigV4Failure {
  type: string;
  message: string;
}

/**
 * Recomputes the request's SigV4 signature with the known secret, independently of the Worker's signer, and
 * reports what AWS would: an unknown key id, a wrong scope, a stale date or a signature that does not match.
 */
function verifySigV4(req: IncomingMessage, body: Buffer): SigV4Failure | undefined {
  const header = req.headers.authorization ?? "";
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (!match) return { type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" };
  const [, keyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  if (keyId !== CREDS.ses.access_key_id) {
    return { type: "UnrecognizedClientException", message: "The security token included in the request is invalid." };
  }
  if (service !== "ses") return { type: "SignatureDoesNotMatch", message: "Credential should be scoped to correct service: 'ses'." };
  if (region !== CREDS.ses.region) {
    return { type: "SignatureDoesNotMatch", message: `Credential should be scoped to a valid region. Region '${region}' is wrong.` };
  }
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
  if (!Number.isFinite(signedAt) || !amzDate.startsWith(date!) || Math.abs(Date.now() - signedAt) > 5 * 60_000) {
    return { type: "InvalidSignatureException", message: `Signature expired: ${amzDate} is not within five minutes of the server's time.` };
  }
  const names = signedHeaders!.split(";");
  if (!names.includes("host") || !names.includes("x-amz-date")) {
    return { type: "SignatureDoesNotMatch", message: "'Host' and 'X-Amz-Date' must be signed." };
  }
  const url = new URL(req.url ?? "/", "http://stand-in");
  const canonical = [
    req.method,
    url.pathname
      .split("/")
      .map((segment) => rfc3986(segment))
      .join("/"),
    [...url.searchParams]
      .map(([k, v]) => [rfc3986(k), rfc3986(v)])
      .sort(([ak, av], [bk, bv]) => (ak! === bk! ? (av! < bv! ? -1 : 1) : ak! < bk! ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join("&"),
    names.map((name) => `${name}:${headerValue(req, name)}\n`).join(""),
    signedHeaders,
    createHash("sha256").update(body).digest("hex"),
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`;
  let key: Buffer = createHmac("sha256", `AWS4${CREDS.ses.secret_access_key}`).update(date!).digest();
  for (const part of [region!, service!, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  const expected = createHmac("sha256", key).update(toSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, "hex"))) {
    return {
      type: "SignatureDoesNotMatch",
      message:
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    };
  }
  return undefined;
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return (Array.isArray(value) ? value.join(",") : (value ?? "")).trim().replace(/\s+/g, " ");
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sendgrid(req: IncomingMessage, res: ServerResponse, body: Buffer, subpath: string): void {
  const auth = req.headers.authorization;
  if (!auth) return json(res, 401, { errors: [{ field: null, message: "authorization required" }] });
  const token = auth.replace(/^Bearer /, "");
  const scopes =
    token === CREDS.sendgrid.api_key
      ? ["mail.send", "user.profile.read", "stats.read", "suppression.read", "asm.groups.read"]
      : token === CREDS.sendgridReadOnly.api_key
        ? ["user.profile.read"]
        : undefined;
  if (!scopes)
    return json(res, 401, { errors: [{ field: null, message: "The provided authorization grant is invalid, expired, or revoked" }] });
  if (req.method === "POST" && subpath === "/v3/mail/send") {
    if (!scopes.includes("mail.send")) return json(res, 403, { errors: [{ field: null, message: "access forbidden" }] });
    return sendgridMailSend(req, res, body);
  }
  if (req.method !== "GET" || subpath !== "/v3/scopes") return json(res, 404, { errors: [{ field: null, message: "resource not found" }] });
  return json(res, 200, { scopes });
}

/** Headers SendGrid writes itself and refuses in `headers`. */
const SENDGRID_RESERVED_HEADERS = [
  "x-sg-id",
  "x-sg-eid",
  "received",
  "dkim-signature",
  "content-type",
  "content-transfer-encoding",
  "to",
  "from",
  "subject",
  "reply-to",
  "cc",
  "bcc",
];

/** v3 mail/send, checked as SendGrid's validation does; every problem is one entry of `errors`. */
function sendgridMailSend(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const request = parseJson(body);
  if (!isObject(request)) return json(res, 400, { errors: [{ field: null, message: "Bad Request" }] });
  const errors: { field: string | null; message: string }[] = [];
  const personalizations = request.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    errors.push({
      field: "personalizations",
      message: "The personalizations field is required and must have at least one personalization.",
    });
  } else {
    personalizations.forEach((p, i) => {
      const to = isObject(p) ? p.to : undefined;
      if (!Array.isArray(to) || to.length === 0 || !to.every((a) => isObject(a) && typeof a.email === "string")) {
        errors.push({ field: `personalizations.${i}.to`, message: "The to array is required for all personalization objects." });
      }
      const customArgs = isObject(p) ? p.custom_args : undefined;
      if (customArgs !== undefined && (!isObject(customArgs) || !Object.values(customArgs).every((v) => typeof v === "string"))) {
        errors.push({ field: `personalizations.${i}.custom_args`, message: "Custom args values must be strings." });
      }
    });
  }
  if (!isObject(request.from) || typeof request.from.email !== "string") {
    errors.push({ field: "from.email", message: "The from object must be provided for every email send." });
  }
  if (typeof request.subject !== "string" || request.subject === "") {
    errors.push({ field: "subject", message: "The subject is required." });
  }
  const content = request.content;
  if (
    !Array.isArray(content) ||
    content.length === 0 ||
    !content.every((c) => isObject(c) && typeof c.type === "string" && typeof c.value === "string" && c.value !== "")
  ) {
    errors.push({ field: "content", message: "The content value must be a string at least one character in length." });
  } else if (content.length > 1 && (content[0] as { type: string }).type !== "text/plain") {
    errors.push({ field: "content.0.type", message: "The text/plain content type must be first, followed by any other content." });
  }
  const headers = request.headers;
  if (headers !== undefined) {
    if (!isObject(headers) || !Object.values(headers).every((v) => typeof v === "string")) {
      errors.push({ field: "headers", message: "Invalid type. Expected: object of strings." });
    } else {
      for (const name of Object.keys(headers)) {
        if (SENDGRID_RESERVED_HEADERS.includes(name.toLowerCase())) {
          errors.push({ field: `headers.${name}`, message: `The header ${name} is reserved and cannot be set.` });
        }
      }
    }
  }
  if (errors.length) return json(res, 400, { errors });
  const recipient = (personalizations as { to: { email: string }[] }[])[0]!.to[0]!.email;
  const script = scriptFor(recipient);
  switch (script?.kind) {
    case "hang":
      return;
    case "throttle":
      // SendGrid says when the window reopens (Unix seconds), not how long to wait.
      res.setHeader("x-ratelimit-limit", "600");
      res.setHeader("x-ratelimit-remaining", "0");
      res.setHeader("x-ratelimit-reset", String(Math.floor(Date.now() / 1000) + script.seconds));
      return json(res, 429, { errors: [{ field: null, message: "too many requests" }] });
    case "unavailable":
      return json(res, script.status, {
        errors: [{ field: null, message: script.status === 503 ? "Service Unavailable" : "Internal Server Error" }],
      });
    case "reject":
    case "paused":
      return json(res, 400, {
        errors: [
          {
            field: "personalizations.0.to.0.email",
            message: "Does not contain a valid address.",
            help: "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.personalizations.to",
          },
        ],
      });
  }
  const id = randomBytes(16).toString("base64url").slice(0, 22);
  keep("sendgrid", req, { to: recipient, id, raw: null, request });
  res.writeHead(202, { "x-message-id": id }).end();
}

async function mailgun(req: IncomingMessage, res: ServerResponse, body: Buffer, subpath: string): Promise<void> {
  const [scheme, encoded = ""] = (req.headers.authorization ?? "").split(" ");
  const decoded = scheme === "Basic" ? Buffer.from(encoded, "base64").toString("utf8") : "";
  if (decoded !== `api:${CREDS.mailgun.api_key}`) {
    res.writeHead(401, { "content-type": "text/plain" }).end("Forbidden");
    return;
  }
  const send = /^\/v3\/([^/]+)\/messages\.mime$/.exec(subpath);
  if (req.method === "POST" && send) return mailgunMessagesMime(req, res, body, decodeURIComponent(send[1]!));
  const match = /^\/v3\/domains\/([^/]+)$/.exec(subpath);
  if (req.method !== "GET" || !match) return json(res, 404, { message: "Not Found" });
  const name = decodeURIComponent(match[1]!);
  const state = mailgunDomainState(name);
  if (!state) return json(res, 404, { message: "Domain not found" });
  return json(res, 200, {
    domain: {
      created_at: "Tue, 14 Jan 2025 10:00:00 GMT",
      id: "6785f1c0a1b2c3d4e5f60718",
      is_disabled: false,
      name,
      require_tls: true,
      skip_verification: false,
      smtp_login: `postmaster@${name}`,
      spam_action: "disabled",
      state,
      type: "custom",
      web_prefix: "email",
      web_scheme: "https",
      wildcard: false,
    },
    receiving_dns_records: [
      { priority: "10", record_type: "MX", valid: state === "active" ? "valid" : "unknown", value: "mxa.mailgun.org" },
    ],
    sending_dns_records: [
      { record_type: "TXT", valid: state === "active" ? "valid" : "unknown", name, value: "v=spf1 include:mailgun.org ~all" },
    ],
  });
}

const mailgunDomainState = (name: string) =>
  name === CREDS.mailgun.domain ? "active" : name === CREDS.mailgunUnverifiedDomain ? "unverified" : undefined;

/** messages.mime: a multipart form with `to` and the MIME message as the `message` file. */
async function mailgunMessagesMime(req: IncomingMessage, res: ServerResponse, body: Buffer, domain: string): Promise<void> {
  if (mailgunDomainState(domain) === undefined) return json(res, 404, { message: `Domain not found: ${domain}` });
  const contentType = String(req.headers["content-type"] ?? "");
  if (!contentType.startsWith("multipart/form-data")) return json(res, 400, { message: "expected a multipart/form-data body" });
  const form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType } }).formData();
  const to = form.get("to");
  if (typeof to !== "string" || !to) return json(res, 400, { message: "'to' parameter is missing" });
  const file = form.get("message");
  if (file === null || typeof file === "string") return json(res, 400, { message: "'message' parameter is not a file" });
  const raw = await file.text();
  const recipient = bareAddress(to);
  const script = scriptFor(recipient);
  switch (script?.kind) {
    case "hang":
      return;
    case "throttle":
      res.setHeader("retry-after", String(script.seconds));
      return json(res, 429, { message: "Too many requests" });
    case "unavailable":
      return json(res, script.status, { message: script.status === 503 ? "Service Unavailable" : "Internal Server Error" });
    case "reject":
    case "paused":
      return json(res, 400, { message: "to parameter is not a valid address. please check documentation" });
  }
  const fields = Object.fromEntries(
    [...form.entries()].filter(([name]) => name !== "message").map(([name, value]) => [name, String(value)]),
  );
  const id = `${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}.${randomHex(8)}@${domain}`;
  keep("mailgun", req, { to: recipient, id, raw, request: fields });
  return json(res, 200, { id: `<${id}>`, message: "Queued. Thank you." });
}

const POSTMARK_STREAMS: Record<string, { type: string; archived: boolean }> = {
  [CREDS.postmark.message_stream]: { type: "Transactional", archived: false },
  [CREDS.postmarkBroadcastStream]: { type: "Broadcasts", archived: false },
  [CREDS.postmarkArchivedStream]: { type: "Transactional", archived: true },
  // Every Postmark server has a default broadcasts stream with this id.
  broadcast: { type: "Broadcasts", archived: false },
  inbound: { type: "Inbound", archived: false },
};

function postmark(req: IncomingMessage, res: ServerResponse, body: Buffer, subpath: string): void {
  if (req.headers["x-postmark-server-token"] !== CREDS.postmark.server_token) {
    return json(res, 401, { ErrorCode: 10, Message: "Request does not contain a valid Server token." });
  }
  if (req.method === "POST" && subpath === "/email") return postmarkEmail(req, res, body);
  if (req.method !== "GET") return json(res, 404, { ErrorCode: 404, Message: "Not found" });
  if (subpath === "/server") {
    return json(res, 200, {
      ID: 1234567,
      Name: "Flarecast stand-in",
      // The real answer lists the server's tokens; a probe must not echo them.
      ApiTokens: [CREDS.postmark.server_token],
      Color: "blue",
      SmtpApiActivated: true,
      RawEmailEnabled: false,
      DeliveryType: "Live",
      ServerLink: "https://account.postmarkapp.com/servers/1234567/streams",
      InboundAddress: "0123456789abcdef@inbound.postmarkapp.com",
      TrackOpens: false,
      TrackLinks: "None",
    });
  }
  const match = /^\/message-streams\/([^/]+)$/.exec(subpath);
  const id = match ? decodeURIComponent(match[1]!) : undefined;
  const stream = id === undefined ? undefined : POSTMARK_STREAMS[id];
  if (!stream) return json(res, 422, { ErrorCode: 1226, Message: "The message stream for the provided 'ID' was not found." });
  return json(res, 200, {
    ID: id,
    ServerID: 1234567,
    Name: id,
    Description: null,
    MessageStreamType: stream.type,
    CreatedAt: "2025-01-14T10:00:00-05:00",
    UpdatedAt: null,
    ArchivedAt: stream.archived ? "2025-02-01T10:00:00-05:00" : null,
    ExpectedPurgeDate: stream.archived ? "2025-03-03T10:00:00-05:00" : null,
    SubscriptionManagementConfiguration: { UnsubscribeHandlingType: "None" },
  });
}

const postmarkError = (res: ServerResponse, code: number, message: string) => json(res, 422, { ErrorCode: code, Message: message });

/** /email, checked as Postmark does: the addresses, a body, the stream, headers as Name/Value pairs, Metadata's limits. */
function postmarkEmail(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const request = parseJson(body);
  if (!isObject(request)) return postmarkError(res, 402, "Received invalid JSON input.");
  if (typeof request.From !== "string" || !request.From.includes("@")) return postmarkError(res, 300, "Invalid 'From' address.");
  if (typeof request.To !== "string" || !request.To.includes("@")) return postmarkError(res, 300, "Invalid 'To' address.");
  if (typeof request.HtmlBody !== "string" && typeof request.TextBody !== "string") {
    return postmarkError(res, 300, "Provide either email TextBody or HtmlBody or both.");
  }
  const streamId = request.MessageStream ?? "outbound";
  const stream = typeof streamId === "string" ? POSTMARK_STREAMS[streamId] : undefined;
  if (!stream || stream.archived || stream.type === "Inbound") {
    return postmarkError(res, 1235, `The 'MessageStream' provided does not exist on this server.`);
  }
  const headers = request.Headers ?? [];
  if (!Array.isArray(headers) || !headers.every((h) => isObject(h) && typeof h.Name === "string" && typeof h.Value === "string")) {
    return postmarkError(res, 300, "Headers must be a list of objects with Name and Value.");
  }
  const metadata = request.Metadata ?? {};
  if (
    !isObject(metadata) ||
    Object.keys(metadata).length > 10 ||
    !Object.entries(metadata).every(([k, v]) => k.length <= 20 && typeof v === "string" && v.length <= 80)
  ) {
    return postmarkError(res, 300, "Metadata allows at most 10 fields, names up to 20 characters and string values up to 80.");
  }
  const recipient = bareAddress(request.To);
  const script = scriptFor(recipient);
  switch (script?.kind) {
    case "hang":
      return;
    case "throttle":
      res.setHeader("retry-after", String(script.seconds));
      return json(res, 429, { ErrorCode: 429, Message: "Rate limit exceeded." });
    case "unavailable":
      return json(res, script.status, { Message: script.status === 503 ? "Service unavailable." : "Internal server error." });
    case "reject":
    case "paused":
      return postmarkError(
        res,
        406,
        `You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ${recipient}. Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression.`,
      );
  }
  const id = randomUUID();
  keep("postmark", req, { to: recipient, id, raw: null, request });
  return json(res, 200, { To: request.To, SubmittedAt: new Date().toISOString(), MessageID: id, ErrorCode: 0, Message: "OK" });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
