import { describe, expect, it } from 'vitest';
import { actionOf } from './action-name.js';
import {
  audienceEvaluationOrder,
  audienceRefsOf,
  evaluateAudience,
  evaluateAudiences,
  matchAudiences,
} from './audience-evaluate.js';
import { signalsOf, updateSignals } from './audience-signals.js';
import type { AudienceRule, ConsentState, SignalCounters, TraceNode } from './audience-types.js';
import { validateAudienceRule } from './audience-validate.js';
import cases from './cases/audience-evaluate.json' with { type: 'json' };
import { newProfileState } from './profile-fold.js';
import type {
  CanonicalEvent,
  EventType,
  Identifier,
  JsonObject,
  LocationState,
  ProfileState,
} from './types.js';

/** An event in short form: `at` is an ISO time; the rest is filled in. */
interface ShortEvent {
  type: EventType;
  event?: string;
  at: string;
  properties?: JsonObject;
  context?: JsonObject;
}

interface EvaluateCase {
  name: string;
  rule: unknown;
  now: string;
  profile?: {
    traits?: JsonObject;
    location?: LocationState;
    session?: { count: number; isReturningVisitor: boolean };
    identifiers?: Identifier[];
  };
  /** Counted into signals as they arrive (each at its own time), then the rule is read at `now`. */
  events?: ShortEvent[];
  audiences?: Record<string, boolean>;
  consents?: Record<string, ConsentState>;
  expected: boolean;
  /** Partial trace to match. */
  trace?: Partial<TraceNode>;
}

function toEvent(short: ShortEvent, i: number): CanonicalEvent {
  const timestamp = Date.parse(short.at);
  const event: CanonicalEvent = {
    type: short.type,
    messageId: `m-${i}`,
    timestamp,
    receivedAt: timestamp,
    action: actionOf(short.type, short.event),
  };
  if (short.event !== undefined) event.name = short.event;
  if (short.properties) event.properties = short.properties;
  if (short.context) event.context = short.context;
  return event;
}

function buildState(spec: EvaluateCase['profile']): ProfileState {
  const state = newProfileState('p-1', 'env-1', 0, 'native');
  if (!spec) return state;
  return {
    ...state,
    traits: spec.traits ?? {},
    location: spec.location ?? {},
    identifiers: spec.identifiers ?? [],
    session: spec.session
      ? {
          id: 's-1',
          count: spec.session.count,
          isReturningVisitor: spec.session.isReturningVisitor,
          landingPage: { path: '/', url: '', query: {}, referrer: '', search: '' },
          startedAt: 0,
          lastEventAt: 0,
          activeSessionLength: 0,
          totalSessionLength: 0,
          averageSessionLength: 0,
        }
      : null,
  };
}

function validRule(rule: unknown): AudienceRule {
  const validation = validateAudienceRule(rule);
  if (!validation.ok) throw new Error(JSON.stringify(validation.errors));
  return validation.rule;
}

describe('evaluateAudience', () => {
  it.each(cases as EvaluateCase[])('$name', (c) => {
    const rule = validRule(c.rule);
    const definitions = signalsOf(rule);
    let signals: SignalCounters = {};
    (c.events ?? []).forEach((short, i) => {
      const event = toEvent(short, i);
      signals = updateSignals(signals, event, definitions, event.receivedAt);
    });
    const state = buildState(c.profile);
    const before = structuredClone({ state, signals });
    const ctx = {
      state,
      signals,
      now: Date.parse(c.now),
      audiences: c.audiences,
      consents: c.consents,
    };
    const { result, trace } = evaluateAudience(rule, ctx);
    expect(result).toBe(c.expected);
    expect(trace.result).toBe(c.expected);
    if (c.trace) expect(trace).toMatchObject(c.trace);
    // The hot path's evaluation (no trace) agrees.
    expect(matchAudiences([{ id: 'case', rule }], ctx)).toEqual({ case: c.expected });
    expect({ state, signals }).toEqual(before);
  });
});

describe('audience references', () => {
  const rule = (refs: string[]): AudienceRule =>
    refs.length === 0 ? { identified: true } : { any: refs.map((audience) => ({ audience })) };

  it('lists the audiences a rule references, once each', () => {
    const r: AudienceRule = {
      all: [{ audience: 'a' }, { not: { audience: 'b' } }, { any: [{ audience: 'a' }] }],
    };
    expect(audienceRefsOf(r)).toEqual(['a', 'b']);
  });

  it('orders referenced audiences first, keeping input order otherwise', () => {
    const order = audienceEvaluationOrder([
      { id: 'top', rule: rule(['mid', 'base']) },
      { id: 'other', rule: rule([]) },
      { id: 'mid', rule: rule(['base', 'unknown']) },
      { id: 'base', rule: rule([]) },
    ]);
    expect(order).toEqual({ ok: true, order: ['base', 'mid', 'top', 'other'] });
  });

  it('rejects a reference cycle and names it', () => {
    const order = audienceEvaluationOrder([
      { id: 'a', rule: rule(['b']) },
      { id: 'b', rule: rule(['c']) },
      { id: 'c', rule: rule(['a']) },
    ]);
    expect(order).toEqual({ ok: false, cycle: ['a', 'b', 'c', 'a'] });
  });

  it('rejects an audience that references itself', () => {
    expect(audienceEvaluationOrder([{ id: 'a', rule: rule(['a']) }])).toEqual({
      ok: false,
      cycle: ['a', 'a'],
    });
  });

  it('evaluates audiences in order, feeding results to the audiences that reference them', () => {
    const state = {
      ...newProfileState('p-1', 'env-1', 0, 'native'),
      identifiers: [{ type: 'userId' as const, value: 'u-1' }],
    };
    const results = evaluateAudiences(
      [
        { id: 'not-known', rule: { not: { audience: 'known' } } },
        { id: 'known', rule: { identified: true } },
      ],
      { state, signals: {}, now: 0 },
    );
    expect(results.known?.result).toBe(true);
    expect(results['not-known']?.result).toBe(false);
    expect(
      matchAudiences(
        [
          { id: 'not-known', rule: { not: { audience: 'known' } } },
          { id: 'known', rule: { identified: true } },
        ],
        { state, signals: {}, now: 0 },
      ),
    ).toEqual({ 'not-known': false, known: true });
  });
});
