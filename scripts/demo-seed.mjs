// Fills the demo workspace that `npm start` creates with everything one campaign needs, through the public API:
// the built-in capture provider (nothing leaves the machine), a sending domain and identity, a template, a list of
// a few subscribers and a draft campaign. Idempotent: what the demo file already names is not made again.

const SUBSCRIBERS = [
  { email: "ada@example.com", name: "Ada Lovelace", attributes: { first_name: "Ada" } },
  { email: "grace@example.com", name: "Grace Hopper", attributes: { first_name: "Grace" } },
  { email: "alan@example.com", name: "Alan Turing", attributes: { first_name: "Alan" } },
];

const TEMPLATE = {
  name: "Welcome to the demo",
  subject_template: "Hello {{ first_name | default: 'there' }}, this is Flarecast",
  body_html:
    "<h1>Hello {{ first_name | default: 'there' }}!</h1><p>This message went through the capture provider: nothing left your machine.</p>" +
    '<p><a href="https://github.com/">Read the docs</a></p>' +
    '<p>{{ postal_address }}</p><p><a href="{{ preferences_url }}">Preferences</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
};

export async function seedDemo(base, demo) {
  const call = async (method, path, body) => {
    const res = await fetch(`${base}/workspaces/${demo.id}${path}`, {
      method,
      headers: { authorization: `Bearer ${demo.api_key}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const seeded = { ...(demo.seeded ?? {}) };
  seeded.provider_id ??= (
    await call("POST", "/email-infrastructure/providers", {
      name: "Capture (local)",
      provider_type: "capture",
      credentials: {},
      is_default: true,
    })
  ).id;
  if (!seeded.domain_id) {
    const domain = await call("POST", "/email-infrastructure/domains", {
      domain: "flarecast-demo.example.com",
      default_from_name: "Flarecast Demo",
    });
    seeded.domain_id = domain.id;
    seeded.identity_id = (
      await call("POST", "/email-infrastructure/identities", {
        domain_id: domain.id,
        email: "hello@flarecast-demo.example.com",
        is_default: true,
      })
    ).id;
  }
  seeded.template_id ??= (await call("POST", "/email-marketing/templates", TEMPLATE)).id;
  if (!seeded.list_id) {
    seeded.list_id = (await call("POST", "/email-marketing/lists", { name: "Demo readers" })).id;
    await call("POST", `/email-marketing/lists/${seeded.list_id}/subscribers`, { subscribers: SUBSCRIBERS });
  }
  seeded.campaign_id ??= (
    await call("POST", "/email-marketing/campaigns", { name: "Demo launch", template_id: seeded.template_id, list_id: seeded.list_id })
  ).id;
  return seeded;
}
