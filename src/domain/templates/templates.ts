import { and, eq, or, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  type EmailTemplate,
  emailCampaigns,
  emailTemplates,
  emailTemplateVersions,
  type TemplateVariable,
  type Workspace,
} from "../../db/schema";
import { newId } from "../../lib/ids";
import { keysetPage, type Page } from "../../lib/pagination";
import { firstFreeSlug, slugify } from "../../lib/slug";
import { compileDesign } from "../builder/custom-blocks";
import type { Design } from "../builder/design-schema";
import { conflict, invalidField, notFound } from "../errors";
import { checkTemplateSyntax, type RenderedEmail, renderTemplate, variablesUsedBy } from "./render";
import { asTemplateValidationError } from "./template-errors";
import { type TemplateWarning, templateWarnings } from "./warnings";

type Category = EmailTemplate["category"];
type TemplateType = EmailTemplate["template_type"];

export interface NewTemplate {
  name: string;
  slug?: string;
  category: Category;
  template_type: TemplateType;
  subject_template: string;
  body_html?: string;
  body_text?: string | null;
  preview_text?: string | null;
  variables: TemplateVariable[];
  visual_definition?: Design | null;
  is_active: boolean;
}

export type TemplateChanges = Partial<NewTemplate>;

export type TemplateVersion = typeof emailTemplateVersions.$inferSelect;

const CONTENT_FIELDS = ["subject_template", "body_html", "body_text", "preview_text", "variables", "visual_definition"] as const;

/** A visual template's HTML is owned by its design: it is compiled, never accepted from the client. */
async function compiledBody(
  db: Database,
  workspaceId: string,
  type: TemplateType,
  design: Design | null | undefined,
  previewText: string | null | undefined,
  html?: string,
): Promise<string> {
  if (type !== "visual") return html ?? "";
  if (!design) throw invalidField("body", "visual_definition", "a visual template needs a visual_definition");
  return compileDesign(db, workspaceId, design, previewText, "visual_definition");
}

async function slugTaken(db: Database, workspaceId: string, slug: string, exceptId?: string): Promise<boolean> {
  const row = await db
    .select({ id: emailTemplates.id })
    .from(emailTemplates)
    .where(and(eq(emailTemplates.workspace_id, workspaceId), eq(emailTemplates.slug, slug)))
    .get();
  return row !== undefined && row.id !== exceptId;
}

const versionRow = (template: EmailTemplate) => ({
  id: newId("tpv"),
  workspace_id: template.workspace_id,
  template_id: template.id,
  version: template.version,
  subject_template: template.subject_template,
  body_html: template.body_html,
  body_text: template.body_text,
  preview_text: template.preview_text,
  variables: template.variables,
  visual_definition: template.visual_definition,
});

export async function createTemplate(db: Database, workspaceId: string, input: NewTemplate): Promise<EmailTemplate> {
  const body_html = await compiledBody(db, workspaceId, input.template_type, input.visual_definition, input.preview_text, input.body_html);
  const content = {
    subject_template: input.subject_template,
    body_html,
    body_text: input.body_text ?? null,
    preview_text: input.preview_text ?? null,
    variables: input.variables,
  };
  try {
    checkTemplateSyntax(content);
  } catch (err) {
    throw asTemplateValidationError(err, input.template_type);
  }

  let slug = input.slug;
  if (slug) {
    if (await slugTaken(db, workspaceId, slug)) throw conflict(`A template with slug "${slug}" already exists`);
  } else {
    slug = await firstFreeSlug(slugify(input.name, "template"), (s) => slugTaken(db, workspaceId, s));
  }

  const template: EmailTemplate = {
    id: newId("tpl"),
    workspace_id: workspaceId,
    name: input.name,
    slug,
    category: input.category,
    template_type: input.template_type,
    ...content,
    visual_definition: (input.visual_definition as Record<string, unknown> | undefined) ?? null,
    is_active: input.is_active,
    version: 1,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  };
  await db.batch([db.insert(emailTemplates).values(template), db.insert(emailTemplateVersions).values(versionRow(template))]);
  return template;
}

/**
 * A template by id or slug, as every `/templates/{template_id}` path names it. Ids (`tpl_…`) hold an underscore,
 * which no slug may, so one value never names two templates.
 */
export async function getTemplate(db: Database, workspaceId: string, idOrSlug: string): Promise<EmailTemplate> {
  const template = await db
    .select()
    .from(emailTemplates)
    .where(and(eq(emailTemplates.workspace_id, workspaceId), or(eq(emailTemplates.id, idOrSlug), eq(emailTemplates.slug, idOrSlug))))
    .get();
  if (!template) throw notFound("Template");
  return template;
}

export interface TemplateFilter {
  category?: Category;
  template_type?: TemplateType;
  is_active?: boolean;
}

export async function listTemplates(
  db: Database,
  workspaceId: string,
  filter: TemplateFilter,
  limit: number,
  cursor?: string,
): Promise<Page<EmailTemplate>> {
  const conditions: (SQL | undefined)[] = [
    eq(emailTemplates.workspace_id, workspaceId),
    filter.category ? eq(emailTemplates.category, filter.category) : undefined,
    filter.template_type ? eq(emailTemplates.template_type, filter.template_type) : undefined,
    filter.is_active === undefined ? undefined : eq(emailTemplates.is_active, filter.is_active),
  ];
  return keysetPage(
    (after) =>
      db
        .select()
        .from(emailTemplates)
        .where(and(...conditions, after)),
    {
      key: emailTemplates.id,
      limit,
      cursor,
    },
  );
}

/**
 * Applies a change. A change of content (subject, bodies, preview text, variables, design) creates the next
 * version and keeps the previous one readable; name, slug, category and is_active do not. The update is
 * conditional on the version read, so two concurrent edits cannot both claim the same next version.
 */
export async function updateTemplate(
  db: Database,
  workspaceId: string,
  idOrSlug: string,
  changes: TemplateChanges,
): Promise<EmailTemplate> {
  const current = await getTemplate(db, workspaceId, idOrSlug);
  const { id } = current;
  const type = changes.template_type ?? current.template_type;

  if (changes.body_html !== undefined && type === "visual") {
    throw conflict(
      "body_html of a visual template is compiled from its visual_definition; edit the design, or set template_type to code in the same request",
    );
  }
  const design = (changes.visual_definition !== undefined ? changes.visual_definition : current.visual_definition) as Design | null;
  const previewText = changes.preview_text !== undefined ? changes.preview_text : current.preview_text;
  const next = {
    ...current,
    ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
    template_type: type,
  } as EmailTemplate;
  next.body_html =
    type === "visual" ? await compiledBody(db, workspaceId, type, design, previewText) : (changes.body_html ?? current.body_html);
  next.visual_definition = design as Record<string, unknown> | null;
  try {
    checkTemplateSyntax(next);
  } catch (err) {
    throw asTemplateValidationError(err, type);
  }

  if (changes.slug && changes.slug !== current.slug && (await slugTaken(db, workspaceId, changes.slug, id))) {
    throw conflict(`A template with slug "${changes.slug}" already exists`);
  }

  const contentChanged = CONTENT_FIELDS.some((f) => JSON.stringify(next[f]) !== JSON.stringify(current[f]));
  next.version = contentChanged ? current.version + 1 : current.version;
  const { id: _id, workspace_id: _ws, created_at: _created, updated_at: _updated, ...set } = next;

  const update = db
    .update(emailTemplates)
    .set(set)
    .where(and(eq(emailTemplates.id, id), eq(emailTemplates.version, current.version)))
    .returning();
  const [updated] = contentChanged
    ? (await db.batch([update, db.insert(emailTemplateVersions).values(versionRow(next)).onConflictDoNothing()]))[0]
    : await update;
  if (!updated) throw conflict("The template was changed by another request; fetch it and try again");
  return updated;
}

/** Refused while a campaign uses the template: the campaign would lose the content it sends. */
export async function deleteTemplate(db: Database, workspaceId: string, idOrSlug: string): Promise<void> {
  const { id } = await getTemplate(db, workspaceId, idOrSlug);
  const user = await db
    .select({ id: emailCampaigns.id, name: emailCampaigns.name })
    .from(emailCampaigns)
    .where(and(eq(emailCampaigns.workspace_id, workspaceId), eq(emailCampaigns.template_id, id)))
    .get();
  if (user) throw conflict(`Campaign "${user.name}" (${user.id}) uses this template; deactivate it instead`);
  await db.delete(emailTemplates).where(and(eq(emailTemplates.workspace_id, workspaceId), eq(emailTemplates.id, id)));
}

/** Newest version first. */
export async function listVersions(
  db: Database,
  workspaceId: string,
  templateIdOrSlug: string,
  limit: number,
  cursor?: string,
): Promise<Page<TemplateVersion>> {
  const { id: templateId } = await getTemplate(db, workspaceId, templateIdOrSlug);
  return keysetPage(
    (after) =>
      db
        .select()
        .from(emailTemplateVersions)
        .where(and(eq(emailTemplateVersions.template_id, templateId), after)),
    { key: emailTemplateVersions.version, order: "desc", limit, cursor },
  );
}

export async function getVersion(db: Database, workspaceId: string, templateIdOrSlug: string, version: number): Promise<TemplateVersion> {
  const { id: templateId } = await getTemplate(db, workspaceId, templateIdOrSlug);
  const row = await db
    .select()
    .from(emailTemplateVersions)
    .where(
      and(
        eq(emailTemplateVersions.workspace_id, workspaceId),
        eq(emailTemplateVersions.template_id, templateId),
        eq(emailTemplateVersions.version, version),
      ),
    )
    .get();
  if (!row) throw notFound("Template version");
  return row;
}

export interface Preview extends RenderedEmail {
  warnings: TemplateWarning[];
}

/** Sample values for the variables the platform fills at send time, so a preview looks like a real send. */
export function sampleSystemContext(workspace: Pick<Workspace, "name" | "postal_address">, publicBaseUrl: string): Record<string, unknown> {
  const base = publicBaseUrl.replace(/\/$/, "");
  return {
    email: "recipient@example.com",
    recipient_name: "Alex Example",
    subscriber: { email: "recipient@example.com", name: "Alex Example", attributes: {} },
    unsubscribe_url: `${base}/preferences/preview-token/unsubscribe`,
    preferences_url: `${base}/preferences/preview-token`,
    postal_address: workspace.postal_address ?? "",
    workspace_name: workspace.name,
    campaign_name: "Preview",
    current_year: new Date().getUTCFullYear(),
  };
}

export async function previewTemplate(
  template: EmailTemplate,
  workspace: Workspace,
  context: Record<string, unknown>,
  publicBaseUrl: string,
): Promise<Preview> {
  const cacheKey = `${template.id}:${template.version}`;
  // A declared default is what the template's author wants shown when no recipient value exists, which a
  // preview's sample recipient is not; a value the caller gives still wins over both.
  const declaredDefaults = new Set(template.variables.filter((v) => v.default !== undefined).map((v) => v.name));
  const samples = Object.fromEntries(
    Object.entries(sampleSystemContext(workspace, publicBaseUrl)).filter(([name]) => !declaredDefaults.has(name)),
  );
  const rendered = await renderTemplate(template, { ...samples, ...context }, cacheKey).catch((err: unknown) => {
    throw asTemplateValidationError(err, template.template_type);
  });
  const warnings = templateWarnings({
    category: template.category,
    variables: template.variables,
    usedVariables: variablesUsedBy(template),
    missingVariables: rendered.missing_variables,
    renderedHtml: rendered.html,
    postalAddress: workspace.postal_address,
  });
  return { ...rendered, warnings };
}
