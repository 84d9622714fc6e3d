// The benchmark newsletter: a hand-written ~10 KB HTML email (table layout, inline styles) with 20 distinct
// `{{ var }}` outputs, one `{% for %}` over 10 articles with 3 fields each, and a few `{% if %}`s.
import type { TemplateContent } from "../src/domain/templates/render";

const FONT = "font-family:Helvetica,Arial,sans-serif;";
const TABLE = 'role="presentation" cellpadding="0" cellspacing="0" border="0"';

const paragraph = (inner: string) => `<p style="margin:0 0 16px 0;${FONT}font-size:16px;line-height:24px;color:#334155;">${inner}</p>`;

const bodyHtml = `<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{{ company_name }} Weekly #{{ issue_number }}</title>
<style>
body{margin:0;padding:0;-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%;}
table{border-collapse:collapse;}
img{border:0;outline:none;text-decoration:none;}
@media only screen and (max-width:620px){
.container{width:100% !important;max-width:100% !important;}
.column{display:block !important;width:100% !important;max-width:100% !important;}
.fluid{width:100% !important;max-width:100% !important;height:auto !important;}
}
</style>
</head>
<body style="margin:0;padding:0;background-color:#eef2f7;">
<table ${TABLE} width="100%" style="width:100%;background-color:#eef2f7;">
<tr><td align="center" style="padding:24px 0;">
<table ${TABLE} class="container" width="600" style="width:600px;max-width:600px;background-color:#ffffff;${FONT}">
<tr><td style="padding:20px 32px;background-color:#0f172a;">
<table ${TABLE} width="100%"><tr>
<td style="${FONT}font-size:20px;font-weight:bold;color:#ffffff;">{{ company_name }}</td>
<td align="right" style="${FONT}font-size:13px;color:#cbd5e1;">Issue #{{ issue_number }} &middot; {{ issue_date }}</td>
</tr></table>
</td></tr>
<tr><td style="padding:0;">
<a href="{{ hero_link }}" target="_blank"><img src="{{ hero_image_url }}" alt="{{ headline }}" width="600" class="fluid" style="display:block;width:100%;max-width:600px;height:auto;border:0;"></a>
</td></tr>
<tr><td style="padding:32px 32px 8px 32px;">
<h1 style="margin:0 0 16px 0;${FONT}font-size:28px;line-height:34px;color:#0f172a;">{{ headline }}</h1>
${paragraph('Hi {{ first_name | default: "there" }},')}
${paragraph("{{ intro }}")}
${paragraph("Every week we collect the most useful reading for teams who run email at scale: deliverability, design, automation and the occasional story from the field. Here is what caught our attention this week.")}
</td></tr>
{% if credits_remaining < 100 %}
<tr><td style="padding:0 32px 16px 32px;">
<table ${TABLE} width="100%" style="width:100%;background-color:#fef3c7;border-left:4px solid #f59e0b;">
<tr><td style="padding:16px;${FONT}font-size:15px;line-height:22px;color:#78350f;">
<strong>Heads up:</strong> your {{ plan_name }} plan has {{ credits_remaining }} sending credits left and renews on {{ renewal_date }}. Top up before your next campaign so nothing is held back.
</td></tr>
</table>
</td></tr>
{% endif %}
<tr><td style="padding:8px 32px 0 32px;">
<h2 style="margin:0 0 12px 0;${FONT}font-size:20px;line-height:26px;color:#0f172a;border-bottom:2px solid #e2e8f0;padding-bottom:8px;">This week's reading</h2>
</td></tr>
{% for article in articles %}
<tr><td style="padding:12px 32px;{% unless forloop.last %}border-bottom:1px solid #e2e8f0;{% endunless %}">
<table ${TABLE} width="100%"><tr>
<td valign="top" width="36" style="width:36px;${FONT}font-size:20px;font-weight:bold;color:#2563eb;">{{ forloop.index }}</td>
<td valign="top" style="${FONT}">
<a href="{{ article.url }}" target="_blank" style="${FONT}font-size:17px;line-height:24px;font-weight:bold;color:#0f172a;text-decoration:none;">{{ article.title }}</a>
{% if article.summary %}<p style="margin:6px 0 0 0;${FONT}font-size:15px;line-height:22px;color:#475569;">{{ article.summary }}</p>{% endif %}
{% if forloop.first %}<p style="margin:6px 0 0 0;${FONT}font-size:12px;line-height:18px;color:#94a3b8;text-transform:uppercase;letter-spacing:1px;">Editor's pick</p>{% endif %}
</td>
</tr></table>
</td></tr>
{% endfor %}
<tr><td style="padding:24px 32px 0 32px;">
<table ${TABLE} width="100%" style="width:100%;">
<tr>
<td class="column" width="50%" valign="top" style="width:50%;padding:0 12px 0 0;">
<h3 style="margin:0 0 8px 0;${FONT}font-size:16px;line-height:22px;color:#0f172a;">Tip of the week</h3>
<p style="margin:0;${FONT}font-size:14px;line-height:21px;color:#475569;">Send your first campaign from a new domain to your most engaged segment only. Opens and replies in the first days teach mailbox providers that your mail is wanted; a cold list teaches them the opposite.</p>
</td>
<td class="column" width="50%" valign="top" style="width:50%;padding:0 0 0 12px;">
<h3 style="margin:0 0 8px 0;${FONT}font-size:16px;line-height:22px;color:#0f172a;">From the changelog</h3>
<p style="margin:0;${FONT}font-size:14px;line-height:21px;color:#475569;">Scheduled sends now follow each subscriber's time zone, bounces are classified as hard or soft within a minute, and the analytics page shows clicks per link and per device.</p>
</td>
</tr>
</table>
</td></tr>
<tr><td style="padding:16px 32px 0 32px;">
<table ${TABLE} width="100%" style="width:100%;border-top:1px solid #e2e8f0;border-bottom:1px solid #e2e8f0;">
<tr>
<td align="center" style="padding:12px 4px;${FONT}font-size:13px;"><a href="https://example.com/docs" style="color:#2563eb;text-decoration:none;">Docs</a></td>
<td align="center" style="padding:12px 4px;${FONT}font-size:13px;"><a href="https://example.com/status" style="color:#2563eb;text-decoration:none;">Status</a></td>
<td align="center" style="padding:12px 4px;${FONT}font-size:13px;"><a href="https://example.com/community" style="color:#2563eb;text-decoration:none;">Community</a></td>
<td align="center" style="padding:12px 4px;${FONT}font-size:13px;"><a href="https://example.com/weekly" style="color:#2563eb;text-decoration:none;">Past issues</a></td>
</tr>
</table>
</td></tr>
{% if event_name %}
<tr><td style="padding:24px 32px 8px 32px;">
<table ${TABLE} width="100%" style="width:100%;background-color:#eff6ff;border-radius:8px;">
<tr>
<td class="column" width="60%" valign="top" style="width:60%;padding:20px;${FONT}">
<h3 style="margin:0 0 8px 0;${FONT}font-size:18px;line-height:24px;color:#1e3a8a;">Meet us at {{ event_name }}</h3>
<p style="margin:0;${FONT}font-size:15px;line-height:22px;color:#1e40af;">{{ event_date }} in {{ event_city }}. Come say hello, see the new editor live and bring your hardest deliverability questions.</p>
</td>
<td class="column" width="40%" valign="middle" align="center" style="width:40%;padding:20px;">
<table ${TABLE} align="center"><tr>
<td align="center" bgcolor="#2563eb" style="border-radius:6px;background-color:#2563eb;">
<a href="{{ hero_link }}?ref={{ referral_code | url_encode }}" target="_blank" style="display:inline-block;padding:12px 24px;${FONT}font-size:15px;font-weight:bold;line-height:20px;color:#ffffff;text-decoration:none;border-radius:6px;">Book a slot</a>
</td></tr></table>
</td>
</tr>
</table>
</td></tr>
{% endif %}
<tr><td style="padding:24px 32px;">
${paragraph("Your account manager, {{ account_manager }}, reads every reply to this email. If something here was useful, or missing, just hit reply.")}
${paragraph('Invite a colleague with your referral code <strong style="color:#0f172a;">{{ referral_code | upcase }}</strong> and you both get a month of {{ plan_name }} on us.')}
<table ${TABLE} align="center" style="margin:0 auto;"><tr>
<td align="center" bgcolor="#16a34a" style="border-radius:6px;background-color:#16a34a;">
<a href="{{ hero_link }}" target="_blank" style="display:inline-block;padding:12px 28px;${FONT}font-size:16px;font-weight:bold;line-height:20px;color:#ffffff;text-decoration:none;border-radius:6px;">Read the full issue</a>
</td></tr></table>
</td></tr>
<tr><td style="padding:24px 32px;background-color:#f8fafc;border-top:1px solid #e2e8f0;">
<p style="margin:0 0 8px 0;${FONT}font-size:12px;line-height:18px;color:#64748b;text-align:center;">You receive {{ company_name }} Weekly at {{ email }} because you subscribed on our website.</p>
<p style="margin:0 0 8px 0;${FONT}font-size:12px;line-height:18px;color:#64748b;text-align:center;"><a href="{{ preferences_url }}" style="color:#64748b;text-decoration:underline;">Email preferences</a> &middot; <a href="{{ unsubscribe_url }}" style="color:#64748b;text-decoration:underline;">Unsubscribe</a></p>
<p style="margin:0;${FONT}font-size:12px;line-height:18px;color:#94a3b8;text-align:center;">{{ postal_address | newline_to_br }}</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;

const bodyText = `{{ company_name }} Weekly #{{ issue_number }} - {{ issue_date }}

{{ headline }}

Hi {{ first_name | default: "there" }},

{{ intro }}
{% if credits_remaining < 100 %}
Heads up: your {{ plan_name }} plan has {{ credits_remaining }} sending credits left and renews on {{ renewal_date }}.
{% endif %}
THIS WEEK'S READING
{% for article in articles %}
{{ forloop.index }}. {{ article.title }}
   {{ article.summary }}
   {{ article.url }}
{% endfor %}{% if event_name %}
Meet us at {{ event_name }}: {{ event_date }} in {{ event_city }}. Book a slot: {{ hero_link }}?ref={{ referral_code | url_encode }}
{% endif %}
Your account manager, {{ account_manager }}, reads every reply to this email.
Referral code: {{ referral_code | upcase }}

Read the full issue: {{ hero_link }}

You receive this at {{ email }}. Preferences: {{ preferences_url }}
Unsubscribe: {{ unsubscribe_url }}
{{ postal_address }}
`;

/** The 20 variables the body outputs (the loop's `articles` is the 21st declared variable). */
export const OUTPUT_VARIABLES = [
  "company_name",
  "issue_number",
  "issue_date",
  "hero_link",
  "hero_image_url",
  "headline",
  "first_name",
  "intro",
  "plan_name",
  "credits_remaining",
  "renewal_date",
  "event_name",
  "event_date",
  "event_city",
  "referral_code",
  "account_manager",
  "email",
  "preferences_url",
  "unsubscribe_url",
  "postal_address",
] as const;

export function newsletterContent(withBodyText: boolean): TemplateContent {
  return {
    subject_template: "{{ first_name | default: 'Hi' }}, {{ company_name }} Weekly #{{ issue_number }}: {{ headline }}",
    body_html: bodyHtml,
    body_text: withBodyText ? bodyText : null,
    preview_text: "{{ intro | truncate: 90 }}",
    variables: [
      ...OUTPUT_VARIABLES.map((name) => ({
        name,
        type: name === "credits_remaining" || name === "issue_number" ? ("number" as const) : ("string" as const),
        required: name === "email" || name === "unsubscribe_url",
        ...(name === "company_name" ? { default: "Flarecast" } : {}),
      })),
      { name: "articles", type: "list", required: true },
    ],
  };
}

const topics = [
  ["Warming up a new sending domain", "A week-by-week schedule that keeps Gmail and Outlook on your side."],
  ["Dark mode without the surprises", "Colours, logos and borders that survive every inbox theme."],
  ["The case for plain-text alternatives", "Why spam filters still read the text part, and what they look for."],
  ["Segmenting by engagement", "Stop sending to people who stopped opening, and watch placement recover."],
  ["One-click unsubscribe, explained", "What RFC 8058 asks of you and how to test it before February."],
  ["Writing subject lines people open", "Forty A/B tests, three patterns that kept winning."],
  ["Transactional vs. marketing streams", "Why they deserve separate domains, IPs and reputations."],
  ["Accessible emails in practice", "Semantic tables, alt text and contrast that screen readers thank you for."],
  ["Measuring beyond open rates", "Apple's privacy changes made opens noisy; clicks and replies are not."],
  ["A newsletter archive that ranks", "Turning every issue into a page search engines want to index."],
];

/** One recipient's variables; `i` varies the personal ones so no two renders are identical. */
export function newsletterContext(i: number): Record<string, unknown> {
  return {
    company_name: "Flarecast",
    issue_number: 142,
    issue_date: "November 28, 2026",
    hero_link: "https://example.com/weekly/142",
    hero_image_url: "https://cdn.example.com/weekly/142/hero.png",
    headline: "Deliverability, dark mode & the plain-text part",
    first_name: `Ada${i}`,
    intro:
      "This issue is about the parts of an email nobody sees until they break: the text alternative, the dark-mode palette and the reputation of the domain it comes from.",
    plan_name: "Growth",
    credits_remaining: 40 + (i % 100),
    renewal_date: "December 12, 2026",
    event_name: "MailConf Europe",
    event_date: "January 21, 2027",
    event_city: "Lisbon",
    referral_code: `ada-${i}-x7k`,
    account_manager: "Grace Hopper",
    email: `ada${i}@example.com`,
    preferences_url: `https://example.com/preferences/tok${i}`,
    unsubscribe_url: `https://example.com/preferences/tok${i}/unsubscribe`,
    postal_address: "Flarecast Inc.\n1 Market St\nSan Francisco, CA 94105",
    articles: topics.map(([title, summary], n) => ({
      title,
      url: `https://example.com/weekly/142/${n + 1}?utm_source=newsletter&utm_medium=email`,
      summary,
    })),
  };
}
