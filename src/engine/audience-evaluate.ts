/**
 * Evaluation of validated audience rules against one profile: state, signal counters, the time
 * `now` (a parameter: windows are applied on read), consents, and the results of the audiences
 * a rule references. Every node is evaluated (no short-circuit), so the trace explains each
 * condition; rules are bounded at validation, so this stays cheap.
 */
import { compare, readPath, splitPath } from './audience-ops.js';
import { countInWindow, signalOfCondition } from './audience-signals.js';
import type {
  AudienceCondition,
  AudienceContext,
  AudienceRule,
  EventCondition,
  PageViewCondition,
  TraceNode,
} from './audience-types.js';
import { getOwn, setOwn } from './json-value.js';
import type { Json } from './types.js';

// Conditions are parts of cached (never mutated) definitions, evaluated on every request.
const traitPaths = new WeakMap<object, string[]>();
function traitPathOf(condition: { trait: string }): string[] {
  let segments = traitPaths.get(condition);
  if (!segments) {
    segments = splitPath(condition.trait);
    traitPaths.set(condition, segments);
  }
  return segments;
}

/** Result of {@link evaluateAudience}. */
export interface AudienceResult {
  result: boolean;
  trace: TraceNode;
}

function leaf(
  path: string,
  kind: string,
  condition: AudienceCondition,
  result: boolean,
  actual: Json | undefined,
  note?: string,
): TraceNode {
  const node: TraceNode = { path, kind, condition, result };
  if (actual !== undefined) node.actual = actual;
  if (note !== undefined) node.note = note;
  return node;
}

/** How many times a counted condition's events happened in its window, and its signal. */
function countOf(condition: EventCondition | PageViewCondition, ctx: AudienceContext) {
  const signal = signalOfCondition(condition);
  return {
    count: countInWindow(getOwn(ctx.signals, signal.id), ctx.now, condition.withinDays),
    signal,
  };
}

/**
 * What a condition reads from the context. The traced and the boolean evaluation both read
 * through here, so they cannot disagree.
 */
function conditionValue(condition: AudienceCondition, ctx: AudienceContext): Json | undefined {
  const { state } = ctx;
  if ('trait' in condition) return readPath(state.traits, traitPathOf(condition));
  if ('event' in condition || 'pageView' in condition) return countOf(condition, ctx).count;
  if ('location' in condition) return state.location[condition.location];
  // No session yet: a first-time visitor with no sessions counted.
  if ('session' in condition)
    return condition.session === 'count'
      ? (state.session?.count ?? 0)
      : (state.session?.isReturningVisitor ?? false);
  if ('identified' in condition)
    return state.identifiers.some((identifier) => identifier.type === 'userId');
  if ('consent' in condition)
    return ctx.consents ? getOwn(ctx.consents, condition.consent) : undefined;
  return ctx.audiences ? getOwn(ctx.audiences, condition.audience) : undefined;
}

/** Whether a condition holds, given what it reads ({@link conditionValue}). */
function holds(condition: AudienceCondition, actual: Json | undefined): boolean {
  if ('event' in condition || 'pageView' in condition)
    return (actual as number) >= (condition.minCount ?? 1);
  if ('identified' in condition) return actual === condition.identified;
  if ('consent' in condition) return actual === condition.state;
  if ('audience' in condition) return actual === true;
  return compare(condition, actual);
}

function evaluateCondition(
  condition: AudienceCondition,
  path: string,
  ctx: AudienceContext,
): TraceNode {
  const actual = conditionValue(condition, ctx);
  const result = holds(condition, actual);
  if ('event' in condition || 'pageView' in condition) {
    const minCount = condition.minCount ?? 1;
    const shown: Json = {
      count: actual as number,
      minCount,
      signal: countOf(condition, ctx).signal.id,
    };
    if (condition.withinDays !== undefined) shown.withinDays = condition.withinDays;
    return leaf(path, 'event' in condition ? 'event' : 'pageView', condition, result, shown);
  }
  const kind = KINDS.find((k) => k in condition)!;
  const note = actual === undefined ? NOTES[kind] : undefined;
  return leaf(path, kind, condition, result, actual, note);
}

const KINDS = ['trait', 'location', 'session', 'identified', 'consent', 'audience'] as const;
const NOTES: Record<(typeof KINDS)[number], string | undefined> = {
  trait: 'trait not set',
  location: 'location not known',
  session: undefined,
  identified: undefined,
  consent: 'consent unknown',
  audience: 'audience not evaluated',
};

/** A rule's result alone, without a trace: the hot path's evaluation. */
function matchesNode(rule: AudienceRule, ctx: AudienceContext): boolean {
  if ('all' in rule) return rule.all.every((child) => matchesNode(child, ctx));
  if ('any' in rule) return rule.any.some((child) => matchesNode(child, ctx));
  if ('not' in rule) return !matchesNode(rule.not, ctx);
  return holds(rule, conditionValue(rule, ctx));
}

function evaluateNode(rule: AudienceRule, path: string, ctx: AudienceContext): TraceNode {
  const at = (key: string): string => (path === '(root)' ? key : `${path}.${key}`);
  if ('all' in rule || 'any' in rule) {
    const kind = 'all' in rule ? 'all' : 'any';
    const items = 'all' in rule ? rule.all : rule.any;
    const children = items.map((child, i) => evaluateNode(child, `${at(kind)}[${i}]`, ctx));
    const result =
      kind === 'all' ? children.every((c) => c.result) : children.some((c) => c.result);
    return { path, kind, result, children };
  }
  if ('not' in rule) {
    const child = evaluateNode(rule.not, at('not'), ctx);
    return { path, kind: 'not', result: !child.result, children: [child] };
  }
  return evaluateCondition(rule, path, ctx);
}

/**
 * Evaluates a validated rule for one profile. Returns the result and a trace of every node
 * (path, condition, actual value, result), which the explain endpoint shows as is.
 */
export function evaluateAudience(rule: AudienceRule, ctx: AudienceContext): AudienceResult {
  const trace = evaluateNode(rule, '(root)', ctx);
  return { result: trace.result, trace };
}

/** Ids of the audiences a rule references, each once. */
export function audienceRefsOf(rule: AudienceRule): string[] {
  const refs = new Set<string>();
  const visit = (node: AudienceRule): void => {
    if ('all' in node) node.all.forEach(visit);
    else if ('any' in node) node.any.forEach(visit);
    else if ('not' in node) visit(node.not);
    else if ('audience' in node) refs.add(node.audience);
  };
  visit(rule);
  return [...refs];
}

/** An audience as {@link audienceEvaluationOrder} needs it. */
export interface AudienceDefinition {
  id: string;
  rule: AudienceRule;
}

export type EvaluationOrder = { ok: true; order: string[] } | { ok: false; cycle: string[] };

/**
 * Orders audiences so that each comes after the audiences it references (references to unknown
 * audiences are ignored: they evaluate as "not a member"). Ties keep the input order, so the
 * order is deterministic. A reference cycle is rejected, naming it (`a → b → a`).
 */
export function audienceEvaluationOrder(audiences: readonly AudienceDefinition[]): EvaluationOrder {
  const byId = new Map(audiences.map((a) => [a.id, a]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const stack: string[] = [];
  // Depth-first post-order; depth is bounded by the number of audiences.
  const visit = (id: string): string[] | undefined => {
    const mark = state.get(id);
    if (mark === 'done') return undefined;
    if (mark === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    const audience = byId.get(id)!;
    for (const ref of audienceRefsOf(audience.rule)) {
      if (!byId.has(ref)) continue;
      const cycle = visit(ref);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    order.push(id);
    return undefined;
  };
  for (const audience of audiences) {
    const cycle = visit(audience.id);
    if (cycle) return { ok: false, cycle };
  }
  return { ok: true, order };
}

// The order depends only on the definitions, and the hot path evaluates the same (cached,
// never mutated) definitions array on every request: sorting it once per array is enough.
const plans = new WeakMap<readonly AudienceDefinition[], AudienceDefinition[]>();

/**
 * The audiences in evaluation order, remembered per definitions array.
 * @throws {Error} on a reference cycle (validate with {@link audienceEvaluationOrder} on save).
 */
function planOf(audiences: readonly AudienceDefinition[]): AudienceDefinition[] {
  let plan = plans.get(audiences);
  if (!plan) {
    const sorted = audienceEvaluationOrder(audiences);
    if (!sorted.ok) throw new Error(`audience reference cycle: ${sorted.cycle.join(' → ')}`);
    const byId = new Map(audiences.map((a) => [a.id, a]));
    plan = sorted.order.map((id) => byId.get(id)!);
    plans.set(audiences, plan);
  }
  return plan;
}

/**
 * Runs `one` on every audience in dependency order, feeding each result to the audiences that
 * reference it. `ctx.audiences` may pre-seed results (e.g. audiences not in `audiences`).
 */
function inOrder<R>(
  audiences: readonly AudienceDefinition[],
  ctx: AudienceContext,
  one: (rule: AudienceRule, ctx: AudienceContext) => R,
  isMember: (result: R) => boolean,
): Record<string, R> {
  const memberships: Record<string, boolean> = { ...(ctx.audiences ?? {}) };
  const inner = { ...ctx, audiences: memberships };
  const results: Record<string, R> = {};
  for (const { id, rule } of planOf(audiences)) {
    const result = one(rule, inner);
    setOwn(memberships, id, isMember(result));
    setOwn(results, id, result);
  }
  return results;
}

/**
 * Evaluates every audience in dependency order, with a trace of each (the explain endpoint).
 * `audiences` must not be mutated after a first evaluation (its order is remembered).
 * @throws {Error} on a reference cycle (validate with {@link audienceEvaluationOrder} on save).
 */
export function evaluateAudiences(
  audiences: readonly AudienceDefinition[],
  ctx: AudienceContext,
): Record<string, AudienceResult> {
  return inOrder(audiences, ctx, evaluateAudience, (r) => r.result);
}

/**
 * {@link evaluateAudiences} without traces: each audience's result alone, as the hot path (every
 * write and personalization) needs them.
 */
export function matchAudiences(
  audiences: readonly AudienceDefinition[],
  ctx: AudienceContext,
): Record<string, boolean> {
  return inOrder(audiences, ctx, matchesNode, (r) => r);
}
