/**
 * Variant selection, deterministic and identical to the Ninetailed SDKs'
 * (`@ninetailed/experience.js-shared` `isExperienceMatch` / `selectDistribution`):
 * - traffic: eligible when `trafficAllocation > hashToUnit("traffic-<id>-<stableId>")`;
 * - distribution: the first range with `start <= hashToUnit("distribution-<id>-<stableId>") <= end`
 *   (ranges are the running sums of the weights; none matching → baseline, as in the SDK).
 *
 * Tessera's additions, each deterministic:
 * - priority: published experiences in priority order (ties by id); the first selected one
 *   claims its components (baseline ids) and variable keys, and a later experience touching any
 *   of them is skipped as a whole, so no entry or variable is ever decided twice;
 * - holdout: `holdout > hashToUnit("holdout-<id>-<stableId>")` keeps an entering profile on the
 *   baseline. It is still returned (and claims its components) so that the control group sees
 *   the baseline and its exposure is recorded;
 * - sticky: a variant locked on the profile wins over traffic allocation, holdout and
 *   distribution (a lock survives configuration changes, as the 003 document says), but not over
 *   the audience or the published status: an audience says who the visitor is now (and may
 *   encode consent), so leaving it ends the personalization. A lock whose index no longer exists
 *   is ignored.
 */
import type {
  Change,
  ExperienceDefinition,
  ExperienceStep,
  SdkDistribution,
  SelectedVariantInfo,
  SelectionContext,
  SelectionResult,
} from './experience-types.js';
import { getOwn, setOwn } from './json-value.js';
import {
  distributionHashInput,
  hashToUnit,
  holdoutHashInput,
  trafficHashInput,
} from './murmur3.js';

/** The SDK's `{ index, start, end }` ranges for per-variant weights (running sums). */
export function distributionRanges(weights: readonly number[]): SdkDistribution[] {
  let start = 0;
  return weights.map((weight, index) => {
    const range = { index, start, end: start + weight };
    start += weight;
    return range;
  });
}

/**
 * The variant index for a distribution hash, exactly as the SDK's `selectDistribution`: the
 * first range with `start <= value <= end` (a shared boundary goes to the lower index), and
 * the baseline when none matches (e.g. rounding leaves the last `end` just below 1).
 */
export function selectDistributionIndex(weights: readonly number[], value: number): number {
  const found = distributionRanges(weights).find((r) => value >= r.start && value <= r.end);
  return found ? found.index : 0;
}

/** The SDK's traffic test: in when the allocation is strictly greater than the hash. */
export function isInTraffic(trafficAllocation: number, trafficHash: number): boolean {
  return trafficAllocation > trafficHash;
}

function compareExperiences(a: ExperienceDefinition, b: ExperienceDefinition): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The locked variant when it still exists in the definition. */
function lockedIndex(
  experience: ExperienceDefinition,
  ctx: SelectionContext,
  step: ExperienceStep,
): number | undefined {
  const lock = getOwn(ctx.sticky, experience.id);
  if (lock === undefined) return undefined;
  step.stickyVariantIndex = lock.variantIndex;
  const valid =
    Number.isInteger(lock.variantIndex) &&
    lock.variantIndex >= 0 &&
    lock.variantIndex < experience.distribution.length;
  if (!valid) step.detail = `locked variant ${lock.variantIndex} no longer exists; ignored`;
  return valid ? lock.variantIndex : undefined;
}

/**
 * Decides one published experience up to the variant index (conflicts aside). Fills `step`;
 * returns the variant index, or undefined when the experience is skipped.
 */
function decide(
  experience: ExperienceDefinition,
  ctx: SelectionContext,
  step: ExperienceStep,
): number | undefined {
  const { id } = experience;
  const audienceMatch =
    experience.audienceId === undefined || getOwn(ctx.audiences, experience.audienceId) === true;
  const trafficHash = hashToUnit(trafficHashInput(id, ctx.stableId));
  const holdoutHash = hashToUnit(holdoutHashInput(id, ctx.stableId));
  const distributionHash = hashToUnit(distributionHashInput(id, ctx.stableId));
  Object.assign(step, {
    audienceMatch,
    trafficHash,
    inTraffic: isInTraffic(experience.trafficAllocation, trafficHash),
    holdoutHash,
    inHoldout: step.holdout > holdoutHash,
    distributionHash,
  });
  const locked = lockedIndex(experience, ctx, step);
  if (!audienceMatch) {
    step.reason = 'not-in-audience';
    if (locked !== undefined) step.detail = 'locked variant not applied: not in the audience';
    return undefined;
  }
  if (locked !== undefined) {
    step.stickyHit = true;
    return locked;
  }
  if (!step.inTraffic) {
    step.reason = 'outside-traffic';
    return undefined;
  }
  if (step.inHoldout) return 0;
  return selectDistributionIndex(experience.distribution, distributionHash);
}

/** The first claimed component or variable key of `experience`, with its claimer. */
function findClaim(
  experience: ExperienceDefinition,
  claims: Map<string, string>,
): { key: string; by: string; kind: 'component' | 'variable' } | undefined {
  for (const component of experience.components) {
    const by = claims.get(`c:${component.baselineId}`);
    if (by !== undefined) return { key: component.baselineId, by, kind: 'component' };
  }
  for (const variable of experience.variables ?? []) {
    const by = claims.get(`v:${variable.key}`);
    if (by !== undefined) return { key: variable.key, by, kind: 'variable' };
  }
  return undefined;
}

function selectedInfo(
  experience: ExperienceDefinition,
  variantIndex: number,
  sticky: boolean,
): SelectedVariantInfo {
  const variants: Record<string, string> = {};
  for (const { baselineId, variantIds } of experience.components) {
    const chosen = variantIndex === 0 ? baselineId : (variantIds[variantIndex - 1] ?? baselineId);
    setOwn(variants, baselineId, chosen);
  }
  const info: SelectedVariantInfo = { experienceId: experience.id, variantIndex, variants };
  if (sticky) info.sticky = true;
  return info;
}

/**
 * Selects the experiences and variable changes for one profile (see the module comment for the
 * rules). `experiences` must be validated definitions; the result lists the selected
 * experiences in priority order, their variable changes (baseline values included for variant
 * 0), and one explain step per experience.
 */
export function selectExperiences(
  experiences: readonly ExperienceDefinition[],
  ctx: SelectionContext,
): SelectionResult {
  const selected: SelectedVariantInfo[] = [];
  const changes: Change[] = [];
  const explain: ExperienceStep[] = [];
  const claims = new Map<string, string>();
  for (const experience of [...experiences].sort(compareExperiences)) {
    const step: ExperienceStep = {
      experienceId: experience.id,
      status: experience.status,
      priority: experience.priority,
      audienceId: experience.audienceId ?? null,
      trafficAllocation: experience.trafficAllocation,
      holdout: experience.holdout ?? 0,
      stickyHit: false,
      outcome: 'skipped',
    };
    explain.push(step);
    if (experience.status !== 'published') {
      step.reason = 'draft';
      continue;
    }
    const variantIndex = decide(experience, ctx, step);
    if (variantIndex === undefined) continue;
    step.variantIndex = variantIndex;
    const claim = findClaim(experience, claims);
    if (claim) {
      step.reason = claim.kind === 'component' ? 'component-claimed' : 'variable-claimed';
      step.detail = `${claim.kind} ${claim.key} is already decided by experience ${claim.by}`;
      continue;
    }
    step.outcome = 'selected';
    for (const c of experience.components) claims.set(`c:${c.baselineId}`, experience.id);
    for (const v of experience.variables ?? []) claims.set(`v:${v.key}`, experience.id);
    selected.push(
      selectedInfo(experience, variantIndex, step.stickyHit || experience.sticky === true),
    );
    for (const variable of experience.variables ?? []) {
      const value = variable.values[variantIndex] ?? variable.values[0];
      if (value === undefined) continue;
      changes.push({
        key: variable.key,
        type: 'Variable',
        value,
        meta: { experienceId: experience.id, variantIndex },
      });
    }
  }
  return { experiences: selected, changes, explain };
}
