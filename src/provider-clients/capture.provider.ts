import { SendError } from "../domain/errors";
import type { ClientContext, ProbeResult, ProviderClient } from "./contract";
import type { ProviderCredentials } from "./credentials";

/** The built-in capture provider has no remote side, so there is nothing that could fail. */
export async function probeCapture(_credentials: ProviderCredentials<"capture">, _context: ClientContext): Promise<ProbeResult> {
  return { ok: true, detail: "stores messages locally; nothing is delivered" };
}

export const captureClient: ProviderClient<"capture"> = {
  type: "capture",
  probe: probeCapture,
  async send(message, _credentials, context) {
    if (!context.captureStore) throw new SendError("config", "the capture provider was given nowhere to store the message");
    return { providerMessageId: await context.captureStore.save(message) };
  },
  webhooks: null,
};
