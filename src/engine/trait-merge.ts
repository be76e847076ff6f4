/**
 * Trait merging. Traits are shallow-merged (the Experience API's rule: a nested object is one
 * value and is replaced whole), but unlike a naive `Object.assign`, each key remembers the event
 * time of the write that set it, so a late-arriving (offline, retried, imported) event never
 * overwrites a newer value. That per-key time is also what decides a profile merge and makes it
 * undoable.
 */
import { FORBIDDEN_KEYS, getOwn, jsonEqual } from './json-value.js';
import { type JsonObject, SYSTEM_TRAIT_KEYS, type TraitMeta } from './types.js';

/** Traits plus their per-key write metadata, as a profile keeps them. */
export interface TraitSet {
  traits: JsonObject;
  traitMeta: Record<string, TraitMeta>;
}

/** Result of {@link mergeTraits}. */
export interface TraitMergeResult extends TraitSet {
  /** Keys whose value actually changed (a rewrite of the same value refreshes only its meta). */
  changed: string[];
  /** Keys not written: system keys, and keys already set by a newer event. */
  ignored: string[];
}

/** Result of {@link mergeProfileTraits}. */
export interface ProfileTraitMergeResult extends TraitSet {
  /** Keys whose resulting value came from the merged profile (what an unmerge gives back). */
  fromMerged: string[];
}

/**
 * Applies incoming traits written at event time `at` by `source`. Per key, last writer by event
 * time wins: a key is written when `at >= traitMeta[key].updatedAt` (equal times: the write that
 * arrives later wins, matching "most recent value overwrites"). Keys in
 * {@link SYSTEM_TRAIT_KEYS} are never written. Inputs are not mutated.
 */
export function mergeTraits(
  traits: JsonObject,
  meta: Record<string, TraitMeta>,
  incoming: JsonObject,
  at: number,
  source: string,
): TraitMergeResult {
  // Spread copies own properties with define semantics, so even odd stored keys stay data.
  const nextTraits: JsonObject = { ...traits };
  const nextMeta: Record<string, TraitMeta> = { ...meta };
  const changed: string[] = [];
  const ignored: string[] = [];
  for (const key of Object.keys(incoming)) {
    const value = incoming[key];
    if (value === undefined) continue;
    if (SYSTEM_TRAIT_KEYS.has(key)) {
      ignored.push(key);
      continue;
    }
    const current = getOwn(meta, key);
    if (current !== undefined && at < current.updatedAt) {
      ignored.push(key);
      continue;
    }
    if (!jsonEqual(getOwn(traits, key), value)) changed.push(key);
    nextTraits[key] = value;
    nextMeta[key] = { updatedAt: at, source };
  }
  return { traits: nextTraits, traitMeta: nextMeta, changed, ignored };
}

/** A value with no recorded write time loses to any value that has one. */
function updatedAtOf(set: TraitSet, key: string): number {
  return getOwn(set.traitMeta, key)?.updatedAt ?? Number.NEGATIVE_INFINITY;
}

/**
 * Combines the traits of two profiles being merged: per key, the value with the newer
 * `updatedAt` wins; on a tie the survivor keeps its own. `fromMerged` lists the keys whose value
 * was taken from the merged profile, which is what an unmerge needs to give back.
 */
export function mergeProfileTraits(survivor: TraitSet, merged: TraitSet): ProfileTraitMergeResult {
  const traits: JsonObject = { ...survivor.traits };
  const traitMeta: Record<string, TraitMeta> = { ...survivor.traitMeta };
  const fromMerged: string[] = [];
  for (const key of Object.keys(merged.traits)) {
    const value = merged.traits[key];
    // Stored traits were filtered on write; re-check so an assignment can never hit a prototype.
    if (value === undefined || FORBIDDEN_KEYS.has(key)) continue;
    const survivorHas = Object.hasOwn(survivor.traits, key);
    if (survivorHas && updatedAtOf(merged, key) <= updatedAtOf(survivor, key)) continue;
    traits[key] = value;
    const meta = getOwn(merged.traitMeta, key);
    if (meta === undefined) delete traitMeta[key];
    else traitMeta[key] = { ...meta };
    fromMerged.push(key);
  }
  return { traits, traitMeta, fromMerged };
}
