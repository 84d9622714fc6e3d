import { ApiError, type FieldError } from "./errors";

/**
 * The largest body a route that takes JSON reads (whatever its Content-Type). A template at its field limits (512 KiB of HTML and of text, up to 3 bytes
 * a character in UTF-8) and a bulk upsert of 1,000 subscribers with a few KB of attributes each both fit.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Arrays and objects nested in one another. The deepest legitimate body (a design's blocks, a segment's filters) is far shallower. */
export const MAX_JSON_DEPTH = 64;

const tooLarge = (limit: number) => new ApiError("content_too_large", `The body is larger than ${limit} bytes`);

/**
 * The whole body, refused as soon as it passes the limit: a declared Content-Length over it is refused unread, and a
 * body without one (chunked) is read only up to it.
 */
export async function readBodyUpTo(request: Request, limit: number): Promise<Uint8Array> {
  if (Number(request.headers.get("content-length")) > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("bad_request", "The body is not UTF-8 text");
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError("bad_request", `The body is not valid JSON: ${(err as Error).message}`);
  }
}

interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: string | number;
  depth: number;
}

const pathOf = (visit: Visit, last?: string) => {
  const keys: (string | number)[] = last === undefined ? [] : [last];
  for (let v: Visit | undefined = visit; v?.parent; v = v.parent) keys.unshift(v.key);
  return keys.join(".");
};

/**
 * The first thing in a parsed body that no schema should have to cope with: nesting deeper than MAX_JSON_DEPTH
 * (schema validation recurses, and overflows the stack long before JSON.parse does), or a `__proto__` key, which
 * JSON.parse keeps as an own property but any assignment-based copy (Object.assign, `obj[key] = value`) turns into
 * a prototype change. Walks with its own stack, so a body nested 100,000 deep is measured, not recursed into.
 */
export function findJsonHazard(root: unknown): FieldError | undefined {
  const stack: Visit[] = [{ value: root, parent: undefined, key: "", depth: 0 }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const { value } = visit;
    if (typeof value !== "object" || value === null) continue;
    const depth = visit.depth + 1;
    if (depth > MAX_JSON_DEPTH) {
      return { location: "body", path: pathOf(visit), message: `nests arrays and objects more than ${MAX_JSON_DEPTH} deep` };
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: visit, key: i, depth });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === "__proto__") return { location: "body", path: pathOf(visit, key), message: "a key named __proto__ is not allowed" };
      stack.push({ value: (value as Record<string, unknown>)[key], parent: visit, key, depth });
    }
  }
  return undefined;
}

/** A JSON body read within the limits: 413 over the size, 400 if it is not UTF-8 JSON, 422 if too deep or with `__proto__`. */
export async function readJsonBody(request: Request): Promise<string> {
  const text = decodeUtf8(await readBodyUpTo(request, MAX_BODY_BYTES));
  const value = parseJson(text);
  const hazard = findJsonHazard(value);
  if (hazard) throw new ApiError("validation_failed", `Invalid body: ${hazard.path ? `${hazard.path}: ` : ""}${hazard.message}`, [hazard]);
  return text;
}
