import { type Context, Drop, ForTag, type Template, TokenKind, toValue, toValueSync } from "liquidjs";
import { FAST_BRANCHES, FAST_OUTPUT, type FastNode, fastOperand } from "./fast-values";

/** Where a render writes: a string buffer that refuses to grow past the output bound. */
export interface Emitter {
  buffer: string;
  write(html: unknown): void;
}

/**
 * One node of a parsed template, turned once into a function that renders it. Walking liquidjs's node
 * classes on every render reads each node's shortcuts through megamorphic property lookups; a list of
 * closures per template list is read once and then only called.
 */
type Op = (ctx: Context, out: Emitter) => void;

const compiled = new WeakMap<Template[], Op[]>();

function opsOf(templates: Template[]): Op[] {
  let ops = compiled.get(templates);
  if (!ops) {
    ops = templates.map(compileNode);
    compiled.set(templates, ops);
  }
  return ops;
}

type Budget = { check(): void };
type ContextInternals = { renderLimit: Budget; breakCalled: boolean; continueCalled: boolean };

function runOps(ops: Op[], ctx: Context, out: Emitter): void {
  const internals = ctx as unknown as ContextInternals;
  const budget = internals.renderLimit;
  for (let i = 0; i < ops.length; i++) {
    budget.check();
    ops[i](ctx, out);
    if (internals.breakCalled || internals.continueCalled) break;
  }
}

/**
 * liquidjs's renderTemplates, sync and without generators. Installed on the engines' renderers, so the tags
 * that keep liquidjs's own render (assign, capture, case …) render their children through compiled ops too.
 */
export function renderTemplatesSync(templates: Template[], ctx: Context, out: Emitter): string {
  runOps(opsOf(templates), ctx, out);
  return out.buffer;
}

function compileNode(tpl: Template): Op {
  const fast = tpl as FastNode;
  const output = fast[FAST_OUTPUT];
  if (output) return (ctx, out) => out.write(output(ctx));
  const chooser = fast[FAST_BRANCHES];
  if (chooser) {
    const bodies = chooser.bodies.map(opsOf);
    return (ctx, out) => runOps(bodies[chooser.choose(ctx)], ctx, out);
  }
  if (tpl.token.kind === TokenKind.HTML) {
    const html = (tpl as unknown as { str: string }).str;
    return (_ctx, out) => out.write(html);
  }
  if (tpl instanceof ForTag) {
    const loop = compileFor(tpl);
    if (loop) return loop;
  }
  return (ctx, out) => {
    const html = toValueSync(tpl.render(ctx, out as never) as never);
    if (html) out.write(html);
  };
}

/** liquidjs's `forloop` object, field for field (its JSON, which `{{ forloop }}` prints, included). */
class Forloop extends Drop {
  i: number;
  length: number;
  name: string;
  constructor(length: number, collection: string, variable: string) {
    super();
    this.i = 0;
    this.length = length;
    this.name = `${variable}-${collection}`;
  }
  next() {
    this.i++;
  }
  index0() {
    return this.i;
  }
  index() {
    return this.i + 1;
  }
  first() {
    return this.i === 0;
  }
  last() {
    return this.i === this.length - 1;
  }
  rindex() {
    return this.length - this.i;
  }
  rindex0() {
    return this.length - this.i - 1;
  }
  override valueOf() {
    return JSON.stringify(this);
  }
}

/** liquidjs's toEnumerable: what a `for` tag iterates over for a given value. */
function toEnumerable(value: unknown): unknown[] {
  const v = toValue(value);
  if (Array.isArray(v)) return v;
  if (typeof v === "string") return v.length > 0 ? [v] : [];
  if (v !== null && (typeof v === "object" || typeof v === "function")) {
    if (Symbol.iterator in v) return Array.from(v as Iterable<unknown>);
    return Object.keys(v).map((key) => [key, (v as Record<string, unknown>)[key]]);
  }
  return [];
}

type ForInternals = {
  variable: string;
  collection: { getText(): string };
  hash: { hash: Record<string, unknown> };
  templates: Template[];
  elseTemplates: Template[];
};

/**
 * A `for` loop without offset, limit or reversed, over a plain variable or literal: liquidjs's ForTag.render
 * step for step (scope, forloop, the `continue` register that a later `offset: continue` reads, break and
 * continue), minus the generators.
 */
function compileFor(tag: ForTag): Op | null {
  const loop = tag as unknown as ForInternals;
  if (Object.keys(loop.hash.hash).length > 0) return null;
  const collection = fastOperand(loop.collection);
  if (!collection) return null;
  const body = opsOf(loop.templates);
  const otherwise = opsOf(loop.elseTemplates);
  const collectionText = loop.collection.getText();
  const continueKey = `continue-${loop.variable}-${collectionText}`;
  return (ctx, out) => {
    const items = toEnumerable(collection(ctx));
    if (!items.length) {
      runOps(otherwise, ctx, out);
      return;
    }
    ctx.setRegister(continueKey, items.length);
    const forloop = new Forloop(items.length, collectionText, loop.variable);
    const scope: Record<string, unknown> = Object.create(null);
    scope.forloop = forloop;
    ctx.push(scope);
    const internals = ctx as unknown as ContextInternals;
    for (const item of items) {
      scope[loop.variable] = item;
      internals.continueCalled = internals.breakCalled = false;
      runOps(body, ctx, out);
      if (internals.breakCalled) break;
      forloop.next();
    }
    internals.continueCalled = internals.breakCalled = false;
    ctx.pop();
  };
}
