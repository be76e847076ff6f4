import { describe, expect, it } from 'vitest';
import cases from './cases/experience-select.json' with { type: 'json' };
import {
  distributionRanges,
  isInTraffic,
  selectDistributionIndex,
  selectExperiences,
} from './experience-select.js';
import type {
  ExperienceDefinition,
  ExperienceStep,
  SelectedVariantInfo,
  SelectionContext,
} from './experience-types.js';
import { validateExperience } from './experience-validate.js';
import { distributionHashInput, hashToUnit, trafficHashInput } from './murmur3.js';

interface SelectCase {
  name: string;
  experiences: unknown[];
  ctx: SelectionContext;
  expected: {
    experiences: SelectedVariantInfo[];
    changes: unknown[];
    /** Partial steps, in priority order. */
    explain?: Partial<ExperienceStep>[];
  };
}

interface ValidateCase {
  name: string;
  definition: unknown;
  expected:
    | { ok: true; experience?: unknown }
    | { ok: false; errors: Array<{ path: string; message: string }> };
}

function valid(definition: unknown): ExperienceDefinition {
  const result = validateExperience(definition);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.experience;
}

describe('parity with the Ninetailed SDK', () => {
  it.each(cases.sdkParity)('$experienceId / $stableId', (c) => {
    const trafficHash = hashToUnit(trafficHashInput(c.experienceId, c.stableId));
    const distributionHash = hashToUnit(distributionHashInput(c.experienceId, c.stableId));
    expect(trafficHash).toBe(c.traffic);
    expect(distributionHash).toBe(c.distribution);
    expect(isInTraffic(c.trafficAllocation, trafficHash)).toBe(c.match);
    expect(selectDistributionIndex(c.weights, distributionHash)).toBe(c.index);

    const experience = valid({
      id: c.experienceId,
      type: 'experiment',
      trafficAllocation: c.trafficAllocation,
      distribution: c.weights,
      priority: 0,
      components: [],
      status: 'published',
    });
    const result = selectExperiences([experience], {
      stableId: c.stableId,
      audiences: {},
      sticky: {},
    });
    expect(result.experiences.map((e) => e.variantIndex)).toEqual(c.match ? [c.index] : []);
  });

  it('builds the SDK distribution ranges from the weights', () => {
    expect(distributionRanges([0.5, 0.25, 0.25])).toEqual([
      { index: 0, start: 0, end: 0.5 },
      { index: 1, start: 0.5, end: 0.75 },
      { index: 2, start: 0.75, end: 1 },
    ]);
  });

  it('gives a shared boundary to the lower index and falls back to the baseline', () => {
    expect(selectDistributionIndex([0.5, 0.5], 0.5)).toBe(0);
    expect(selectDistributionIndex([0.5, 0.5], 1)).toBe(1);
    expect(selectDistributionIndex([0, 1], 0)).toBe(0);
    // running sums that fall short of 1: the SDK answers the baseline for a hash above them
    expect(selectDistributionIndex([0.5, 0.4999999999], 0.99999999999)).toBe(0);
  });
});

describe('validateExperience', () => {
  it.each(cases.validate as ValidateCase[])('$name', ({ definition, expected }) => {
    const before = structuredClone(definition);
    const result = validateExperience(definition);
    expect(definition).toEqual(before);
    if (expected.ok) {
      expect(result).toMatchObject({ ok: true });
      if (expected.experience !== undefined && result.ok) {
        expect(result.experience).toEqual(expected.experience);
      }
      return;
    }
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual(expected.errors.map((e) => e.path));
    expected.errors.forEach((e, i) => {
      expect(result.errors[i]!.message).toContain(e.message);
    });
  });

  it('drops prototype keys from variable objects', () => {
    const definition: unknown = JSON.parse(
      '{"id":"e","type":"experiment","trafficAllocation":1,"distribution":[0.5,0.5],"priority":0,' +
        '"components":[],"status":"published","variables":[{"key":"k","values":[{"__proto__":{"x":1},"a":1},"b"]}]}',
    );
    const result = validateExperience(definition);
    expect(result.ok && result.experience.variables?.[0]?.values[0]).toEqual({ a: 1 });
  });
});

describe('selectExperiences', () => {
  it.each(cases.select as SelectCase[])('$name', (c) => {
    const experiences = c.experiences.map(valid);
    const before = structuredClone({ experiences, ctx: c.ctx });
    const result = selectExperiences(experiences, c.ctx);
    expect(result.experiences).toEqual(c.expected.experiences);
    expect(result.changes).toEqual(c.expected.changes);
    if (c.expected.explain) {
      expect(result.explain).toHaveLength(c.expected.explain.length);
      c.expected.explain.forEach((step, i) => {
        expect(result.explain[i]).toMatchObject(step);
      });
    }
    expect({ experiences, ctx: c.ctx }).toEqual(before);
    // the order experiences are listed in never matters
    expect(selectExperiences([...experiences].reverse(), c.ctx)).toEqual(result);
  });
});
