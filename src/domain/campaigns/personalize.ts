import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  type CampaignRecipient,
  type EmailCampaign,
  emailTemplates,
  emailTemplateVersions,
  type SendingDomain,
  type SendingIdentity,
  type Subscriber,
} from "../../db/schema";
import { LruCache } from "../../lib/lru-cache";
import { type ComposeInput, composeMessage } from "../../mail/compose";
import type { OutgoingMessage } from "../../provider-clients/contract";
import { sendingHost } from "../domains/sending-domains";
import { subscriberLinkPair, type UrlEnv } from "../preferences/tokens";
import { type RenderedEmail, renderTemplate, type TemplateContent } from "../templates/render";

export interface PinnedTemplate {
  cacheKey: string;
  content: TemplateContent;
}

/** Pinned versions per isolate: a version never changes, and every batch of a run asks for the same one. */
const pinnedVersions = new LruCache<Promise<PinnedTemplate | null>>(200);

/** A template version's content: the one a run pinned, or the template's latest for a send outside a run. */
export function loadTemplateVersion(db: Database, templateId: string, version: number | null): Promise<PinnedTemplate | null> {
  if (version === null) return readTemplateVersion(db, templateId, null);
  const key = `${templateId}:${version}`;
  const loading = pinnedVersions.getOrCreate(key, () => readTemplateVersion(db, templateId, version));
  loading.catch(() => pinnedVersions.delete(key));
  return loading;
}

async function readTemplateVersion(db: Database, templateId: string, version: number | null): Promise<PinnedTemplate | null> {
  const row = await db
    .select()
    .from(emailTemplateVersions)
    .where(
      and(eq(emailTemplateVersions.template_id, templateId), version === null ? undefined : eq(emailTemplateVersions.version, version)),
    )
    .orderBy(desc(emailTemplateVersions.version))
    .limit(1)
    .get();
  if (!row) return null;
  return {
    cacheKey: `${row.template_id}:${row.version}`,
    content: {
      subject_template: row.subject_template,
      body_html: row.body_html,
      body_text: row.body_text,
      preview_text: row.preview_text,
      variables: row.variables,
    },
  };
}

export async function latestTemplateVersion(db: Database, workspaceId: string, templateId: string) {
  const template = await db
    .select({ id: emailTemplates.id })
    .from(emailTemplates)
    .where(and(eq(emailTemplates.workspace_id, workspaceId), eq(emailTemplates.id, templateId)))
    .get();
  return template ? loadTemplateVersion(db, template.id, null) : null;
}

/** The values the platform fills at send time: the same names a template preview shows samples for. */
export interface SystemValues {
  recipient_name: string | null;
  email: string;
  subscriber: { email: string; name: string | null; attributes: Record<string, unknown> };
  unsubscribe_url: string;
  preferences_url: string;
  postal_address: string;
  workspace_name: string;
  campaign_name: string;
  current_year: number;
}

export interface SendingWorkspace {
  id: string;
  name: string;
  postal_address: string | null;
}

export async function systemValues(
  env: UrlEnv,
  workspace: SendingWorkspace,
  subscriber: Pick<Subscriber, "id" | "preference_token" | "email" | "name" | "attributes">,
  campaign: Pick<EmailCampaign, "id" | "name">,
  recipient: { email: string; name: string | null },
  now: Date,
): Promise<SystemValues> {
  const links = await subscriberLinkPair(env, { workspaceId: workspace.id, subscriber, campaignId: campaign.id });
  return {
    recipient_name: recipient.name,
    email: recipient.email,
    subscriber: { email: subscriber.email, name: subscriber.name, attributes: subscriber.attributes },
    unsubscribe_url: links.unsubscribe,
    preferences_url: links.preferences,
    postal_address: workspace.postal_address ?? "",
    workspace_name: workspace.name,
    campaign_name: campaign.name,
    current_year: now.getUTCFullYear(),
  };
}

/**
 * The values a recipient's email is rendered with, weakest first: the template's variable defaults (applied by
 * the renderer), the campaign's template_context, the subscriber's attributes, the recipient's own context
 * (a trigger's), then the system values, which nothing may override.
 */
export function renderContext(
  campaign: Pick<EmailCampaign, "template_context">,
  subscriber: Pick<Subscriber, "attributes"> | null,
  recipientContext: Record<string, unknown>,
  system: SystemValues,
): Record<string, unknown> {
  return { ...campaign.template_context, ...(subscriber?.attributes ?? {}), ...recipientContext, ...system };
}

export interface Sender {
  from: { email: string; name?: string };
  replyTo?: string;
}

/**
 * From and Reply-To: the campaign's own when set (its From address only when it is on the domain the route
 * chose, since mail must be sent from the domain that signs it), else the identity's, else the domain's defaults.
 */
export function senderFor(
  campaign: Pick<EmailCampaign, "from_name" | "from_email" | "reply_to">,
  identity: SendingIdentity,
  domain: SendingDomain,
): Sender {
  const host = sendingHost(domain).toLowerCase();
  const campaignFrom = campaign.from_email?.toLowerCase().endsWith(`@${host}`) ? campaign.from_email : null;
  const name = campaign.from_name ?? identity.display_name ?? domain.default_from_name ?? undefined;
  const replyTo = campaign.reply_to ?? identity.reply_to ?? domain.default_reply_to ?? undefined;
  return { from: { email: campaignFrom ?? identity.email, ...(name ? { name } : {}) }, ...(replyTo ? { replyTo } : {}) };
}

export interface MessageParts {
  rendered: RenderedEmail;
  sender: Sender;
  domain: SendingDomain;
  recipient: Pick<CampaignRecipient, "id" | "email" | "recipient_name">;
  campaign: Pick<EmailCampaign, "id" | "workspace_id">;
  unsubscribeUrl: string;
  stream: OutgoingMessage["stream"];
  now: Date;
  subjectPrefix?: string;
  extraHeaders?: Record<string, string>;
}

export async function render(template: PinnedTemplate, context: Record<string, unknown>): Promise<RenderedEmail> {
  return renderTemplate(template.content, context, template.cacheKey);
}

export function buildMessage(parts: MessageParts): OutgoingMessage {
  const input: ComposeInput = {
    date: parts.now,
    sendingDomain: sendingHost(parts.domain),
    from: parts.sender.from,
    replyTo: parts.sender.replyTo,
    to: { email: parts.recipient.email, ...(parts.recipient.recipient_name ? { name: parts.recipient.recipient_name } : {}) },
    subject: `${parts.subjectPrefix ?? ""}${parts.rendered.subject}`,
    html: parts.rendered.html,
    text: parts.rendered.text,
    unsubscribeUrl: parts.unsubscribeUrl,
    tags: { workspace_id: parts.campaign.workspace_id, campaign_id: parts.campaign.id, recipient_id: parts.recipient.id },
    stream: parts.stream,
    extraHeaders: parts.extraHeaders,
  };
  return composeMessage(input);
}
