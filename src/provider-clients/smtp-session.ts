import type { connect as Connect } from "cloudflare:sockets";
import { textToBase64 } from "../lib/encoding";

export type SmtpTls = "implicit" | "starttls" | "none";

/** One SMTP reply; a multi-line reply (`250-…` lines ending with `250 …`) keeps each line's text in order. */
export interface SmtpReply {
  code: number;
  lines: string[];
}

/**
 * Why a step failed: the server answered with a refusal (`reply` holds it), the network failed or timed out, or
 * the conversation cannot go on as configured or as SMTP requires (no STARTTLS, no usable AUTH, a refused
 * certificate, a malformed reply, a message over the server's SIZE limit).
 */
export type SmtpFailure = "reply" | "network" | "protocol";

/** The envelope commands and the message, which a send's failure is classified by. */
export type SmtpTransactionStep = "MAIL" | "RCPT" | "DATA" | "message";

/** A failed step of a session. Its message names the step and the server's reply, never what the client sent. */
export class SmtpError extends Error {
  readonly reply?: SmtpReply;
  readonly failure: SmtpFailure;
  /** Set when the failure came during a mail transaction. */
  readonly transactionStep?: SmtpTransactionStep;
  /**
   * The whole message and its final "." went out and no reply came back: the server may have queued the message,
   * so sending it again could deliver it twice.
   */
  readonly outcomeUnknown: boolean;

  constructor(
    message: string,
    details: { reply?: SmtpReply; failure?: SmtpFailure; transactionStep?: SmtpTransactionStep; outcomeUnknown?: boolean } = {},
  ) {
    super(message);
    this.name = "SmtpError";
    this.reply = details.reply;
    this.failure = details.failure ?? (details.reply ? "reply" : "protocol");
    this.transactionStep = details.transactionStep;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
  }
}

export interface SmtpEnvelope {
  from: string;
  to: string;
}

export interface SmtpSessionOptions {
  host: string;
  port: number;
  tls: SmtpTls;
  /** Bound on each step (connect, every reply), not on the whole session. */
  timeoutMs: number;
}

/** Sent with EHLO: a Worker has no host name of its own, and RFC 5321 then asks for an address literal. */
const EHLO_NAME = "[127.0.0.1]";

/** Longest reply line accepted; RFC 5321 allows 512 octets, the slack is for servers that exceed it. */
const MAX_LINE = 8192;

/** Wait for the reply to the final ".", whatever the step timeout: servers scan the message before they answer. */
const DATA_END_TIMEOUT_MS = 60_000;

const encoder = new TextEncoder();

/**
 * A client side of one SMTP conversation over a Workers TCP socket: greeting, EHLO, STARTTLS, AUTH and mail
 * transactions. The SMTP provider's probe and send drive it.
 */
export class SmtpSession {
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private decoder = new TextDecoder();
  private buffer = "";
  /** EHLO keywords (upper case) mapped to their parameters, from the latest EHLO. */
  extensions = new Map<string, string>();
  greeting: SmtpReply = { code: 0, lines: [] };
  /** Whether the conversation is encrypted, from the first byte or after STARTTLS. */
  encrypted: boolean;

  private constructor(
    private socket: Socket,
    private readonly options: SmtpSessionOptions,
  ) {
    this.reader = socket.readable.getReader();
    this.writer = socket.writable.getWriter();
    this.encrypted = options.tls === "implicit";
    ignoreClosed(socket);
  }

  /** Connects, reads the greeting and says EHLO; with tls "starttls" the session is encrypted before this returns. */
  static async open(options: SmtpSessionOptions): Promise<SmtpSession> {
    const secureTransport = ({ implicit: "on", starttls: "starttls", none: "off" } as const)[options.tls];
    // Loaded on first use: the OpenAPI export imports this module under Node, which has no cloudflare:sockets.
    const { connect }: { connect: typeof Connect } = await import("cloudflare:sockets");
    const socket = connect({ hostname: options.host, port: options.port }, { secureTransport, allowHalfOpen: false });
    const session = new SmtpSession(socket, options);
    try {
      // workerd reports a refused implicit-TLS handshake as a failed connection, like a refused connection.
      await session.step(socket.opened, options.tls === "implicit" ? "connecting and negotiating TLS" : "connecting");
      session.greeting = await session.expect([220], "waiting for the greeting");
      await session.ehlo();
      if (options.tls === "starttls") await session.startTls();
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  /** Authenticates with PLAIN, or with LOGIN where the server does not offer PLAIN. Returns the mechanism used. */
  async authenticate(username: string, password: string): Promise<"PLAIN" | "LOGIN"> {
    const offered = (this.extensions.get("AUTH") ?? "").toUpperCase().split(/\s+/).filter(Boolean);
    if (offered.includes("PLAIN")) {
      await this.authStep(`AUTH PLAIN ${textToBase64(`\u0000${username}\u0000${password}`)}`, 235);
      return "PLAIN";
    }
    if (offered.includes("LOGIN")) {
      await this.authStep("AUTH LOGIN", 334);
      await this.authStep(textToBase64(username), 334);
      await this.authStep(textToBase64(password), 235);
      return "LOGIN";
    }
    if (offered.length === 0) {
      const hint = this.encrypted ? "" : " (servers often offer it only over TLS)";
      throw new SmtpError(`the server does not offer AUTH${hint}`);
    }
    throw new SmtpError(`the server offers neither AUTH PLAIN nor AUTH LOGIN (it offers ${offered.join(", ")})`);
  }

  /**
   * One mail transaction: MAIL FROM, RCPT TO, DATA, then the message, dot-stuffed and ending in CRLF "." CRLF.
   * Where the server offers PIPELINING the three commands go out in one write and their replies are read in
   * order (RFC 2920); otherwise each waits for its reply. Resolves with the reply to the final ".".
   */
  async sendMail(envelope: SmtpEnvelope, message: string): Promise<SmtpReply> {
    const data = encoder.encode(transparentData(message));
    const limit = Number(this.extensions.get("SIZE") ?? 0);
    if (limit > 0 && data.length > limit) {
      throw new SmtpError(`the message is ${data.length} bytes and the server accepts at most ${limit}`, {
        failure: "protocol",
        transactionStep: "MAIL",
      });
    }
    const commands: [SmtpTransactionStep, string, number[]][] = [
      ["MAIL", `MAIL FROM:<${envelope.from}>${this.extensions.has("SIZE") ? ` SIZE=${data.length}` : ""}`, [250]],
      ["RCPT", `RCPT TO:<${envelope.to}>`, [250, 251]],
      ["DATA", "DATA", [354]],
    ];
    for (const [, line] of commands) assertCommandLine(line);

    if (this.extensions.has("PIPELINING")) {
      await this.write(commands.map(([, line]) => `${line}\r\n`).join(""), "sending the envelope");
      const replies: SmtpReply[] = [];
      const firstRefusal = () =>
        commands.findIndex(([, , codes], index) => index < replies.length && !codes.includes(replies[index]!.code));
      for (const [step] of commands) {
        try {
          replies.push(await this.read(`waiting for the ${step} reply`));
        } catch (error) {
          // A server that refused with 421 hangs up before the replies to what was pipelined behind; its refusal is the news.
          const refusal = firstRefusal();
          if (refusal >= 0) throw transactionRefusal(commands[refusal]![0], replies[refusal]!);
          throw error;
        }
      }
      const refusal = firstRefusal();
      if (refusal >= 0) {
        // A server that accepts DATA after refusing the envelope now expects a message; an empty one ends it.
        if (replies[2]!.code === 354) {
          await this.write(".\r\n", "ending the refused transaction")
            .then(() => this.read("ending the refused transaction"))
            .catch(() => undefined);
        }
        throw transactionRefusal(commands[refusal]![0], replies[refusal]!);
      }
    } else {
      for (const [step, line, codes] of commands) {
        await this.send(line);
        const reply = await this.read(`waiting for the ${step} reply`);
        if (!codes.includes(reply.code)) throw transactionRefusal(step, reply);
      }
    }

    await this.write(data, "sending the message");
    try {
      await this.write(".\r\n", "ending the message");
      // RFC 5321 §4.5.3.2.6 gives the server ten minutes here: it may be scanning the message before it answers.
      const reply = await this.read("waiting for the reply to the message", Math.max(this.options.timeoutMs, DATA_END_TIMEOUT_MS));
      if (reply.code !== 250) throw transactionRefusal("message", reply);
      return reply;
    } catch (error) {
      if (error instanceof SmtpError && error.reply) throw error;
      throw new SmtpError(`${errorText(error)}; the server may have accepted the message`, {
        failure: "network",
        transactionStep: "message",
        outcomeUnknown: true,
      });
    }
  }

  /** Ends the conversation politely when it can; a server that already hung up is not an error here. */
  async quit(): Promise<void> {
    try {
      await this.send("QUIT");
      await this.read("quitting");
    } catch {
      // The session is over either way.
    }
    await this.close();
  }

  async close(): Promise<void> {
    try {
      await this.socket.close();
    } catch {
      // Closing a socket that failed to open or was reset throws; there is nothing left to release.
    }
  }

  /** Sends one command line; CR and LF inside it would smuggle in a second command, so they are refused. */
  async send(line: string): Promise<void> {
    assertCommandLine(line);
    await this.write(`${line}\r\n`, "sending a command");
  }

  private async write(data: string | Uint8Array, what: string): Promise<void> {
    await this.step(this.writer.write(typeof data === "string" ? encoder.encode(data) : data), what);
  }

  /** Reads the next reply and insists on one of the given codes. */
  async expect(codes: number[], what: string): Promise<SmtpReply> {
    const reply = await this.read(what);
    if (!codes.includes(reply.code)) throw new SmtpError(`unexpected reply while ${what}: ${replyText(reply)}`, { reply });
    return reply;
  }

  /** Reads one whole reply, however many lines and network reads it spans. */
  async read(what: string, timeoutMs = this.options.timeoutMs): Promise<SmtpReply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine(what, timeoutMs);
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!match) throw new SmtpError(`malformed reply while ${what}`);
      const code = Number(match[1]);
      lines.push(match[3]);
      if (match[2] !== "-") return { code, lines };
    }
  }

  private async ehlo(): Promise<void> {
    await this.send(`EHLO ${EHLO_NAME}`);
    const reply = await this.expect([250], "waiting for the EHLO reply");
    this.extensions = new Map(
      reply.lines.slice(1).map((line) => {
        // Some old servers write "AUTH=LOGIN PLAIN"; the keyword ends at the first space or "=".
        const [, keyword, params = ""] = /^([A-Za-z0-9-]+)[ =]?(.*)$/.exec(line.trim()) ?? [undefined, line.trim(), ""];
        return [keyword!.toUpperCase(), params.trim()];
      }),
    );
  }

  /** Upgrades the connection and says EHLO again, since what the server offers may change once encrypted. */
  private async startTls(): Promise<void> {
    // Without STARTTLS on offer the password would cross the network in the clear; stop instead.
    if (!this.extensions.has("STARTTLS")) throw new SmtpError("the server does not offer STARTTLS");
    await this.send("STARTTLS");
    await this.expect([220], "waiting for the STARTTLS reply");
    // Bytes that arrived before the handshake were not protected by it (CVE-2011-0411-style injection).
    if (this.buffer.length > 0) throw new SmtpError("the server sent data before the TLS handshake");
    this.reader.releaseLock();
    this.writer.releaseLock();
    // workerd verifies the certificate against the host name given to connect() and its public trust roots.
    this.socket = this.socket.startTls();
    ignoreClosed(this.socket);
    this.reader = this.socket.readable.getReader();
    this.writer = this.socket.writable.getWriter();
    this.decoder = new TextDecoder();
    this.encrypted = true;
    try {
      await this.ehlo();
    } catch (error) {
      // A server's reply means the handshake worked. Otherwise the handshake (run lazily on the first write) failed,
      // and workerd reports a refused certificate only as an internal error.
      if (error instanceof SmtpError && error.reply) throw error;
      throw new SmtpError(
        `the TLS handshake after STARTTLS failed; the certificate must be valid for ${this.options.host} and publicly trusted (${errorText(error)})`,
      );
    }
  }

  private async authStep(line: string, code: 235 | 334): Promise<void> {
    await this.send(line);
    const reply = await this.read("authenticating");
    if (reply.code !== code) throw new SmtpError(`authentication rejected: ${replyText(reply)}`, { reply });
  }

  private async readLine(what: string, timeoutMs: number): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf("\n");
      if (end >= 0) {
        const line = this.buffer.slice(0, end).replace(/\r$/, "");
        this.buffer = this.buffer.slice(end + 1);
        return line;
      }
      if (this.buffer.length > MAX_LINE) throw new SmtpError(`reply line too long while ${what}`);
      const chunk = await this.step(this.reader.read(), what, timeoutMs);
      if (chunk.done) throw new SmtpError(`the server closed the connection while ${what}`, { failure: "network" });
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Bounds one network step by the session's timeout, and names the step in whatever the socket throws. */
  private async step<T>(promise: Promise<T>, what: string, timeoutMs = this.options.timeoutMs): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SmtpError(`timed out after ${timeoutMs} ms while ${what}`, { failure: "network" })), timeoutMs);
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (error) {
      throw error instanceof SmtpError ? error : new SmtpError(`failed while ${what}: ${errorText(error)}`, { failure: "network" });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** CR and LF inside a command would smuggle in a second command, so they are refused. */
function assertCommandLine(line: string): void {
  if (/[\r\n]/.test(line)) throw new SmtpError("refusing to send a command containing a line break");
}

function transactionRefusal(step: SmtpTransactionStep, reply: SmtpReply): SmtpError {
  const what = step === "message" ? "the message" : step;
  return new SmtpError(`the server refused ${what}: ${replyText(reply)}`, { reply, transactionStep: step });
}

/**
 * The message as DATA carries it (RFC 5321 §4.5.2): CRLF line endings, a "." doubled at the start of any line so
 * that no line of the message reads as the end of it, and a final CRLF before the terminating ".".
 */
export function transparentData(message: string): string {
  const crlf = message.replace(/\r\n|\r|\n/g, "\r\n");
  const terminated = crlf.endsWith("\r\n") ? crlf : `${crlf}\r\n`;
  return `\r\n${terminated}`.replaceAll("\r\n.", "\r\n..").slice(2);
}

export function replyText(reply: SmtpReply): string {
  return `${reply.code} ${reply.lines.join(" ")}`.trim().slice(0, 300);
}

/** A failed connection also rejects `closed`; the failure is reported through the step that saw it instead. */
function ignoreClosed(socket: Socket): void {
  socket.closed.catch(() => undefined);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
