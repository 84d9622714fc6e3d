import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Server } from "node:net";
import { STAND_IN_CREDENTIALS as CREDS } from "./provider-credentials.ts";

/**
 * One HTTP server standing in for the APIs of SES, SendGrid, Mailgun and Postmark, each under its own path
 * prefix (/ses, /sendgrid, /mailgun, /postmark). Each checks a request the way its provider does and answers
 * with the provider's shapes, so the probes are tested against the protocol rather than against themselves.
 * /hang accepts a request and never answers.
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

function route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const path = new URL(req.url ?? "/", "http://stand-in").pathname;
  const [, provider = "", ...rest] = path.split("/");
  const subpath = `/${rest.join("/")}`;
  if (provider === "hang") return;
  if (req.method !== "GET") return json(res, 405, { message: "method not allowed" });
  switch (provider) {
    case "ses":
      return ses(req, res, body, subpath);
    case "sendgrid":
      return sendgrid(req, res, subpath);
    case "mailgun":
      return mailgun(req, res, subpath);
    case "postmark":
      return postmark(req, res, subpath);
    default:
      return json(res, 404, { message: `no stand-in at ${path}` });
  }
}

function ses(req: IncomingMessage, res: ServerResponse, body: Buffer, subpath: string): void {
  const failure = verifySigV4(req, body);
  if (failure) {
    res.setHeader("x-amzn-errortype", `${failure.type}:http://internal.amazon.com/coral/com.amazon.coral.service/`);
    return json(res, 403, { message: failure.message });
  }
  if (subpath !== "/v2/email/account") return json(res, 404, { message: "Not Found" });
  return json(res, 200, {
    DedicatedIpAutoWarmupEnabled: false,
    EnforcementStatus: "HEALTHY",
    ProductionAccessEnabled: true,
    SendQuota: { Max24HourSend: 50000.0, MaxSendRate: 14.0, SentLast24Hours: 120.0 },
    SendingEnabled: true,
    SuppressionAttributes: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
  });
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

function sendgrid(req: IncomingMessage, res: ServerResponse, subpath: string): void {
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
  if (subpath !== "/v3/scopes") return json(res, 404, { errors: [{ field: null, message: "resource not found" }] });
  return json(res, 200, { scopes });
}

function mailgun(req: IncomingMessage, res: ServerResponse, subpath: string): void {
  const [scheme, encoded = ""] = (req.headers.authorization ?? "").split(" ");
  const decoded = scheme === "Basic" ? Buffer.from(encoded, "base64").toString("utf8") : "";
  if (decoded !== `api:${CREDS.mailgun.api_key}`) {
    res.writeHead(401, { "content-type": "text/plain" }).end("Forbidden");
    return;
  }
  const match = /^\/v3\/domains\/([^/]+)$/.exec(subpath);
  if (!match) return json(res, 404, { message: "Not Found" });
  const name = decodeURIComponent(match[1]!);
  const state = name === CREDS.mailgun.domain ? "active" : name === CREDS.mailgunUnverifiedDomain ? "unverified" : undefined;
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

const POSTMARK_STREAMS: Record<string, { type: string; archived: boolean }> = {
  [CREDS.postmark.message_stream]: { type: "Transactional", archived: false },
  [CREDS.postmarkBroadcastStream]: { type: "Broadcasts", archived: false },
  [CREDS.postmarkArchivedStream]: { type: "Transactional", archived: true },
  inbound: { type: "Inbound", archived: false },
};

function postmark(req: IncomingMessage, res: ServerResponse, subpath: string): void {
  if (req.headers["x-postmark-server-token"] !== CREDS.postmark.server_token) {
    return json(res, 401, { ErrorCode: 10, Message: "Request does not contain a valid Server token." });
  }
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
