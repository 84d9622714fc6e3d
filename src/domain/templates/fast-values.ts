import { type Context, Drop, IfTag, isTruthy, Output, type Template, toValueSync, UnlessTag, Value } from "liquidjs";
import { escapeHtml, escapeOutput, type MemoryAccount, stringify } from "./html-escape";

/**
 * liquidjs evaluates every `{{ output }}` and condition through a chain of ten or more generators (value,
 * expression, token, property, filter …), which dominates render time: about 7 µs an output, 140× our
 * per-recipient budget for a newsletter. Most outputs and conditions are plain — variables with literal
 * property names, literals, operators, filters with literal arguments — and for those this module swaps in
 * a direct evaluator that does the same steps (the same scope lookup, the same operator and filter
 * functions) without the generator machinery. Anything else keeps liquidjs's own evaluation.
 */

type Token = { content?: unknown; props?: Token[]; variable?: unknown; operator?: string; lhs?: unknown };
type Evaluate = (ctx: Context) => unknown;
interface ScopeReader {
  findScope(key: string): unknown;
  readProperty(obj: unknown, key: unknown): unknown;
}
interface LiquidFilter {
  handler: (...args: unknown[]) => unknown;
  args: unknown[];
  token: unknown;
  liquid: unknown;
}
interface LiquidValue {
  initial: { postfix: Token[] };
  filters: LiquidFilter[];
  value: (ctx: Context, lenient?: boolean) => Generator<unknown, unknown, unknown>;
}

const settle = (v: unknown) =>
  v !== null &&
  typeof v === "object" &&
  typeof (v as Iterator<unknown>).next === "function" &&
  typeof (v as Iterator<unknown>).throw === "function"
    ? toValueSync(v as never)
    : v;
const unwrap = (v: unknown) => (typeof v === "object" && v instanceof Drop && typeof v.valueOf === "function" ? v.valueOf() : v);
const isLiteral = (t: unknown): t is { content: unknown } => typeof t === "object" && t !== null && "content" in t;

/** A direct evaluator for a literal or a variable with literal property names (`a.b["c"]`), else null. */
export function fastOperand(token: unknown): Evaluate | null {
  return operand(token as Token);
}

/** Keys Context.readProperty gives a meaning of their own (`items.size`, `items.first`); others are plain reads. */
const isPlainKey = (key: unknown) => typeof key === "string" && key !== "size" && key !== "first" && key !== "last";
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Context.readProperty for the common case — a plain data object, a plain key, a value that is not a method —
 * in one step; anything else (drops, arrays, `toLiquid`, methods) goes through readProperty itself.
 */
function readPlainProperty(scopes: ScopeReader, obj: unknown, key: string): unknown {
  if (typeof obj === "object" && obj !== null && !Array.isArray(obj) && !(obj instanceof Drop)) {
    const record = obj as Record<string, unknown>;
    if (typeof record.toLiquid !== "function") {
      const value = hasOwn.call(record, key) ? record[key] : undefined;
      if (typeof value !== "function") return value;
    }
  }
  return scopes.readProperty(obj, key);
}

function operand(token: Token): Evaluate | null {
  if (isLiteral(token)) {
    const content = token.content;
    return () => content;
  }
  if (token.props && token.variable === undefined && token.props.every(isLiteral)) {
    const path = token.props.map((p) => unwrap(p.content));
    const [head] = path;
    if (typeof head !== "string") return null;
    const plain = path.map(isPlainKey);
    return (ctx) => {
      // The steps of Context._getFromScope without strictVariables, which Flarecast does not use.
      const scopes = ctx as unknown as ScopeReader;
      let scope: unknown = scopes.findScope(head);
      for (let i = 0; i < path.length; i++) {
        scope = plain[i] ? readPlainProperty(scopes, scope, path[i] as string) : scopes.readProperty(scope, path[i]);
      }
      return scope;
    };
  }
  return null;
}

function expression(postfix: Token[]): Evaluate | null {
  const steps: ({ op: string; arity: number } | Evaluate)[] = [];
  for (const token of postfix) {
    if (token.operator !== undefined) {
      steps.push({ op: token.operator, arity: token.operator === "not" ? 1 : 2 });
      continue;
    }
    const read = operand(token);
    if (!read) return null;
    steps.push(read);
  }
  if (steps.length === 1 && typeof steps[0] === "function") return steps[0];
  return (ctx) => {
    const stack: unknown[] = [];
    const operators = ctx.opts.operators as Record<string, (...args: unknown[]) => unknown>;
    for (const step of steps) {
      if (typeof step === "function") {
        stack.push(step(ctx));
      } else if (step.arity === 1) {
        stack.push(settle(operators[step.op](stack.pop(), ctx)));
      } else {
        const r = stack.pop();
        const l = stack.pop();
        stack.push(settle(operators[step.op](l, r, ctx)));
      }
    }
    return stack[0];
  };
}

function fastValue(value: LiquidValue): Evaluate | null {
  const initial = expression(value.initial.postfix);
  if (!initial) return null;
  if (!value.filters.every((f) => f.args.every(isLiteral))) return null;
  const last = value.filters.at(-1);
  if (last?.handler === escapeOutput) {
    // The HTML engine's escape, applied inline: the same steps as the filter, without a filter call per output.
    const unescaped = chain(initial, value.filters.slice(0, -1));
    return (ctx) => {
      const str = stringify(unescaped(ctx));
      (ctx as unknown as MemoryAccount).memoryLimit.use(str.length);
      return escapeHtml(str);
    };
  }
  return chain(initial, value.filters);
}

function chain(initial: Evaluate, literalFilters: LiquidFilter[]): Evaluate {
  const filters = literalFilters.map((f) =>
    filterCall(
      f,
      f.args.map((a) => (a as { content: unknown }).content),
    ),
  );
  if (filters.length === 0) return initial;
  if (filters.length === 1) {
    const [only] = filters;
    return (ctx) => only(initial(ctx), ctx);
  }
  return (ctx) => {
    let v = initial(ctx);
    for (let i = 0; i < filters.length; i++) v = filters[i](v, ctx);
    return v;
  };
}

/**
 * A filter applied as liquidjs's Filter.render applies it, with literal arguments. The filter's `this`
 * ({context, token, liquid}) is one object per filter node, its context set before each call: liquidjs makes
 * a new one per call, and a filter reads it only while it runs.
 */
function filterCall(f: LiquidFilter, args: unknown[]): (v: unknown, ctx: Context) => unknown {
  const self = { context: undefined as Context | undefined, token: f.token, liquid: f.liquid };
  const handler = f.handler;
  if (args.length === 0) {
    return (v, ctx) => {
      self.context = ctx;
      return settle(handler.call(self, v));
    };
  }
  if (args.length === 1) {
    const [arg] = args;
    return (v, ctx) => {
      self.context = ctx;
      return settle(handler.call(self, v, arg));
    };
  }
  return (v, ctx) => {
    self.context = ctx;
    return settle(handler.apply(self, [v, ...args]));
  };
}

function accelerateValue(value: LiquidValue): Evaluate | null {
  const fast = fastValue(value);
  if (fast) {
    // biome-ignore lint/correctness/useYield: liquidjs drives values as generators; this one finishes without suspending.
    value.value = function* (ctx: Context) {
      return fast(ctx);
    } as never;
  }
  return fast;
}

/**
 * The renderer's shortcut for a node, stored on the node itself (a symbol-keyed property reads faster than a
 * WeakMap on every node of every render): an output's direct evaluator, or an if/unless tag's branch choice.
 */
export const FAST_OUTPUT = Symbol("fastOutput");
export const FAST_BRANCHES = Symbol("fastBranches");
export type FastNode = { [FAST_OUTPUT]?: Evaluate; [FAST_BRANCHES]?: BranchChooser };
/** The template lists of an if/unless tag (its branches, then its else) and which one a context renders. */
export interface BranchChooser {
  bodies: Template[][];
  choose(ctx: Context): number;
}

type Branch = { value: LiquidValue; templates: Template[]; test?: (v: unknown, ctx: Context) => boolean };

/**
 * if/elsif/else and unless tags whose conditions all have direct evaluators: the renderer asks which
 * templates to render (liquidjs's IfTag/UnlessTag.render, step for step) instead of running the tag.
 */
function accelerateBranches(tag: FastNode & { branches: Branch[]; elseTemplates?: Template[] }) {
  const tests = tag.branches.map((b) => fastValue(b.value));
  if (tests.some((t) => t === null)) return;
  const { branches } = tag;
  tag[FAST_BRANCHES] = {
    bodies: [...branches.map((b) => b.templates), tag.elseTemplates ?? []],
    choose(ctx) {
      for (let i = 0; i < branches.length; i++) {
        const branch = branches[i];
        const v = unwrap((tests[i] as Evaluate)(ctx));
        if (branch.test ? branch.test(v, ctx) : isTruthy(v, ctx)) return i;
      }
      return branches.length;
    },
  };
}

/** Rewires, in place, the outputs and conditions of parsed templates (and of every tag's children). */
export function accelerate(templates: Template[], seen = new Set<object>()): Template[] {
  const visit = (node: unknown) => {
    if (node === null || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    if (node instanceof Value) {
      accelerateValue(node as unknown as LiquidValue);
      return;
    }
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const record = node as Record<string, unknown>;
    if (node instanceof IfTag || node instanceof UnlessTag) accelerateBranches(node as never);
    if (record.value instanceof Value) {
      const fast = accelerateValue(record.value as unknown as LiquidValue);
      if (fast && node instanceof Output) (node as FastNode)[FAST_OUTPUT] = (ctx) => unwrap(fast(ctx));
    }
    for (const [key, child] of Object.entries(record)) {
      if (key === "liquid" || key === "token" || key === "tokenizer" || key === "value") continue;
      visit(child);
    }
  };
  visit(templates);
  return templates;
}
