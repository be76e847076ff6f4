/**
 * Validation of experience definitions when they are saved: everything selection relies on
 * (weights summing to 1, one variant per component and one value per variable for every
 * variant index, bounded sizes) is checked here, so selection itself never has to guard.
 */
import {
  checkEnum,
  checkKeys,
  checkString,
  joinPath,
  RuleChecker,
  typeName,
} from './audience-validate-values.js';
import {
  EXPERIENCE_STATUSES,
  EXPERIENCE_TYPES,
  type ExperienceComponent,
  type ExperienceDefinition,
  type ExperienceValidation,
  type ExperienceVariable,
  type VariableValue,
} from './experience-types.js';
import { isPlainObject, JsonDepthError, toJsonObject } from './json-value.js';

export const EXPERIENCE_LIMITS = {
  maxIdLength: 200,
  maxComponents: 100,
  maxVariables: 100,
  /** Variants besides the baseline. */
  maxVariants: 100,
  /** Tolerance on the sum of the distribution weights. */
  weightSumTolerance: 1e-9,
} as const;

const KEYS = [
  'id',
  'type',
  'name',
  'description',
  'audienceId',
  'trafficAllocation',
  'distribution',
  'holdout',
  'priority',
  'components',
  'variables',
  'status',
  'sticky',
] as const;

function checkId(c: RuleChecker, value: unknown, path: string): string | undefined {
  return checkString(c, value, path, EXPERIENCE_LIMITS.maxIdLength);
}

function checkShare(c: RuleChecker, value: unknown, path: string): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1) return value;
  c.add(path, `must be a number from 0 to 1, got ${JSON.stringify(value) ?? typeName(value)}`);
  return undefined;
}

function checkArray(c: RuleChecker, value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) {
    c.add(path, `must be an array, got ${typeName(value)}`);
    return [];
  }
  if (value.length > max) {
    c.add(path, `must have at most ${max} items, got ${value.length}`);
    return [];
  }
  return value;
}

function checkDistribution(c: RuleChecker, value: unknown): number[] | undefined {
  const weights = checkArray(c, value, 'distribution', EXPERIENCE_LIMITS.maxVariants + 1);
  if (weights.length < 2) {
    if (Array.isArray(value) && weights.length === value.length) {
      c.add('distribution', 'must have a weight for the baseline and at least one variant');
    }
    return undefined;
  }
  const before = c.errors.length;
  weights.forEach((w, i) => {
    checkShare(c, w, `distribution[${i}]`);
  });
  if (c.errors.length > before) return undefined;
  const sum = (weights as number[]).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > EXPERIENCE_LIMITS.weightSumTolerance) {
    c.add('distribution', `weights must sum to 1, got ${sum}`);
    return undefined;
  }
  return weights as number[];
}

function checkComponents(
  c: RuleChecker,
  value: unknown,
  variantCount: number | undefined,
): ExperienceComponent[] {
  const out: ExperienceComponent[] = [];
  const seen = new Set<string>();
  checkArray(c, value, 'components', EXPERIENCE_LIMITS.maxComponents).forEach((item, i) => {
    const at = `components[${i}]`;
    if (!isPlainObject(item)) {
      c.add(at, `must be an object, got ${typeName(item)}`);
      return;
    }
    checkKeys(c, item, ['baselineId', 'variantIds'], at);
    const baselineId = checkId(c, item.baselineId, joinPath(at, 'baselineId'));
    if (baselineId !== undefined && seen.has(baselineId)) {
      c.add(joinPath(at, 'baselineId'), `baseline ${baselineId} appears twice`);
    }
    if (baselineId !== undefined) seen.add(baselineId);
    const idsPath = joinPath(at, 'variantIds');
    const ids = checkArray(c, item.variantIds, idsPath, EXPERIENCE_LIMITS.maxVariants);
    const variantIds = ids.map((id, j) => checkId(c, id, `${idsPath}[${j}]`));
    if (
      variantCount !== undefined &&
      Array.isArray(item.variantIds) &&
      ids.length !== variantCount
    ) {
      c.add(idsPath, `must have ${variantCount} ids (one per variant), got ${ids.length}`);
    }
    if (baselineId !== undefined && variantIds.every((id) => id !== undefined)) {
      out.push({ baselineId, variantIds: variantIds as string[] });
    }
  });
  return out;
}

function checkVariableValue(
  c: RuleChecker,
  value: unknown,
  path: string,
): VariableValue | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (isPlainObject(value)) {
    try {
      return toJsonObject(value);
    } catch (error) {
      if (!(error instanceof JsonDepthError)) throw error;
      c.add(path, error.message);
      return undefined;
    }
  }
  c.add(path, `must be a string, finite number, boolean or object, got ${typeName(value)}`);
  return undefined;
}

function checkVariables(
  c: RuleChecker,
  value: unknown,
  valueCount: number | undefined,
): ExperienceVariable[] {
  const out: ExperienceVariable[] = [];
  const seen = new Set<string>();
  checkArray(c, value, 'variables', EXPERIENCE_LIMITS.maxVariables).forEach((item, i) => {
    const at = `variables[${i}]`;
    if (!isPlainObject(item)) {
      c.add(at, `must be an object, got ${typeName(item)}`);
      return;
    }
    checkKeys(c, item, ['key', 'values'], at);
    const key = checkId(c, item.key, joinPath(at, 'key'));
    if (key !== undefined && seen.has(key)) c.add(joinPath(at, 'key'), `key ${key} appears twice`);
    if (key !== undefined) seen.add(key);
    const valuesPath = joinPath(at, 'values');
    const raw = checkArray(c, item.values, valuesPath, EXPERIENCE_LIMITS.maxVariants + 1);
    const values = raw.map((v, j) => checkVariableValue(c, v, `${valuesPath}[${j}]`));
    if (valueCount !== undefined && Array.isArray(item.values) && raw.length !== valueCount) {
      c.add(valuesPath, `must have ${valueCount} values (baseline first), got ${raw.length}`);
    }
    if (key !== undefined && values.every((v) => v !== undefined)) {
      out.push({ key, values: values as VariableValue[] });
    }
  });
  return out;
}

/**
 * Validates an experience definition; on success returns a clean copy (known keys only,
 * variable objects deep-copied without prototype-reaching keys).
 */
export function validateExperience(def: unknown): ExperienceValidation {
  const c = new RuleChecker();
  if (!isPlainObject(def)) {
    c.add('', `must be an object, got ${typeName(def)}`);
    return { ok: false, errors: c.errors };
  }
  checkKeys(c, def, KEYS, '');
  const id = checkId(c, def.id, 'id');
  const type = checkEnum(c, def.type, 'type', EXPERIENCE_TYPES);
  const status = checkEnum(c, def.status, 'status', EXPERIENCE_STATUSES);
  const trafficAllocation = checkShare(c, def.trafficAllocation, 'trafficAllocation');
  const distribution = checkDistribution(c, def.distribution);
  const variantCount = distribution ? distribution.length - 1 : undefined;
  const components = checkComponents(c, def.components, variantCount);
  const variables =
    def.variables === undefined
      ? undefined
      : checkVariables(c, def.variables, distribution?.length);
  const holdout = def.holdout === undefined ? undefined : checkShare(c, def.holdout, 'holdout');
  if (typeof def.priority !== 'number' || !Number.isFinite(def.priority)) {
    c.add('priority', `must be a finite number, got ${typeName(def.priority)}`);
  }
  const audienceId =
    def.audienceId === undefined ? undefined : checkId(c, def.audienceId, 'audienceId');
  if (def.sticky !== undefined && typeof def.sticky !== 'boolean')
    c.add('sticky', 'must be a boolean');
  for (const field of ['name', 'description'] as const) {
    if (def[field] !== undefined) checkString(c, def[field], field);
  }
  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  const experience: ExperienceDefinition = {
    id: id!,
    type: type!,
    trafficAllocation: trafficAllocation!,
    distribution: distribution!,
    priority: def.priority as number,
    components,
    status: status!,
  };
  if (typeof def.name === 'string') experience.name = def.name;
  if (typeof def.description === 'string') experience.description = def.description;
  if (audienceId !== undefined) experience.audienceId = audienceId;
  if (holdout !== undefined) experience.holdout = holdout;
  if (variables !== undefined) experience.variables = variables;
  if (typeof def.sticky === 'boolean') experience.sticky = def.sticky;
  return { ok: true, experience };
}
