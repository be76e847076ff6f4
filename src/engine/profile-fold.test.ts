import { describe, expect, it } from 'vitest';
import { actionOf } from './action-name.js';
import cases from './cases/profile-fold.json' with { type: 'json' };
import {
  applyEvent,
  mergeProfileStates,
  newProfileState,
  unmergeProfileState,
} from './profile-fold.js';
import type { CanonicalEvent, Identifier, ProfileState } from './types.js';

/** A canonical event in short form: `action`, `messageId` and `receivedAt` are filled in. */
type ShortEvent = Omit<CanonicalEvent, 'action' | 'messageId' | 'receivedAt'> &
  Partial<Pick<CanonicalEvent, 'receivedAt'>>;

interface ProfileSpec {
  id?: string;
  createdAt?: number;
  createdBy?: string;
  identifiers?: Identifier[];
  mergedIds?: string[];
  events: ShortEvent[];
}

type FoldCase =
  | {
      name: string;
      input: { op: 'apply'; profile: ProfileSpec };
      expected: Record<string, unknown>;
    }
  | {
      name: string;
      input: { op: 'merge'; survivor: ProfileSpec; merged: ProfileSpec };
      expected: Record<string, unknown>;
    }
  | {
      name: string;
      input: {
        op: 'merge-unmerge';
        survivor: ProfileSpec;
        merged: ProfileSpec;
        afterMerge: ShortEvent[];
      };
      expected: Record<string, unknown>;
    };

function counterIds(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

function toEvent(short: ShortEvent, i: number): CanonicalEvent {
  return {
    messageId: `m-${i}`,
    receivedAt: short.timestamp + 1000,
    action: actionOf(short.type, short.name),
    ...short,
  };
}

function applyAll(state: ProfileState, events: ShortEvent[], newId: () => string): ProfileState {
  return events.reduce((s, e, i) => {
    const before = structuredClone(s);
    const next = applyEvent(s, toEvent(e, i), { source: 'native', newId });
    // the fold must never mutate the state it was given
    expect(s).toEqual(before);
    return next;
  }, state);
}

function build(spec: ProfileSpec, newId: () => string): ProfileState {
  const state: ProfileState = {
    ...newProfileState(spec.id ?? 'p-1', 'env-1', spec.createdAt ?? 0, spec.createdBy ?? 'native'),
    identifiers: spec.identifiers ?? [],
    mergedIds: spec.mergedIds ?? [],
  };
  return applyAll(state, spec.events, newId);
}

function expectFields(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(expected)) {
    expect({ [key]: actual[key] }).toEqual({ [key]: value });
  }
}

describe('profile fold', () => {
  it.each(cases as FoldCase[])('$name', (c) => {
    const newId = counterIds();
    if (c.input.op === 'apply') {
      const state = build(c.input.profile, newId);
      expectFields(state as unknown as Record<string, unknown>, c.expected);
      return;
    }
    const survivor = build(c.input.survivor, newId);
    const merged = build(c.input.merged, newId);
    const snapshot = structuredClone({ survivor, merged });
    const result = mergeProfileStates(survivor, merged);
    expect({ survivor, merged }).toEqual(snapshot);
    if (c.input.op === 'merge') {
      expectFields(
        { ...result.state, traitsFromMerged: result.traitsFromMerged } as Record<string, unknown>,
        c.expected,
      );
      return;
    }
    const after = applyAll(result.state, c.input.afterMerge, newId);
    const restored = unmergeProfileState(after, survivor, merged, result.traitsFromMerged);
    expectFields(restored as unknown as Record<string, unknown>, c.expected);
  });
});

describe('newProfileState', () => {
  it('starts empty', () => {
    expect(newProfileState('p-1', 'env-1', 1234, 'native')).toEqual({
      id: 'p-1',
      environmentId: 'env-1',
      identifiers: [],
      traits: {},
      traitMeta: {},
      metadata: {
        createdAt: 1234,
        updatedAt: 1234,
        createdBy: 'native',
        firstEvent: {},
        lastEvent: {},
        lastActivityTime: null,
        eventCount: 0,
      },
      session: null,
      location: {},
      stickyVariants: {},
      mergedIds: [],
    });
  });
});
