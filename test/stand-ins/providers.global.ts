import type { TestProject } from "vitest/node";
import type { SmtpStandInPorts } from "./provider-credentials.ts";
import { startProviderHttpStandIn } from "./provider-http.ts";
import {
  freePort,
  refusedPort,
  startReceivedMessagesEndpoint,
  startSilentServer,
  startSmtpServer,
  trustedCertificate,
} from "./provider-smtp.ts";

/**
 * Starts the local stand-ins of the email providers before the workers project: the HTTP APIs on
 * FLARECAST_PROVIDER_HTTP_PORT and a real SMTP server on FLARECAST_SMTP_PORT (both chosen by vitest.config.ts
 * and bound into the Worker), plus SMTP variants on ports of their own that the tests get through `inject`, and
 * an HTTP endpoint that lists what the SMTP servers received.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const httpPort = requiredPort("FLARECAST_PROVIDER_HTTP_PORT");
  const smtpPort = requiredPort("FLARECAST_SMTP_PORT");
  const ports: SmtpStandInPorts = {
    loginOnly: await freePort(),
    implicitTls: await freePort(),
    silent: await freePort(),
    closed: await refusedPort(),
    noPipelining: await freePort(),
    trustedStartTls: await freePort(),
    trustedImplicitTls: await freePort(),
    received: await freePort(),
  };
  const stops = await Promise.all([
    startProviderHttpStandIn(httpPort),
    startSmtpServer(smtpPort),
    startSmtpServer(ports.loginOnly, { authMethods: ["LOGIN"], hideSTARTTLS: true }),
    startSmtpServer(ports.implicitTls, { secure: true }),
    startSilentServer(ports.silent),
    startSmtpServer(ports.noPipelining, { hidePIPELINING: true, size: 50_000 }),
    startSmtpServer(ports.trustedStartTls, trustedCertificate()),
    startSmtpServer(ports.trustedImplicitTls, { secure: true, ...trustedCertificate() }),
    startReceivedMessagesEndpoint(ports.received),
  ]);
  project.provide("smtpStandInPorts", ports);
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

function requiredPort(name: string): number {
  const port = Number(process.env[name]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${name} is not set; vitest.config.ts chooses it`);
  return port;
}
