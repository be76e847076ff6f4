import { describe, expect, it } from 'vitest';
import mergeCases from './cases/profile-trait-merge.json' with { type: 'json' };
import cases from './cases/trait-merge.json' with { type: 'json' };
import { mergeProfileTraits, mergeTraits, type TraitSet } from './trait-merge.js';
import type { JsonObject, TraitMeta } from './types.js';

interface MergeTraitsCase {
  name: string;
  input: {
    traits: JsonObject;
    meta: Record<string, TraitMeta>;
    incoming: JsonObject;
    at: number;
    source: string;
  };
  expected: ReturnType<typeof mergeTraits>;
}

interface ProfileTraitsCase {
  name: string;
  input: { survivor: TraitSet; merged: TraitSet };
  expected: ReturnType<typeof mergeProfileTraits>;
}

describe('mergeTraits', () => {
  it.each(cases as unknown as MergeTraitsCase[])('$name', ({ input, expected }) => {
    const before = structuredClone(input);
    const result = mergeTraits(input.traits, input.meta, input.incoming, input.at, input.source);
    expect(result).toEqual(expected);
    expect(input).toEqual(before);
  });
});

describe('mergeProfileTraits', () => {
  it.each(mergeCases as unknown as ProfileTraitsCase[])('$name', ({ input, expected }) => {
    const before = structuredClone(input);
    expect(mergeProfileTraits(input.survivor, input.merged)).toEqual(expected);
    expect(input).toEqual(before);
  });
});
