import { createServer, type Socket } from "node:net";
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerOptions } from "smtp-server";
import { STAND_IN_CREDENTIALS as CREDS } from "./provider-credentials.ts";
import { listen } from "./provider-http.ts";

type Stop = () => Promise<void>;

/** Accepts only the known user; smtp-server replies 535 with the error's message to everyone else. */
function onAuth(
  auth: SMTPServerAuthentication,
  _session: unknown,
  callback: (err: Error | null, response?: { user: string }) => void,
): void {
  if (auth.username === CREDS.smtp.username && auth.password === CREDS.smtp.password) return callback(null, { user: auth.username });
  callback(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
}

/**
 * A real SMTP server (the smtp-server package). Plain-text AUTH is allowed so the probe's tls "none" path works
 * locally; STARTTLS and implicit TLS use smtp-server's built-in self-signed certificate.
 */
export async function startSmtpServer(port: number, options: SMTPServerOptions = {}): Promise<Stop> {
  const server = new SMTPServer({
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 100,
    banner: "Flarecast SMTP stand-in",
    onAuth,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () => callback());
    },
    ...options,
  });
  // Clients that give up mid-conversation (the timeout tests) reset their connection; that is not a failure here.
  server.on("error", () => undefined);
  await listen(server.server, port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
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
