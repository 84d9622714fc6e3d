import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Socket } from "node:net";
import { dkimVerify } from "mailauth/lib/dkim/verify";
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";
import { STAND_IN_CREDENTIALS as CREDS } from "./provider-credentials.ts";
import { listen } from "./provider-http.ts";

type Stop = () => Promise<void>;

/** One message as an SMTP stand-in received it. */
export interface ReceivedSmtpMessage {
  /** The port of the server that received it. */
  port: number;
  /** Whether the session was encrypted (STARTTLS or implicit TLS). */
  secure: boolean;
  mailFrom: string;
  /** The SIZE= the client declared with MAIL FROM, if any. */
  sizeParam: number | null;
  rcptTo: string[];
  /** How many network reads carried the MAIL, RCPT and DATA commands: 1 when the client pipelined them, else 3. */
  envelopeReads: number;
  /** The message as it arrived, dot-stuffing undone by the server. */
  raw: string;
  /** mailauth's verdict on the first DKIM signature; null when the message is unsigned. */
  dkim: { result: string; domain: string; selector: string; comment: string } | null;
}

/** Accepts only the known user; smtp-server replies 535 with the error's message to everyone else. */
function onAuth(
  auth: SMTPServerAuthentication,
  _session: unknown,
  callback: (err: Error | null, response?: { user: string }) => void,
): void {
  if (auth.username === CREDS.smtp.username && auth.password === CREDS.smtp.password) return callback(null, { user: auth.username });
  callback(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
}

/** Every message the SMTP stand-ins accepted (or took in before dropping the connection), oldest first. */
const received: ReceivedSmtpMessage[] = [];

/**
 * Failures scripted by the recipient's local part, before any "+tag": the test picks the server's answer by
 * the address it sends to.
 */
const RCPT_FAILURES: Record<string, { code: number; message: string }> = {
  tempfail: { code: 451, message: "4.3.0 Mailbox temporarily unavailable, try again later" },
  busy: { code: 421, message: "4.3.2 Service shutting down, closing transmission channel" },
  reject: { code: 550, message: "5.1.1 Mailbox does not exist" },
};
const MESSAGE_FAILURES: Record<string, { code: number; message: string }> = {
  "reject-message": { code: 554, message: "5.7.1 Message rejected as spam" },
};
/** Takes the whole message in, then closes the connection instead of answering the final ".". */
const DROP_AFTER_DATA = "drop-after-data";

const scriptOf = (address: string) => address.split("@")[0]!.split("+")[0]!.toLowerCase();

/**
 * A real SMTP server (the smtp-server package). Plain-text AUTH is allowed so the probe's tls "none" path works
 * locally; STARTTLS and implicit TLS use smtp-server's built-in self-signed certificate unless the options give
 * another. It keeps what it receives (see startReceivedMessagesEndpoint), verifying DKIM signatures on arrival
 * with mailauth against the keys published on the DoH stand-in, and answers the scripted failures above.
 */
export async function startSmtpServer(port: number, options: SMTPServerOptions = {}): Promise<Stop> {
  const server: SMTPServer = new SMTPServer({
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 100,
    banner: "Flarecast SMTP stand-in",
    size: 10 * 1024 * 1024,
    onAuth,
    onConnect(session, callback) {
      countEnvelopeReads(server, session);
      callback();
    },
    onRcptTo(address, _session, callback) {
      const failure = RCPT_FAILURES[scriptOf(address.address)];
      if (failure) return callback(Object.assign(new Error(failure.message), { responseCode: failure.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", async () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        const mailFrom = session.envelope.mailFrom || undefined;
        const size = mailFrom?.args ? Number(mailFrom.args.SIZE) : Number.NaN;
        received.push({
          port,
          secure: session.secure,
          mailFrom: mailFrom?.address ?? "",
          sizeParam: Number.isInteger(size) ? size : null,
          rcptTo: recipients,
          envelopeReads: envelopeReads.get(session.id) ?? 0,
          raw,
          dkim: await verifyDkim(raw),
        });
        const scripts = recipients.map(scriptOf);
        if (scripts.includes(DROP_AFTER_DATA)) return dropConnection(server, session);
        const failure = scripts.map((script) => MESSAGE_FAILURES[script]).find(Boolean);
        if (failure) return callback(Object.assign(new Error(failure.message), { responseCode: failure.code }));
        callback(null, "2.0.0 Ok: queued as STANDIN1");
      });
    },
    ...options,
  });
  // Clients that give up mid-conversation (the timeout tests) reset their connection; that is not a failure here.
  server.on("error", () => undefined);
  await listen(server.server, port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Per session: how many network reads carried MAIL, RCPT or DATA (one when the client pipelines them). */
const envelopeReads = new Map<string, number>();

/**
 * A client that waits for each reply cannot send RCPT before MAIL's reply, so its envelope arrives in three
 * reads; a pipelining client writes all three commands at once.
 */
function countEnvelopeReads(server: SMTPServer, session: SMTPServerSession): void {
  socketOf(server, session)?.on("data", (chunk: Buffer) => {
    if (/^(MAIL FROM:|RCPT TO:|DATA\r?$)/im.test(chunk.toString("latin1"))) {
      envelopeReads.set(session.id, (envelopeReads.get(session.id) ?? 0) + 1);
    }
  });
}

/** Closes the session's socket without a reply, as a server that crashed after reading the message would. */
function dropConnection(server: SMTPServer, session: SMTPServerSession): void {
  socketOf(server, session)?.destroy();
}

function socketOf(server: SMTPServer, session: SMTPServerSession): Socket | undefined {
  const { connections } = server as unknown as { connections: Set<{ id: string; _socket: Socket }> };
  return [...connections].find((connection) => connection.id === session.id)?._socket;
}

/**
 * mailauth's own verification, with DNS answered by the DoH stand-in, where the test published the sending
 * domain's DKIM key; null when the message carries no signature.
 */
async function verifyDkim(raw: string): Promise<ReceivedSmtpMessage["dkim"]> {
  const { results } = await dkimVerify(raw, { resolver: dohTxtResolver }).catch((error: Error) => ({
    results: [{ status: { result: "error", comment: error.message } }],
  }));
  const [first] = results as unknown as { signingDomain?: string; selector?: string; status: { result: string; comment?: string } }[];
  if (!first || first.status.result === "none") return null;
  return {
    result: first.status.result,
    domain: first.signingDomain ?? "",
    selector: first.selector ?? "",
    comment: first.status.comment ?? "",
  };
}

async function dohTxtResolver(name: string, type: string): Promise<string[][]> {
  const url = new URL(`http://127.0.0.1:${process.env.FLARECAST_DOH_PORT}/dns-query`);
  url.searchParams.set("name", name);
  url.searchParams.set("type", type);
  const answer = (await (await fetch(url, { headers: { accept: "application/dns-json" } })).json()) as { Answer?: { data: string }[] };
  const records = (answer.Answer ?? []).map((record) =>
    [...record.data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!.replace(/\\(.)/g, "$1")),
  );
  if (records.length === 0) throw Object.assign(new Error(`no ${type} record at ${name}`), { code: "ENOTFOUND" });
  return records;
}

/**
 * GET /messages?to=<address>: what the SMTP stand-ins received for that address, oldest first, as JSON. The tests
 * in workerd read it back through the port they get with `inject`.
 */
export async function startReceivedMessagesEndpoint(port: number): Promise<Stop> {
  const server = createHttpServer((req, res) => {
    const to = new URL(req.url ?? "/", "http://stand-in").searchParams.get("to")?.toLowerCase() ?? "";
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(received.filter((message) => message.rcptTo.some((address) => address.toLowerCase() === to))));
  });
  await listen(server, port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * A certificate for 127.0.0.1 signed by the test CA that vitest.config.ts makes workerd trust, so TLS sessions
 * complete. Made once with openssl (P-256, v3, valid for a century):
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out ca.pem -days 36500
 *     -subj "/CN=Flarecast test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
 *   openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server-key.pem -out server.csr -subj "/CN=127.0.0.1"
 *   openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -out server.pem -days 36499 -extfile <(printf
 *     "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost")
 * The CA's key was thrown away: nothing else can be signed with it.
 */
export function trustedCertificate(): Pick<SMTPServerOptions, "key" | "cert"> {
  const file = (name: string) => readFileSync(new URL(`./tls/${name}`, import.meta.url));
  return { key: file("server-key.pem"), cert: file("server.pem") };
}

/** Takes connections and never sends a greeting. */
export async function startSilentServer(port: number): Promise<Stop> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await listen(server, port);
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/**
 * A port nothing listens on and nothing will take: below Linux's ephemeral range (32768 and up), so a server that
 * asks for any free port, such as the workerd of another test file, is never given it. A port from `freePort` is
 * free only when it is chosen, and a connection to it that should be refused could reach whoever took it since.
 */
export async function refusedPort(from = 20_000): Promise<number> {
  for (let port = from; port < 32_768; port++) {
    const bound = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (bound) return port;
  }
  throw new Error(`no free port between ${from} and 32767`);
}

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
