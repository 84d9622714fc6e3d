import type { RouteHandler } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { subscribers } from "../../db/schema";
import { normalizeEmail } from "../../domain/audience/emails";
import { createSubscriber } from "../../domain/audience/subscribers";
import { ConflictError, invalidField } from "../../domain/errors";
import { enrollSubscriber } from "../../domain/onboarding/enrollment";
import { cancelProgress, getProgress, listSubscriberProgress } from "../../domain/onboarding/progress";
import type { AppBindings } from "../../lib/create-app";
import type * as routes from "./onboarding.routes";
import { toProgressResponse } from "./onboarding.schemas";

/** The subscriber with this address, made (in no list) when there is none yet. */
async function subscriberByEmail(db: Database, workspaceId: string, raw: string): Promise<string> {
  const email = normalizeEmail(raw);
  if (!email) throw invalidField("body", "email", "must be an email address");
  const existing = () =>
    db
      .select({ id: subscribers.id })
      .from(subscribers)
      .where(and(eq(subscribers.workspace_id, workspaceId), eq(subscribers.email, email)))
      .get();
  const found = await existing();
  if (found) return found.id;
  try {
    return (await createSubscriber(db, workspaceId, { email })).id;
  } catch (error) {
    // Another request created the same address a moment ago: use theirs.
    const raced = error instanceof ConflictError ? await existing() : undefined;
    if (raced) return raced.id;
    throw error;
  }
}

export const enrollInFlow: RouteHandler<typeof routes.enrollInFlow, AppBindings> = async (c) => {
  const { db } = c.var;
  const workspaceId = c.var.workspace.id;
  const body = c.req.valid("json");
  const subscriberId = body.subscriber_id ?? (await subscriberByEmail(db, workspaceId, body.email as string));
  const { progress, created } = await enrollSubscriber(
    { db, env: c.env },
    workspaceId,
    { flow_id: c.req.valid("param").flow_id },
    { subscriber_id: subscriberId, enrolled_by: "api" },
    new Date(),
  );
  const response = toProgressResponse(await getProgress(db, workspaceId, progress.id));
  return created ? c.json(response, 201) : c.json(response, 200);
};

export const listSubscriberOnboarding: RouteHandler<typeof routes.listSubscriberOnboarding, AppBindings> = async (c) => {
  const rows = await listSubscriberProgress(c.var.db, c.var.workspace.id, c.req.valid("param").subscriber_id);
  return c.json({ data: rows.map(toProgressResponse) }, 200);
};

export const getOnboardingProgress: RouteHandler<typeof routes.getOnboardingProgress, AppBindings> = async (c) =>
  c.json(toProgressResponse(await getProgress(c.var.db, c.var.workspace.id, c.req.valid("param").progress_id)), 200);

export const cancelOnboardingProgress: RouteHandler<typeof routes.cancelOnboardingProgress, AppBindings> = async (c) => {
  const cancelled = await cancelProgress({ db: c.var.db, env: c.env }, c.var.workspace.id, c.req.valid("param").progress_id, new Date());
  return c.json(toProgressResponse(cancelled), 200);
};
