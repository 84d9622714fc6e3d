import {
  claimReplayToken,
  enqueueProviderEvents,
  findWebhookProvider,
  MAX_WEBHOOK_BODY_BYTES,
  releaseReplayTokens,
  toProviderEvents,
  WEBHOOK_PROVIDER_TYPES,
  type WebhookProviderType,
} from "../../domain/webhooks-in/receive";
import { WebhookRejected } from "../../domain/webhooks-in/rejection";
import { createRouter } from "../../lib/create-app";
import { ApiError } from "../../lib/errors";
import { decodeUtf8, readBodyUpTo } from "../../lib/request-body";
import { clientFor } from "../../provider-clients/registry";
import { receiveProviderWebhook } from "./provider-webhooks.routes";

/** A refused webhook's answer: providers retry a 503 (a certificate host that did not answer) but not a 401 or 400. */
const REJECTION_PROBLEMS = { unauthenticated: "unauthorized", malformed: "bad_request", unavailable: "unavailable" } as const;

const isWebhookType = (type: string): type is WebhookProviderType => (WEBHOOK_PROVIDER_TYPES as readonly string[]).includes(type);

export const providerWebhooksRouter = createRouter().openapi(receiveProviderWebhook, async (c) => {
  const { provider_type: type, provider_id: providerId } = c.req.valid("param");
  const config = c.var.config;
  const provider = isWebhookType(type) ? await findWebhookProvider(c.var.db, { encryptionKey: config.ENCRYPTION_KEY }, providerId) : null;
  const webhooks = isWebhookType(type) ? clientFor(type).webhooks : null;
  if (!provider || provider.provider_type !== type || !webhooks || !isWebhookType(provider.provider_type)) {
    throw new ApiError("not_found", `No ${type} provider ${providerId}`);
  }

  const bytes = await readBodyUpTo(c.req.raw, MAX_WEBHOOK_BODY_BYTES);
  const text = decodeUtf8(bytes);
  const now = new Date();
  const claimedTokens: string[] = [];
  let received: Awaited<ReturnType<typeof webhooks.receive>>;
  try {
    received = await webhooks.receive(
      { headers: c.req.raw.headers, bytes, text },
      {
        signingKey: provider.signingKey,
        now,
        fetch: (input, init) => fetch(input, init),
        trustedCertHosts: config.SNS_TRUSTED_CERT_HOSTS,
        claimReplayToken: async (token) => {
          const claimed = await claimReplayToken(c.var.db, provider.id, token, now);
          if (claimed) claimedTokens.push(token);
          return claimed;
        },
      },
    );
  } catch (err) {
    if (!(err instanceof WebhookRejected)) throw err;
    if (err.kind !== "malformed") console.warn(`provider webhook ${provider.id}: refused: ${err.detail}`);
    throw new ApiError(REJECTION_PROBLEMS[err.kind], err.detail);
  }
  if (received.ignored.length > 0) {
    console.warn(`provider webhook ${provider.id}: ignored event kinds ${[...new Set(received.ignored)].join(", ")}`);
  }
  try {
    await enqueueProviderEvents(c.env.EVENT_QUEUE, toProviderEvents({ ...provider, provider_type: provider.provider_type }, received));
  } catch (err) {
    // The provider retries a failed delivery with the same signature: its token must not look replayed then.
    await releaseReplayTokens(c.var.db, provider.id, claimedTokens);
    throw err;
  }
  return c.json({ received: received.events.length, ignored: received.ignored.length }, 200);
});
