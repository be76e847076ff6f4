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

function evaluateCounted(
  condition: EventCondition | PageViewCondition,
  path: string,
  ctx: AudienceContext,
): TraceNode {
  const signal = signalOfCondition(condition);
  const count = countInWindow(getOwn(ctx.signals, signal.id), ctx.now, condition.withinDays);
  const minCount = condition.minCount ?? 1;
  const actual: Json = { count, minCount, signal: signal.id };
  if (condition.withinDays !== undefined) actual.withinDays = condition.withinDays;
  const kind = 'event' in condition ? 'event' : 'pageView';
  return leaf(path, kind, condition, count >= minCount, actual);
}

function evaluateCondition(
  condition: AudienceCondition,
  path: string,
  ctx: AudienceContext,
): TraceNode {
  const { state } = ctx;
  if ('trait' in condition) {
    const actual = readPath(state.traits, splitPath(condition.trait));
    const note = actual === undefined ? 'trait not set' : undefined;
    return leaf(path, 'trait', condition, compare(condition, actual), actual, note);
  }
  if ('event' in condition || 'pageView' in condition) return evaluateCounted(condition, path, ctx);
  if ('location' in condition) {
    const actual = state.location[condition.location];
    const note = actual === undefined ? 'location not known' : undefined;
    return leaf(path, 'location', condition, compare(condition, actual), actual, note);
  }
  if ('session' in condition) {
    // No session yet: a first-time visitor with no sessions counted.
    const actual =
      condition.session === 'count'
        ? (state.session?.count ?? 0)
        : (state.session?.isReturningVisitor ?? false);
    return leaf(path, 'session', condition, compare(condition, actual), actual);
  }
  if ('identified' in condition) {
    const identified = state.identifiers.some((identifier) => identifier.type === 'userId');
    return leaf(path, 'identified', condition, identified === condition.identified, identified);
  }
  if ('consent' in condition) {
    const actual = ctx.consents ? getOwn(ctx.consents, condition.consent) : undefined;
    const note = actual === undefined ? 'consent unknown' : undefined;
    return leaf(path, 'consent', condition, actual === condition.state, actual, note);
  }
  const member = ctx.audiences ? getOwn(ctx.audiences, condition.audience) : undefined;
  const note = member === undefined ? 'audience not evaluated' : undefined;
  return leaf(path, 'audience', condition, member === true, member, note);
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
const orders = new WeakMap<readonly AudienceDefinition[], EvaluationOrder>();

function orderOf(audiences: readonly AudienceDefinition[]): EvaluationOrder {
  let order = orders.get(audiences);
  if (!order) {
    order = audienceEvaluationOrder(audiences);
    orders.set(audiences, order);
  }
  return order;
}

/**
 * Evaluates every audience in dependency order, feeding each result to the audiences that
 * reference it. `ctx.audiences` may pre-seed results (e.g. audiences not in `audiences`).
 * `audiences` must not be mutated after a first evaluation (its order is remembered).
 * @throws {Error} on a reference cycle (validate with {@link audienceEvaluationOrder} on save).
 */
export function evaluateAudiences(
  audiences: readonly AudienceDefinition[],
  ctx: AudienceContext,
): Record<string, AudienceResult> {
  const sorted = orderOf(audiences);
  if (!sorted.ok) throw new Error(`audience reference cycle: ${sorted.cycle.join(' → ')}`);
  const byId = new Map(audiences.map((a) => [a.id, a]));
  const memberships: Record<string, boolean> = { ...(ctx.audiences ?? {}) };
  const results: Record<string, AudienceResult> = {};
  for (const id of sorted.order) {
    const result = evaluateAudience(byId.get(id)!.rule, { ...ctx, audiences: memberships });
    setOwn(memberships, id, result.result);
    setOwn(results, id, result);
  }
  return results;
}
