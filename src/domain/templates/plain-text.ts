import { convert } from "html-to-text";

/** The text/plain alternative of an HTML email, for clients and filters that read it. */
export function htmlToPlainText(html: string): string {
  return convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: "a", options: { hideLinkHrefIfSameAsText: true } },
      { selector: "img", format: "skip" },
      { selector: "[style*='display:none']", format: "skip" },
      { selector: "[style*='display: none']", format: "skip" },
    ],
  }).trim();
}
