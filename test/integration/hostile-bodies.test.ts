import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { signPreferenceToken } from "../../src/domain/preferences/tokens";
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../../src/lib/request-body";
import { ADMIN_TOKEN, api, createWorkspace } from "../factories/api";
import { insertDomain } from "../factories/infrastructure";
import {
  admits,
  allowedTypes,
  deeplyNested,
  type Hints,
  type JsonOperation,
  type JsonSchema,
  jsonOperations,
  type Path,
  resolver,
  type Slot,
  sampleOf,
  selfNesting,
  slotsOf,
  VALUES_BY_TYPE,
  withValueAt,
} from "../fixtures/openapi-bodies";

type Mutation = "wrong_type" | "null" | "array_for_object" | "huge_string" | "odd_string" | "odd_number" | "prototype_keys" | "deep";

/**
 * Server errors the fuzzing finds in route or domain code outside the body gate, each pinned to its route, the kind of
 * body and the field. They are tolerated here only until their causes are fixed; then the entry goes. Empty: since the
 * body gate, thousands of runs have found none.
 */
const KNOWN_5XX: { route: string; mutation: Mutation; path: string; reason: string }[] = [];

const isKnown5xx = (op: JsonOperation, mutation: Mutation, path: Path) =>
  KNOWN_5XX.some((k) => k.route === routeOf(op) && k.mutation === mutation && k.path === path.join("."));

const routeOf = (op: JsonOperation) => `${op.method} ${op.path}`;
const PROBLEM = "application/problem+json";
const RANDOM_ID = "zz_01JD8Z6W3B2C4D5E6F7G8H9J0K";
const DEEP_MARKER = "\u0000deep\u0000";
const HUGE_NUMBER_MARKER = "\u0000huge-number\u0000";
const marker = (m: string) => JSON.stringify(m);
/** JSON Schema's maxLength, like zod's max, counts characters (code points), not UTF-16 units. */
const codePoints = (s: string) => [...s].length;

interface Ctx {
  doc: any;
  resolve: (s?: JsonSchema) => JsonSchema;
  operations: JsonOperation[];
  params: Record<string, string>;
  key: string;
  samples: Map<JsonOperation, unknown>;
  accepted: Set<string>;
}

let ctx: Ctx;

interface Sent {
  body?: BodyInit;
  contentType?: string | null;
}

async function send(op: JsonOperation, { body, contentType = "application/json" }: Sent) {
  const headers: Record<string, string> = { accept: "application/json" };
  if (op.security === "admin") headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  if (op.security === "workspace") headers.authorization = `Bearer ${ctx.key}`;
  if (contentType !== null) headers["content-type"] = contentType;
  const url = `http://flarecast.test${op.path.replaceAll(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(ctx.params[name] ?? RANDOM_ID))}`;
  const res = await exports.default.fetch(new Request(url, { method: op.method, headers, body }));
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, type, json: type.includes("json") && text ? JSON.parse(text) : undefined, text };
}

const describeResponse = (r: Awaited<ReturnType<typeof send>>) => `${r.status} ${r.type} ${r.text.slice(0, 300)}`;

const paramsIn = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

/** The param a collection's children are addressed by: /lists → list_id in /lists/{list_id}. */
function childParam(doc: any, collection: string): string | undefined {
  for (const path of Object.keys(doc.paths)) {
    const match = path.startsWith(`${collection}/{`) ? /^\{(\w+)\}/.exec(path.slice(collection.length + 1)) : null;
    if (match) return match[1];
  }
  return undefined;
}

/**
 * A fresh workspace with one of everything the JSON routes address: each route's sample body is sent once, in an
 * order where the ids it needs exist, and a created object's id fills the param of its children's paths.
 */
async function setUp(): Promise<Ctx> {
  const doc = await (await exports.default.fetch(new Request("http://flarecast.test/openapi.json"))).json<any>();
  const resolve = resolver(doc);
  const { workspace, key } = await createWorkspace({ name: "Fuzzed" });
  ctx = { doc, resolve, operations: jsonOperations(doc), params: { ws: workspace.id }, key, samples: new Map(), accepted: new Set() };
  let addresses = 0;
  const hints = new Proxy({} as Hints, {
    get: (_, name: string) =>
      name === "email" ? () => `fuzz-${++addresses}@example.com` : ctx.params[name] !== undefined ? () => ctx.params[name] : undefined,
  });

  const pending = new Set(ctx.operations);
  const sendSample = async (op: JsonOperation) => {
    pending.delete(op);
    ctx.samples.set(op, sampleOf(op.schema, resolve, hints));
    const res = await send(op, { body: JSON.stringify(ctx.samples.get(op)) });
    if (res.status >= 200 && res.status < 300) ctx.accepted.add(routeOf(op));
    const child = childParam(doc, op.path);
    if (op.method === "POST" && child && typeof res.json?.id === "string") ctx.params[child] ??= res.json.id;
  };
  const ready = (op: JsonOperation) => paramsIn(op.path).every((p) => ctx.params[p] !== undefined);
  for (let progress = true; progress; ) {
    progress = false;
    for (const op of [...pending].filter(ready)) {
      await sendSample(op);
      progress = true;
    }
  }
  await fillParamsFromLists();
  for (const op of [...pending]) await sendSample(op);
  return ctx;
}

/** Params no JSON route creates (a subscriber, a preference token): the first item of the collection, or a minted token. */
async function fillParamsFromLists() {
  for (const path of Object.keys(ctx.doc.paths)) {
    for (const [i, name] of paramsIn(path).entries()) {
      if (ctx.params[name] !== undefined || name === "token") continue;
      const collection = path.slice(0, path.indexOf(`/{${name}}`));
      if (paramsIn(collection).length !== i || !ctx.doc.paths[collection]?.get) continue;
      const res = await send(
        { method: "GET", path: collection, schema: {}, mediaTypes: [], required: false, security: "workspace" },
        { contentType: null },
      );
      const id = res.json?.data?.[0]?.id;
      if (typeof id === "string") ctx.params[name] = id;
    }
  }
  const subscriber = await env.DB.prepare("select id, preference_token from subscribers where workspace_id = ? limit 1")
    .bind(ctx.params.ws)
    .first<{ id: string; preference_token: string }>();
  if (subscriber) {
    ctx.params.token = await signPreferenceToken(
      { TRACKING_SIGNING_KEY: env.TRACKING_SIGNING_KEY },
      { workspaceId: ctx.params.ws, subscriberId: subscriber.id, preferenceToken: subscriber.preference_token, campaignId: null },
    );
  }
}

beforeAll(async () => {
  await setUp();
}, 60_000);

/** Runs a check on every JSON route and reports every route that failed it, not just the first. */
async function onEveryRoute(check: (op: JsonOperation) => Promise<string | undefined>) {
  const failures: string[] = [];
  for (const op of ctx.operations) {
    const failure = await check(op);
    if (failure) failures.push(`${routeOf(op)}: ${failure}`);
  }
  expect(failures).toEqual([]);
}

const expectProblem = (res: Awaited<ReturnType<typeof send>>, status: number, code: string) =>
  res.status === status && res.type === PROBLEM && res.json?.type === `urn:flarecast:problem:${code}` ? undefined : describeResponse(res);

describe("the fuzzing set-up", () => {
  it("finds the JSON routes in the OpenAPI document and gets most sample bodies accepted", () => {
    expect(ctx.operations.length).toBeGreaterThanOrEqual(25);
    // Mutations of an accepted body reach the handlers, so most routes must accept their sample for the fuzzing to bite.
    expect(ctx.accepted.size, `accepted: ${[...ctx.accepted].join(", ")}`).toBeGreaterThanOrEqual(Math.ceil(ctx.operations.length * 0.8));
  });
});

describe("a JSON route", { timeout: 60_000 }, () => {
  it("answers 415 to a body without a Content-Type, and to a required body that is missing", async () => {
    await onEveryRoute(async (op) => {
      // Bytes, not a string: a string body would get a default text/plain Content-Type.
      const withBody = await send(op, { body: new TextEncoder().encode(JSON.stringify(ctx.samples.get(op))), contentType: null });
      return expectProblem(withBody, 415, "unsupported_media_type");
    });
    await onEveryRoute(async (op) => {
      const empty = await send(op, { contentType: null });
      if (op.required) return expectProblem(empty, 415, "unsupported_media_type");
      return empty.status < 500 && empty.status !== 415 ? undefined : describeResponse(empty);
    });
  });

  it("answers 415 to a Content-Type it does not declare, naming the ones it takes", async () => {
    await onEveryRoute(async (op) => {
      const res = await send(op, { body: JSON.stringify(ctx.samples.get(op)), contentType: "text/plain" });
      return (
        expectProblem(res, 415, "unsupported_media_type") ??
        (res.json.errors?.[0]?.path === "content-type" && res.json.detail.includes("application/json") ? undefined : describeResponse(res))
      );
    });
  });

  it("answers 400 to a body that is not JSON or not UTF-8", async () => {
    await onEveryRoute(async (op) => expectProblem(await send(op, { body: '{"name": "Broken",' }), 400, "bad_request"));
    await onEveryRoute(async (op) => expectProblem(await send(op, { body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]) }), 400, "bad_request"));
  });

  it(`answers 413 to a body over ${MAX_BODY_BYTES} bytes, whether it declares its length or streams it`, async () => {
    const huge = JSON.stringify("x".repeat(MAX_BODY_BYTES));
    await onEveryRoute(async (op) => expectProblem(await send(op, { body: huge }), 413, "content_too_large"));
    const streamed = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent <= MAX_BODY_BYTES; sent += 65_536) controller.enqueue(new Uint8Array(65_536).fill(0x20));
          controller.close();
        },
      });
    await onEveryRoute(async (op) => expectProblem(await send(op, { body: streamed() }), 413, "content_too_large"));
  });

  it(`answers 422 to nesting deeper than ${MAX_JSON_DEPTH}, at the top and in every property, even 10,000 deep`, async () => {
    await onEveryRoute(async (op) => expectProblem(await send(op, { body: deeplyNested(10_000) }), 422, "validation_failed"));
    await onEveryRoute(async (op) => {
      const declared = Object.keys(ctx.resolve(op.schema).properties ?? {});
      const properties = declared.length > 0 ? declared : ["anything"];
      const body = `{${properties.map((p) => `${JSON.stringify(p)}:${deeplyNested(10_000)}`).join(",")}}`;
      return expectProblem(await send(op, { body }), 422, "validation_failed");
    });
    const shallowEnough = await send(ctx.operations[0], { body: deeplyNested(MAX_JSON_DEPTH) });
    expect(shallowEnough.json.errors?.[0]?.message ?? "").not.toMatch(/deep/);
  });

  it("answers 422, not a stack overflow, to a self-containing schema (blocks in blocks, filters in filters) nested 10,000 deep", async () => {
    let checked = 0;
    await onEveryRoute(async (op) => {
      const sample = ctx.samples.get(op);
      for (const slot of slotsOf(op.schema, sample, ctx.resolve)) {
        const nesting = slot.ref && selfNesting(slot.ref, ctx.resolve);
        if (!nesting) continue;
        checked += 1;
        const deep = `${nesting.open.repeat(10_000)}${nesting.leaf}${nesting.close.repeat(10_000)}`;
        const body = JSON.stringify(withValueAt(sample, slot.path, DEEP_MARKER)).replace(marker(DEEP_MARKER), deep);
        const failure = expectProblem(await send(op, { body }), 422, "validation_failed");
        if (failure) return `${slot.path.join(".")}: ${failure}`;
      }
      return undefined;
    });
    expect(checked).toBeGreaterThan(0);
  });

  it("answers 422 to a wrong type in each declared property, naming every one", async () => {
    await onEveryRoute(async (op) => {
      const properties = Object.entries<JsonSchema>(ctx.resolve(op.schema).properties ?? {});
      const body: Record<string, unknown> = {};
      for (const [name, schema] of properties) {
        const allowed = allowedTypes(schema, ctx.resolve);
        if (allowed && schema.$ref) allowed.add("null");
        const wrong =
          allowed &&
          Object.values(VALUES_BY_TYPE)
            .flat()
            .find((v) => !admits(allowed, v));
        if (wrong !== undefined) body[name] = wrong;
      }
      if (Object.keys(body).length === 0) return undefined;
      const res = await send(op, { body: JSON.stringify(body) });
      const named = new Set((res.json?.errors ?? []).map((e: { path: string }) => e.path.split(".")[0]));
      const unnamed = Object.keys(body).filter((name) => !named.has(name));
      return (
        expectProblem(res, 422, "validation_failed") ??
        (unnamed.length ? `not named: ${unnamed.join(", ")} in ${describeResponse(res)}` : undefined)
      );
    });
  });

  it("answers 422 to a __proto__ key anywhere, naming where it is", async () => {
    await onEveryRoute(async (op) => {
      const body = JSON.stringify(ctx.samples.get(op)).replace(/^\{/, '{"__proto__":{"polluted":"yes"},').replace(/,\}$/, "}");
      const res = await send(op, { body });
      return expectProblem(res, 422, "validation_failed") ?? (res.json.errors[0].path === "__proto__" ? undefined : describeResponse(res));
    });
  });
});

describe("hostile bodies, generated from each route's schema", () => {
  it("never get a 5xx, get a 4xx problem+json when they break the schema's types, and pollute no prototype", async () => {
    const prototypeKeysBefore = Object.getOwnPropertyNames(Object.prototype);
    const slots = new Map(ctx.operations.map((op) => [op, slotsOf(op.schema, ctx.samples.get(op), ctx.resolve)]));
    const oddStrings = [
      "\ud800",
      "\udfff\ud800",
      "\u0000",
      "a\u0000b",
      "\u202eevil",
      "\u200b",
      "\ufeff",
      "e\u0301\u0301\u0301",
      "🧨".repeat(500),
      "\uffff",
      "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
      "'; drop table subscribers; --",
      "{{ '' | append: x }}",
      "%s%n",
      "../../etc/passwd",
      '"quoted"\\',
    ];
    const oddNumbers = [1e308, -1e308, -0, 5e-324, 2 ** 53 + 1, 0.1 + 0.2, HUGE_NUMBER_MARKER];

    const arbitrary = fc.constantFrom(...ctx.operations).chain((op) =>
      fc.record({
        op: fc.constant(op),
        slot: fc.constantFrom(...(slots.get(op) as Slot[])),
        mutation: fc.constantFrom<Mutation>(
          "wrong_type",
          "wrong_type",
          "null",
          "array_for_object",
          "huge_string",
          "odd_string",
          "odd_number",
          "prototype_keys",
          "deep",
        ),
        pick: fc.nat(),
        hugeLength: fc.integer({ min: 1 << 20, max: (5 << 20) >> 1 }),
      }),
    );

    const failures: string[] = [];
    const seed = Date.now() % 2 ** 31;
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ op, slot, mutation, pick, hugeLength }) => {
        const sample = ctx.samples.get(op);
        const allowed = allowedTypes(slot.schema, ctx.resolve);
        if (slot.ref) allowed?.add("null");
        const at = (value: unknown) => withValueAt(sample, slot.path, value);
        let body: unknown;
        let violates = false;
        switch (mutation) {
          case "wrong_type": {
            const wrong =
              allowed &&
              Object.values(VALUES_BY_TYPE)
                .flat()
                .filter((v) => !admits(allowed, v));
            if (!wrong?.length) return;
            body = at(wrong[pick % wrong.length]);
            violates = true;
            break;
          }
          case "null":
            body = at(null);
            violates = allowed !== undefined && !allowed.has("null");
            break;
          case "array_for_object":
            body = at([sampleOf(slot.schema, ctx.resolve)]);
            violates = allowed !== undefined && !allowed.has("array");
            break;
          case "huge_string": {
            const value = ["x", "é", "🧨", "<"][pick % 4].repeat(hugeLength / 2);
            body = at(value);
            violates = allowed !== undefined && (!allowed.has("string") || (slot.schema.maxLength ?? Infinity) < codePoints(value));
            break;
          }
          case "odd_string": {
            const value = oddStrings[pick % oddStrings.length];
            body = at(value);
            violates =
              allowed !== undefined &&
              (!allowed.has("string") ||
                (slot.schema.maxLength ?? Infinity) < codePoints(value) ||
                (Array.isArray(slot.schema.enum) && !slot.schema.enum.includes(value)));
            break;
          }
          case "odd_number": {
            const value = oddNumbers[pick % oddNumbers.length];
            body = at(value);
            violates = allowed !== undefined && value !== HUGE_NUMBER_MARKER && !admits(allowed, value);
            break;
          }
          case "prototype_keys": {
            const proto = pick % 2 === 0;
            const keys = '"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}';
            body = at(JSON.parse(`{${proto ? '"__proto__":{"polluted":"yes"},' : ""}${keys}}`));
            violates = proto;
            break;
          }
          case "deep":
            body = at(DEEP_MARKER);
            violates = true;
            break;
        }
        const text = JSON.stringify(body)
          .replace(marker(DEEP_MARKER), deeplyNested(MAX_JSON_DEPTH + 8))
          .replace(marker(HUGE_NUMBER_MARKER), "-1e400");
        const res = await send(op, { body: text });
        const where = `${routeOf(op)} ${mutation} at "${slot.path.join(".")}"`;
        if (res.status >= 500) {
          if (!isKnown5xx(op, mutation, slot.path)) failures.push(`${where}: ${describeResponse(res)} for ${text.slice(0, 200)}`);
        } else if (violates && (res.status < 400 || res.type !== PROBLEM)) {
          failures.push(`${where} breaks the schema but got ${describeResponse(res)} for ${text.slice(0, 200)}`);
        } else if (res.status >= 400 && res.type !== PROBLEM) {
          failures.push(`${where}: ${describeResponse(res)}`);
        }
      }),
      { numRuns: 250, seed },
    );
    expect(failures, `seed ${seed}`).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeysBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 120_000);
});

// Found by a first user: the gate read the empty body to check it and left the route a consumed stream (a 500).
describe("bodiless POSTs", () => {
  it("answers a bare POST, without body or Content-Type, to a route whose body is optional like one with an empty body", async () => {
    const { workspace, key } = await createWorkspace();
    const created = await api(`/workspaces/${workspace.id}/email-marketing/subscribers`, {
      method: "POST",
      token: key,
      body: { email: "nobody@example.com" },
    });
    const domain = await insertDomain(workspace.id);
    const bare = (path: string, token?: string) =>
      exports.default.fetch(
        new Request(`http://flarecast.test${path}`, {
          method: "POST",
          headers: token ? { authorization: `Bearer ${token}` } : {},
          body: new ReadableStream({ start: (controller) => controller.close() }),
        }),
      );
    const unsubscribe = await bare(new URL(created.json.unsubscribe_url).pathname);
    // RFC 8058 senders post a form, but a bare POST is still the recipient's click.
    expect(unsubscribe.status).toBe(200);
    const pause = await bare(`/workspaces/${workspace.id}/email-infrastructure/domains/${domain.id}/warming/pause`, key);
    expect(pause.status, await pause.clone().text()).toBe(409);
    expect((await pause.json<{ detail: string }>()).detail).toMatch(/warming/);
  });
});
