import { Parser } from "htmlparser2";
import type { TemplateVariable } from "../../db/schema";
import { SYSTEM_VARIABLES } from "./variables";

export interface TemplateWarning {
  code:
    | "missing_unsubscribe_link"
    | "missing_postal_address"
    | "image_without_alt"
    | "html_too_large"
    | "undeclared_variable"
    | "non_http_link"
    | "missing_required_variable";
  message: string;
}

/** Gmail clips messages whose HTML is larger than this, hiding the rest (and the unsubscribe link). */
export const GMAIL_CLIP_BYTES = 102 * 1024;

const UNSUBSCRIBE_REQUIRED = new Set(["marketing", "newsletter"]);
const ALLOWED_SCHEMES = /^(?:https?:|mailto:|tel:)/i;

interface HtmlFacts {
  links: { href: string; text: string }[];
  imagesWithoutAlt: string[];
}

function readHtml(html: string): HtmlFacts {
  const facts: HtmlFacts = { links: [], imagesWithoutAlt: [] };
  let openLink: { href: string; text: string } | null = null;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === "img" && attrs.alt === undefined) facts.imagesWithoutAlt.push(attrs.src ?? "(no src)");
        if (name === "a" && attrs.href !== undefined) {
          openLink = { href: attrs.href.trim(), text: "" };
          facts.links.push(openLink);
        }
      },
      ontext(text) {
        if (openLink) openLink.text += text;
      },
      onclosetag(name) {
        if (name === "a") openLink = null;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return facts;
}

export interface WarningInput {
  category: string;
  variables: readonly TemplateVariable[];
  usedVariables: readonly string[];
  missingVariables: readonly string[];
  renderedHtml: string;
  postalAddress: string | null;
}

/** What a sender should fix before this template reaches an inbox. */
export function templateWarnings(input: WarningInput): TemplateWarning[] {
  const warnings: TemplateWarning[] = [];
  const { links, imagesWithoutAlt } = readHtml(input.renderedHtml);
  const used = new Set(input.usedVariables);

  const hasUnsubscribe =
    used.has("unsubscribe_url") ||
    used.has("preferences_url") ||
    links.some((l) => /unsubscribe|preferences/i.test(l.href) || /unsubscribe/i.test(l.text));
  if (UNSUBSCRIBE_REQUIRED.has(input.category) && !hasUnsubscribe) {
    warnings.push({
      code: "missing_unsubscribe_link",
      message: `A ${input.category} email needs an unsubscribe link: add <a href="{{ unsubscribe_url }}">Unsubscribe</a>`,
    });
  }

  const firstAddressLine = input.postalAddress?.split("\n")[0]?.trim();
  if (!firstAddressLine) {
    warnings.push({
      code: "missing_postal_address",
      message: "The workspace has no postal address (CAN-SPAM requires one): set it with PATCH /workspaces/{ws}",
    });
  } else if (!used.has("postal_address") && !input.renderedHtml.includes(firstAddressLine)) {
    warnings.push({
      code: "missing_postal_address",
      message: "No physical postal address in the email (CAN-SPAM requires one): add {{ postal_address }} to the footer",
    });
  }

  for (const src of imagesWithoutAlt) {
    warnings.push({ code: "image_without_alt", message: `Image ${src} has no alt text` });
  }

  const bytes = new TextEncoder().encode(input.renderedHtml).length;
  if (bytes > GMAIL_CLIP_BYTES) {
    warnings.push({
      code: "html_too_large",
      message: `The HTML is ${Math.round(bytes / 1024)} KB; Gmail clips messages over 102 KB`,
    });
  }

  const declared = new Set([...input.variables.map((v) => v.name), ...SYSTEM_VARIABLES]);
  for (const name of input.usedVariables) {
    if (!declared.has(name)) {
      warnings.push({ code: "undeclared_variable", message: `{{ ${name} }} is used but not declared in variables` });
    }
  }

  for (const { href } of links) {
    if (!ALLOWED_SCHEMES.test(href)) {
      warnings.push({ code: "non_http_link", message: `Link "${href}" is not an http(s) URL` });
    }
  }

  for (const name of input.missingVariables) {
    warnings.push({ code: "missing_required_variable", message: `Required variable ${name} has no value` });
  }
  return warnings;
}
