import type { ProviderCredentials } from "./credentials";
import type { ProbeContext, ProbeResult } from "./probe";

/** The built-in capture provider has no remote side, so there is nothing that could fail. */
export async function probeCapture(_credentials: ProviderCredentials<"capture">, _context: ProbeContext): Promise<ProbeResult> {
  return { ok: true, detail: "stores messages locally; nothing is delivered" };
}
