// The benchmark design: 30 blocks in all (every block in the tree counts, containers, sections, columns and
// the blocks inside conditionals and loops included), using every block type, modelled on
// test/fixtures/designs.ts (copied, not imported, so the benchmark does not move when the fixture does).
import type { AnyBlock, Design } from "../src/domain/builder/design-schema";

export const thirtyBlockDesign: Design = {
  version: 1,
  settings: { backgroundColor: "#eef2f7", width: 600, fontFamily: "Helvetica, Arial, sans-serif" },
  blocks: [
    {
      type: "hero",
      props: {
        title: "Flarecast 2.0 is here",
        subtitle: "Everything you asked for, {{ recipient_name | default: 'friend' }}",
        buttonText: "See what's new",
        buttonHref: "https://example.com/releases/2.0?utm_source={{ campaign_name | url_encode }}",
        imageSrc: "https://example.com/hero.png",
        imageAlt: "A rocket leaving the launch pad",
        backgroundColor: "#1e3a8a",
      },
    },
    {
      type: "container",
      props: { backgroundColor: "#ffffff", padding: 8 },
      children: [
        { type: "header", props: { text: "What changed", level: 2 } },
        { type: "text", props: { text: "Hi <strong>{{ recipient_name }}</strong>, here is the short version." } },
        { type: "variable", props: { name: "account.plan", fallback: "Free" } },
        { type: "divider", props: { color: "#cbd5e1", thickness: 2 } },
        { type: "spacer", props: { height: 16 } },
      ],
    },
    {
      type: "section",
      props: { padding: 8 },
      children: [
        {
          type: "column",
          props: { width: 50 },
          children: [
            { type: "image", props: { src: "https://example.com/feature-1.png", alt: "The new editor", width: 600 } },
            { type: "text", props: { text: "A faster editor, with <em>undo</em> that remembers everything." } },
          ],
        },
        {
          type: "column",
          props: {},
          children: [
            {
              type: "image",
              props: { src: "https://example.com/feature-2.png", alt: "Smart routing", href: "https://example.com/routing" },
            },
            { type: "link", props: { text: "Read about routing", href: "https://example.com/routing" } },
          ],
        },
      ],
    },
    {
      type: "conditional",
      props: { condition: "has_trial" },
      children: [{ type: "text", props: { text: "Your trial ends on {{ trial_end_date }}." } }],
    },
    {
      type: "loop",
      props: { item: "feature", collection: "features", limit: 10 },
      children: [{ type: "text", props: { text: "<b>{{ feature.name }}</b>: {{ feature.description }}" } }],
    },
    { type: "header", props: { text: "Also new this month", level: 3, align: "left", color: "#0f172a" } },
    {
      type: "text",
      props: {
        text: "Scheduled sends now respect each subscriber's time zone, and the analytics page shows clicks per link.<br>Replies land in your shared inbox.",
        color: "#334155",
        fontSize: 15,
      },
    },
    {
      type: "container",
      props: { backgroundColor: "#f8fafc", padding: 16 },
      children: [
        { type: "text", props: { text: "Your plan: {{ account.plan | default: 'Free' }}. Credits left: {{ account.credits }}." } },
        {
          type: "link",
          props: { text: "See your usage", href: "https://example.com/usage?ws={{ workspace_name | url_encode }}", align: "right" },
        },
        { type: "image", props: { src: "https://example.com/usage-chart.png", alt: "Usage this month", width: 400, align: "center" } },
      ],
    },
    { type: "variable", props: { name: "recipient_name", fallback: "friend" } },
    { type: "button", props: { text: "Upgrade now", href: "https://example.com/upgrade", backgroundColor: "#16a34a" } },
    { type: "divider", props: {} },
    {
      type: "social",
      props: {
        links: [
          { network: "x", href: "https://x.com/flarecast" },
          { network: "github", href: "https://github.com/flarecast" },
          { network: "linkedin", href: "https://linkedin.com/company/flarecast" },
        ],
        align: "center",
      },
    },
    { type: "spacer", props: { height: 8 } },
    {
      type: "footer",
      props: { text: "You get this because you signed up at example.com.", includeUnsubscribe: true, includePostalAddress: true },
    },
  ],
};

export function countBlocks(blocks: readonly AnyBlock[]): number {
  return blocks.reduce((n, b) => n + 1 + ("children" in b ? countBlocks(b.children) : 0), 0);
}
